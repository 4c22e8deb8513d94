"""The mixtape code location: composition only."""

import dagster as dg

from assets.automation import budget_left, spotify_budget_asset
from assets.enrich import ENRICH_ASSETS
from assets.marts import MART_ASSETS, snapshot_after_runs, warehouse_snapshot
from assets.spotify import SPOTIFY_ASSETS, SPOTIFY_CHECKS
from pipelines.resources import resources_from_env
from pipelines.sensors import SENSORS

defs = dg.Definitions(
    assets=[*SPOTIFY_ASSETS, *ENRICH_ASSETS, *MART_ASSETS, warehouse_snapshot, spotify_budget_asset],
    asset_checks=[*SPOTIFY_CHECKS, budget_left],
    sensors=[*SENSORS, snapshot_after_runs],
    resources=resources_from_env(),
    executor=dg.in_process_executor,
)
