"""What an asset spent on outside APIs: into `ops.api_requests` and into its metadata, one way for all."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from resources.warehouse import Warehouse


def requests_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Requests by endpoint sent between two readings of a counter (e.g. `SpotifyResource.requests_spent(user)`)."""
    delta = Counter(after)
    delta.subtract(before)
    return {endpoint: n for endpoint, n in sorted(delta.items()) if n > 0}


def _user_of(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> str | None:
    return context.partition_key if context.has_partition_key else None


def _asset_of(context) -> str:
    keys = list(context.selected_asset_keys) if context.has_assets_def else []
    return keys[0].to_user_string() if len(keys) == 1 else context.op_def.name


def record_spend(warehouse: Warehouse, context: dg.AssetExecutionContext | dg.OpExecutionContext,
                 spent: dict[str, int], service: str = "spotify", user_id: str | None = None) -> dict[str, dg.MetadataValue]:
    """Append one row per endpoint to ops.api_requests and return the metadata to show on the asset."""
    user = user_id if user_id is not None else _user_of(context)
    asset = _asset_of(context)
    if spent:
        warehouse.append("ops.api_requests", pl.DataFrame({
            "service": [service] * len(spent),
            "endpoint": list(spent),
            "user_id": [user] * len(spent),
            "run_id": [context.run.run_id] * len(spent),
            "asset": [asset] * len(spent),
            "requests": list(spent.values()),
            "recorded_at": [datetime.now(UTC).replace(tzinfo=None)] * len(spent),
        }))
    return {
        f"{service}_requests": dg.MetadataValue.int(sum(spent.values())),
        f"{service}_requests_by_endpoint": dg.MetadataValue.json(spent),
    }
