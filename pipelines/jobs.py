"""Named asset jobs, one per stage (and per user where the stage's assets are partitioned), so every
run — launched from the UI, a schedule, a sensor or `mixtape run` — is named after the work it does.

Stages run in this order: ingest → enrich → rules → push → marts. A stage whose assets are partly
shared (one run for every user) and partly per user has two jobs: `<stage>_shared` and `<stage>`.
`DEPENDS_ON` says which earlier stages a stage needs: when one of them fails for a user, `mixtape
run` does not run the stage for that user and reports it as skipped, with the cause.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from assets import enrichment, listening, marts, ops, playlists, report, spotify
from assets.ops.api_requests import api_requests
from assets.playlists.push import push_playlists

STAGES = ["ingest", "enrich", "rules", "push", "marts"]

DESCRIPTIONS = {
    "ingest": "Read one user's Spotify library (liked songs, playlists, their items) and rebuild the catalog.",
    "enrich": "Fill the Deezer, Last.fm and MusicBrainz caches for the catalog's tracks and artists.",
    "rules": "Evaluate the child-playlist rules into tracklists (name keys shared; included tracks, features and "
             "tracklists per user).",
    "push": "Write one user's child playlists to Spotify with the fewest requests.",
    "marts": "Refresh the SQL marts, the library report and the request ledger's copy.",
}

# The stages each stage reads the results of: a failure in one of them skips the stage.
DEPENDS_ON = {
    "ingest": (),
    "enrich": (),
    "rules": ("ingest", "enrich"),
    "push": ("rules",),
    "marts": ("ingest", "enrich", "rules", "push"),
}


def stage_selection(stage: str) -> dg.AssetSelection:
    """The assets of one stage, by asset group (the push on its own)."""
    push = dg.AssetSelection.assets(push_playlists)
    return {
        "ingest": dg.AssetSelection.groups("spotify", "listening"),
        "enrich": dg.AssetSelection.groups("enrichment"),
        "rules": dg.AssetSelection.groups("playlists") - push,
        "push": push,
        "marts": dg.AssetSelection.groups("marts", "report") | dg.AssetSelection.assets(api_requests),
    }[stage]


@dataclass(frozen=True)
class StageJob:
    """One job: its stage, whether it runs per user, and the asset keys it materializes."""

    name: str
    stage: str
    per_user: bool
    keys: tuple[dg.AssetKey, ...]

    @property
    def description(self) -> str:
        scope = "Per user." if self.per_user else "Shared by every user."
        return f"{DESCRIPTIONS[self.stage]} {scope}"


STAGE_GROUPS = {"ingest": ("spotify", "listening"), "enrich": ("enrichment",), "rules": ("playlists",), "push": ("playlists",),
                "marts": ("marts", "report")}


def stage_of(key: dg.AssetKey, group: str) -> str | None:
    """The stage an asset belongs to (as `stage_selection` says), from its key and group."""
    if key in push_playlists.keys:
        return "push"
    if key in api_requests.keys:
        return "marts"
    return next((stage for stage, groups in STAGE_GROUPS.items() if stage != "push" and group in groups), None)


def stage_jobs(assets=None) -> list[StageJob]:
    """Every stage's jobs, in run order (a stage's shared job before its per-user one)."""
    if assets is None:
        assets = [a for d in (spotify.defs, listening.defs, enrichment.defs, playlists.defs, marts.defs, report.defs, ops.defs)
                  for a in d.assets or [] if isinstance(a, dg.AssetsDefinition)]
    members: dict[tuple[str, bool], list[dg.AssetKey]] = {}
    for definition in assets:
        for key in definition.keys:
            stage = stage_of(key, definition.group_names_by_key[key])
            if stage:
                members.setdefault((stage, definition.partitions_def is not None), []).append(key)
    jobs = []
    for stage in STAGES:
        shared = tuple(sorted(members.get((stage, False), []), key=lambda k: k.to_user_string()))
        per_user = tuple(sorted(members.get((stage, True), []), key=lambda k: k.to_user_string()))
        if shared:
            jobs.append(StageJob(f"{stage}_shared" if per_user else stage, stage, False, shared))
        if per_user:
            jobs.append(StageJob(stage, stage, True, per_user))
    return jobs


STAGE_JOBS = stage_jobs()
JOB_BY_NAME = {job.name: job for job in STAGE_JOBS}


def jobs_of(stage: str) -> list[StageJob]:
    return [job for job in STAGE_JOBS if job.stage == stage]


def asset_job(job: StageJob) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        job.name, selection=dg.AssetSelection.assets(*job.keys), description=job.description,
        tags={"mixtape/stage": job.stage},
    )


JOBS = [asset_job(job) for job in STAGE_JOBS]
JOB = {job.name: job for job in JOBS}
INGEST_JOB = JOB["ingest"]
