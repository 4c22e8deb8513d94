"""Track features per user (sql/marts/track_features.sql) and the child-playlist tracklists evaluated from them."""

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from assets.automation import EAGER, REFRESH_WHEN_STALE
from assets import listening
from assets.enrichment import ENRICH_ASSETS
from assets.kinds import storage_kind
from assets.normalise import normalise
from assets.playlists.included import INCLUDED_KEY, INCLUDED_TABLE, unavailable_uris
from assets.partitions import spotify_users
from assets.spotify import SPOTIFY_ASSETS
from assets.spotify.catalog import ARTISTS_KEY, TRACKS_KEY
from assets.spotify.playlists import PLAYLISTS_KEY
from assets.tables import keys_by_table, rows_metadata, table_metadata, table_spec
from assets.playlists.rules import (ALL_FIELDS, DEVMODE_MISSING, Evaluation, RuleFileError, conform, evaluate,
                                    load_rules)
from resources.rule_file import MAX_BYTES, MAX_CHILD_PLAYLISTS, RuleFile
from resources.warehouse import SQL_DIR, Warehouse

FEATURES_TABLE = "marts.track_features"
TRACKLISTS_TABLE = "marts.child_playlist_tracks"
SUMMARY_TABLE = "marts.child_playlists"
NAME_KEYS_TABLE = "marts.name_keys"
FEATURES_SQL = SQL_DIR / "marts" / "track_features.sql"
POOL = "duckdb_write"


def _inputs() -> list[dg.AssetKey]:
    """The assets whose tables the features select reads, from its `-- deps:` line."""
    line = next(line for line in FEATURES_SQL.read_text().splitlines() if line.startswith("-- deps:"))
    tables = [t.strip() for t in line.removeprefix("-- deps:").split(",")]
    keys = {**keys_by_table([*SPOTIFY_ASSETS, *ENRICH_ASSETS, *listening.defs.assets]), NAME_KEYS_TABLE: NAME_KEYS_KEY,
            INCLUDED_TABLE: INCLUDED_KEY}
    return [keys[t] for t in tables]


NAME_KEYS_KEY = dg.AssetKey(["playlists", "name_keys"])
FEATURES_KEY = dg.AssetKey(["playlists", "track_features"])
TRACKLISTS_KEY = dg.AssetKey(["playlists", "child_playlist_tracks"])
SUMMARY_KEY = dg.AssetKey(["playlists", "child_playlists"])


@dg.asset(
    key=NAME_KEYS_KEY,
    deps=[TRACKS_KEY, ARTISTS_KEY],
    group_name="playlists",
    kinds={"python", storage_kind()},
    pool=POOL,
    automation_condition=REFRESH_WHEN_STALE,  # shared: one user's missing catalog must not hold it back
    metadata=table_metadata(NAME_KEYS_TABLE),
)
def name_keys(warehouse: Warehouse) -> dg.MaterializeResult:
    """Normalised keys of every catalog title and artist name, for joining the Last.fm and MusicBrainz caches."""
    added = refresh_name_keys(warehouse)
    return dg.MaterializeResult(metadata={"added": added})


def refresh_name_keys(warehouse: Warehouse) -> int:
    """Add normalise(name) for catalog titles and artist names the key table lacks; returns how many."""
    missing = warehouse.query(
        "select distinct name from (select name from raw.tracks union all "
        "select unnest(artist_names) as name from raw.tracks) "
        f"where name is not null and name not in (select name from {NAME_KEYS_TABLE})")
    if missing.is_empty():
        return 0
    keys = missing.with_columns(key=pl.col("name").map_elements(normalise, return_dtype=pl.String))
    return warehouse.append(NAME_KEYS_TABLE, keys)


def read_features(warehouse: Warehouse, user_id: str) -> pl.DataFrame:
    return conform(warehouse.read(FEATURES_TABLE, user_id))


def fields_for(features: pl.DataFrame, profile: str = "auto") -> frozenset[str]:
    """Rule fields the access profile fills; "auto" reads it off the data (devmode: popularity all null)."""
    if profile == "auto":
        profile = "extended" if features["popularity"].drop_nulls().len() > 0 else "devmode"
    return ALL_FIELDS - DEVMODE_MISSING if profile == "devmode" else ALL_FIELDS


def user_playlists(warehouse: Warehouse, user_id: str) -> set[str]:
    """Ids and names of every playlist the user has (each one a valid `{playlist: ...}` source, empty or not)."""
    listed = warehouse.query("select playlist_id, name from raw.playlists where user_id = ?", [user_id])
    return {v for v in [*listed["playlist_id"], *listed["name"]] if v is not None}


def evaluate_user(features: pl.DataFrame, rules_file: str | Path, user_id: str, now: dt.datetime,
                  profile: str = "auto", playlist_names: set[str] | None = None, max_bytes: int = MAX_BYTES,
                  max_playlists: int = MAX_CHILD_PLAYLISTS, unavailable: set[str] = frozenset()) -> Evaluation:
    """The user's tracklists, one summary row per child playlist, and every error in the rule file that
    concerns them. `playlist_names`: the user's playlist ids and names (None: those seen in the features);
    `unavailable`: included uris Spotify has no track for (`included.unavailable_uris`), left out.
    Raises RuleFileError when the file cannot be used at all (then nothing is evaluated)."""
    rules = load_rules(rules_file, max_bytes=max_bytes, max_playlists=max_playlists)
    playlists, cross_errors = rules.for_user(user_id)
    result = evaluate(features, playlists, user_id=user_id, now=now, available_fields=fields_for(features, profile),
                      playlist_names=playlist_names, unavailable=unavailable)
    own = [e for e in rules.errors if e.path.startswith(("defaults", f"users.{user_id}["))]
    result.errors = own + cross_errors + result.errors
    written = {p.name: p for p in rules.defaults} | {p.name: p for p in rules.users.get(user_id, [])}
    invalid: list[tuple[str, str | None, str]] = []
    for error in own + cross_errors:
        if error.playlist is not None:
            rule = written.get(error.playlist)
            invalid.append((error.playlist, rule.rule_hash if rule else rules.invalid_hash(user_id, error.playlist),
                            str(error)))
    result.add_invalid(user_id, invalid)
    ids = [rules.child_id(user_id, name) for name in result.summary["child_playlist"]]
    result.summary = result.summary.with_columns(child_id=pl.Series(ids, dtype=pl.String))
    return result


class TracklistsConfig(dg.Config):
    rules_file: str | None = Field(None, description="the rule file; default the rule_file resource's (MIXTAPE_RULES)")
    profile: str = Field("auto", description="auto (from the data), devmode or extended")
    now: str | None = Field(None, description="naive-UTC ISO time the rules are evaluated at; default now")


@dg.asset(
    key=FEATURES_KEY,
    deps=_inputs(),
    partitions_def=spotify_users,
    group_name="playlists",
    kinds={"sql", storage_kind()},
    pool=POOL,
    automation_condition=EAGER,
    metadata=table_metadata(FEATURES_TABLE),
)
def track_features(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """One row per track the user has, and per included track they do not have, with every rule field."""
    user = context.partition_key
    rows = warehouse.query(f"select * from ({FEATURES_SQL.read_text().strip().rstrip(';')}) where user_id = ?", [user])
    warehouse.replace_partition(FEATURES_TABLE, user, rows)
    return dg.MaterializeResult(metadata={**rows_metadata(warehouse, FEATURES_TABLE, user),
                                          "with_bpm": rows["bpm"].drop_nulls().len(),
                                          "with_genres": rows["genres"].drop_nulls().len()})


_TRACKLIST_DEPS = [FEATURES_KEY, PLAYLISTS_KEY, INCLUDED_KEY]


@dg.multi_asset(
    name="playlists__child_playlist_tracks",
    specs=[
        table_spec(TRACKLISTS_KEY.path, TRACKLISTS_TABLE, "The tracklist of each of the user's child playlists, "
                   "in push order, with the conditions that admitted each track.", kinds={"polars"},
                   deps=_TRACKLIST_DEPS, automation_condition=EAGER),
        table_spec(SUMMARY_KEY.path, SUMMARY_TABLE, "One row per child playlist of the user: built, empty or "
                   "invalid, its track count, unpushable items, why it is empty or invalid, and the hash of its "
                   "rule as written.", kinds={"polars"}, deps=_TRACKLIST_DEPS, automation_condition=EAGER),
    ],
    partitions_def=spotify_users,
    pool=POOL,
)
def child_playlist_tracks(context: dg.AssetExecutionContext, config: TracklistsConfig,
                          warehouse: Warehouse, rule_file: RuleFile):
    """The tracklist of each of the user's child playlists, evaluated from the rule file in one pass, and
    one summary row per child playlist (empty and invalid ones included)."""
    user = context.partition_key
    rules_file = config.rules_file or rule_file.path
    now = dt.datetime.fromisoformat(config.now) if config.now else dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        result = evaluate_user(read_features(warehouse, user), rules_file, user, now, config.profile,
                               user_playlists(warehouse, user), rule_file.max_bytes, rule_file.max_child_playlists,
                               unavailable_uris(warehouse, user))
    except RuleFileError as error:  # nothing is evaluated and the tracklists stay as they were
        raise dg.Failure(description=f"the rule file cannot be used:\n{error}") from None
    for error in result.errors:
        context.log.warning(f"child playlist skipped: {error}")
    rows = result.tracks.with_columns(evaluated_at=pl.lit(now))
    warehouse.replace_partition(TRACKLISTS_TABLE, user, rows)
    summary = result.summary.with_columns(evaluated_at=pl.lit(now))
    warehouse.replace_partition(SUMMARY_TABLE, user, summary)
    counts = result.counts()
    statuses = dict(summary.group_by("status").len().iter_rows())
    yield dg.MaterializeResult(asset_key=TRACKLISTS_KEY, metadata={
        **rows_metadata(warehouse, TRACKLISTS_TABLE, user),
        "rows_per_child_playlist": dg.MetadataValue.json(counts),
        "invalid_rules": dg.MetadataValue.json([str(e) for e in result.errors]),
        "invalid_count": len(result.errors),
        "rules_file": str(rules_file),
    })
    yield dg.MaterializeResult(asset_key=SUMMARY_KEY, metadata={
        "dagster/row_count": summary.height,
        **{status: statuses.get(status, 0) for status in ("built", "empty", "invalid")},
        "empty_child_playlists": dg.MetadataValue.json(
            {r["child_playlist"]: r["reason"] for r in summary.filter(pl.col("status") == "empty").to_dicts()}),
    })


TRACKLIST_ASSETS = [name_keys, track_features, child_playlist_tracks]
