"""Schedules: the periodic full liked-songs resync, one run per user.

Incremental syncs trust what was read before; a full resync re-reads the whole library once a week so
nothing drifts. It spends the budget like any run (the ingestion stops cleanly and resumes), and it
waits while the budget is spent or a QUOTA_EXCEEDED cooldown runs.
"""

from __future__ import annotations

import dagster as dg

from assets.automation import FULL_RESYNC_CRON
from pipelines.jobs import INGEST_JOB
from assets.partitions import syncable_users, user_tags
from pipelines.sensors import CATALOG_KEYS, LIKED_KEYS
from resources.spotify import SpotifyResource

# The liked-songs asset's own switch (assets/spotify/library.py: LikedSongsConfig.force_full_sync).
FULL_RESYNC_CONFIG = dg.RunConfig(ops={"liked_songs": {"config": {"force_full_sync": True}}})


@dg.schedule(cron_schedule=FULL_RESYNC_CRON, job=INGEST_JOB, execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Weekly: every user's liked songs re-read in full, so an incremental sync never drifts.")
def full_liked_songs_resync(context: dg.ScheduleEvaluationContext, spotify: SpotifyResource):
    """Weekly: every user's liked songs re-read in full (and the catalog rebuilt from them)."""
    state = spotify.budget.state()
    if state.paused:
        return dg.SkipReason(state.reason())
    users = syncable_users(context.instance, spotify)
    if not users:
        return dg.SkipReason("no user with a stored token")
    tick = context.scheduled_execution_time.strftime("%Y%m%d")
    return [dg.RunRequest(run_key=f"full-resync-{user}-{tick}", partition_key=user,
                          asset_selection=[*LIKED_KEYS, *CATALOG_KEYS], run_config=FULL_RESYNC_CONFIG,
                          tags=user_tags(user, "full_resync"))
            for user in users]


SCHEDULES = [full_liked_songs_resync]
