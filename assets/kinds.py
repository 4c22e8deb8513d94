"""Asset kinds that tell the truth about where a table is stored."""

from resources.settings import Settings


def storage_kind() -> str:
    """'duckdb' or 'parquet': the warehouse storage the settings configure (the same setting the
    Warehouse resource is built from), as a Dagster kind. Kinds are fixed when assets are defined."""
    return "duckdb" if Settings.from_env().mixtape_storage == "duckdb" else "parquet"
