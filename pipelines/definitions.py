"""The mixtape code location: composition only."""

import dagster as dg

from assets.automation import budget_left, spotify_budget_asset
from assets.enrichment import ENRICH_ASSETS
from assets.marts import MART_ASSETS, snapshot_after_runs, warehouse_snapshot
from assets.playlists.push import push_playlists
from assets.playlists.tracklists import TRACKLIST_ASSETS
from assets.report import REPORT_ASSETS
from assets.spotify import SPOTIFY_ASSETS, SPOTIFY_CHECKS
from pipelines.resources import resources_from_env
from pipelines.schedules import SCHEDULES
from pipelines.sensors import SENSORS

defs = dg.Definitions(
    assets=[
        *SPOTIFY_ASSETS, *ENRICH_ASSETS, *TRACKLIST_ASSETS, push_playlists, *MART_ASSETS, *REPORT_ASSETS,
        warehouse_snapshot, spotify_budget_asset,
    ],
    asset_checks=[*SPOTIFY_CHECKS, budget_left],
    sensors=[*SENSORS, snapshot_after_runs],
    schedules=SCHEDULES,
    resources=resources_from_env(),
    executor=dg.in_process_executor,
)
