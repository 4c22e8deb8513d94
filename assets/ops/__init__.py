"""Operations: the request budget, the request counts and the snapshot ad-hoc SQL reads."""

import dagster as dg

from assets.ops.api_requests import api_requests
from assets.ops.budget import budget_left, spotify_budget_asset
from assets.ops.snapshot import snapshot_after_runs, warehouse_snapshot

defs = dg.Definitions(assets=[warehouse_snapshot, spotify_budget_asset, api_requests], asset_checks=[budget_left],
                      sensors=[snapshot_after_runs])
