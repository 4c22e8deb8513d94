"""Which run and asset a request belongs to: read from Dagster's current step, so the clients record
it in the ledger without every asset having to say, and `record_spend` reads it back the same way."""

from __future__ import annotations

import dagster as dg


def asset_name(context: dg.OpExecutionContext | dg.AssetExecutionContext) -> str:
    """The step's asset (`spotify/liked_songs`), or its op's name when it materializes several."""
    keys = list(context.selected_asset_keys) if context.has_assets_def else []
    return keys[0].to_user_string() if len(keys) == 1 else context.op_def.name


def current_step() -> tuple[str | None, str]:
    """(run id, asset name) of the step running in this thread; (None, "") outside any step
    (a sensor, a command, a worker thread)."""
    try:
        context = dg.OpExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return None, ""
    return context.run.run_id, asset_name(context)
