"""Demo warehouses for the SQL tests, in both storage modes."""

import pytest

from assets.marts import MART_ASSETS
from resources.warehouse import Warehouse
from tests.sql.demo import seed_raw_tables
from tests.sql.library import small_library

import dagster as dg


@pytest.fixture(params=["duckdb", "parquet"])
def demo_warehouse(request, tmp_path) -> Warehouse:
    """The raw tables seeded from a sandbox library, and every mart materialized through Dagster."""
    if request.param == "duckdb":
        warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    else:
        warehouse = Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    library = small_library()
    seed_raw_tables(warehouse, library)
    materialize_marts(warehouse, [u.id for u in library.users])
    return warehouse


def materialize_marts(warehouse: Warehouse, users: list[str]) -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", users)
    per_user = [a for a in MART_ASSETS if a.partitions_def is not None]
    shared = [a for a in MART_ASSETS if a.partitions_def is None]
    for user in users:
        assert dg.materialize(per_user, partition_key=user, instance=instance, resources={"warehouse": warehouse}).success
    if shared:
        assert dg.materialize(shared, instance=instance, resources={"warehouse": warehouse}).success
