"""`ops.api_requests`: the request ledger copied into the warehouse, so SQL sees every request.

The ledger (`resources.budget`, SQLite in `<data_dir>/state`) is the one count: clients record each
request there as they send it. This asset appends what the table does not hold yet, by service,
endpoint, user, run and asset, so a copy never duplicates a row and a run still going when it was
copied gets the rest next time. Rows from before the ledger knew assets stay as they were written.
"""

import dagster as dg
import polars as pl

from assets.kinds import storage_kind
from assets.tables import table_metadata
from resources.budget import Ledger, utc_naive
from resources.warehouse import Warehouse

TABLE = "ops.api_requests"
KEY = ["service", "endpoint", "user_id", "run_id", "asset"]


def rows_to_add(totals: list[dict], recorded: pl.DataFrame) -> pl.DataFrame:
    """The ledger's totals minus what the table holds (`recorded`: summed by KEY, '' for no user or
    asset), as new rows of the table."""
    ledger = pl.DataFrame(totals, schema={**{k: pl.String for k in KEY}, "requests": pl.Int64, "last_at": pl.Float64})
    delta = (
        ledger.join(recorded, on=KEY, how="left")
        .with_columns((pl.col("requests") - pl.col("recorded").fill_null(0)).alias("requests"))
        .filter(pl.col("requests") > 0)
    )
    return delta.select(
        "service", "endpoint",
        pl.when(pl.col("user_id") != "").then(pl.col("user_id")).alias("user_id"),
        "run_id",
        pl.when(pl.col("asset") != "").then(pl.col("asset")).alias("asset"),
        pl.col("requests").cast(pl.Int32),
        pl.col("last_at").map_elements(utc_naive, return_dtype=pl.Datetime("us")).alias("recorded_at"),
    )


@dg.asset(
    key=["ops", "api_requests"],
    group_name="ops",
    kinds={"sqlite", storage_kind()},
    pool="duckdb_write",
    metadata=table_metadata(TABLE),
)
def api_requests(warehouse: Warehouse) -> dg.MaterializeResult:
    """Every outside request mixtape sent, by service, endpoint, user, run and asset, copied from the request ledger."""
    recorded = warehouse.query(
        "select service, endpoint, coalesce(user_id, '') as user_id, run_id, coalesce(asset, '') as asset, "
        f"sum(requests)::bigint as recorded from {TABLE} group by all")
    recorded = recorded.cast({k: pl.String for k in KEY} | {"recorded": pl.Int64})
    new = rows_to_add(Ledger.in_data_dir(warehouse.data_dir).totals(), recorded)
    warehouse.append(TABLE, new)
    return dg.MaterializeResult(metadata={
        "rows_added": new.height,
        "requests_added": int(new["requests"].sum()) if new.height else 0,
    })
