"""What an asset spent on outside APIs, as its metadata: read back from the request ledger, where the
clients counted every request under its run and asset (`ops/api_requests` copies the ledger into the
warehouse; nothing else writes request counts)."""

from __future__ import annotations

import dagster as dg

from resources.budget import SPOTIFY, Ledger
from resources.budget.attribution import asset_name


def record_spend(context: dg.AssetExecutionContext | dg.OpExecutionContext, ledger: Ledger,
                 service: str = SPOTIFY, asset: str | None = None) -> dict[str, dg.MetadataValue]:
    """The requests this step sent to `service` (for `asset`, when the step counts several apart), as
    metadata to show on the asset."""
    spent = ledger.counts(run_id=context.run.run_id, asset=asset or asset_name(context), service=service)
    return {
        f"{service}_requests": dg.MetadataValue.int(sum(spent.values())),
        f"{service}_requests_by_endpoint": dg.MetadataValue.json(spent),
    }
