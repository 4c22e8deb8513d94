"""Fixtures: the sandbox serving the test library, and a warehouse holding its catalog for two users."""

import pytest

from sandbox import start_sandbox
from resources.warehouse import Warehouse
from tests.enrich.sandbox_library import catalog_rows, library


@pytest.fixture
def sandbox():
    with start_sandbox(library()) as running:
        yield running


@pytest.fixture
def warehouse(tmp_path):
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    warehouse.replace_partition("raw.tracks", "alice", catalog_rows(["t1", "t2", "t3", "t4", "t5", "t6"]))
    warehouse.replace_partition("raw.tracks", "bob", catalog_rows(["t1", "t7", "t6"]))
    return warehouse
