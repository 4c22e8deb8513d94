"""The asset graph is the data flow: every warehouse table has exactly one producing asset."""

from collections import Counter

import dagster as dg

from pipelines.definitions import defs
from resources.warehouse import Warehouse

SPECS = list(defs.resolve_all_asset_specs())


def warehouse_tables(tmp_path) -> set[str]:
    with Warehouse(data_dir=str(tmp_path)).connect() as con:
        rows = con.sql("select table_schema || '.' || table_name from information_schema.tables "
                       "where table_type = 'BASE TABLE'").fetchall()
    return {r[0] for r in rows}


def test_every_table_has_exactly_one_producer(tmp_path):
    producers = Counter(s.metadata["dagster/table_name"] for s in SPECS if "dagster/table_name" in s.metadata)
    assert {t: n for t, n in producers.items() if n > 1} == {}
    assert warehouse_tables(tmp_path) == set(producers)


def test_groups_match_key_prefixes():
    assert [s.key for s in SPECS if s.key.path[0] != s.group_name] == []
    assert {s.group_name for s in SPECS} == {"spotify", "listening", "enrichment", "playlists", "marts", "report", "ops"}


def test_ingestion_reads_nothing_the_push_writes():
    """No hidden feedback loop: nothing upstream of the library sync comes from the playlists domain."""
    graph = {s.key: {d.asset_key for d in s.deps} for s in SPECS}

    def upstream(key, seen=frozenset()):
        parents = graph.get(key, set()) - seen
        return parents | {u for p in parents for u in upstream(p, seen | parents)}

    for spec in SPECS:
        if spec.group_name == "spotify":
            assert {k for k in upstream(spec.key) if k.path[0] != "spotify"} == set(), spec.key


def test_every_asset_has_a_one_line_description():
    assert [s.key for s in SPECS if not s.description or "\n" in s.description.strip()] == []


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
