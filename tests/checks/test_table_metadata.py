"""Table assets carry their column schema (from the DDL or the mart's select) and a short preview of their rows."""

from __future__ import annotations

import polars as pl

from assets.tables import COLUMN_SCHEMA, PREVIEW_CELL, column_schema, markdown_preview
from resources.warehouse import mart_columns


def test_track_features_declares_its_columns():
    from pipelines.definitions import defs

    node = next(n for n in defs.resolve_asset_graph().asset_nodes if n.key.to_user_string() == "playlists/track_features")
    schema = node.metadata[COLUMN_SCHEMA]
    assert [c.name for c in schema.columns] == list(mart_columns("marts.track_features"))
    assert all(c.type for c in schema.columns)


def test_column_comments_in_the_ddl_become_descriptions():
    columns = {c.name: c for c in column_schema("ops.managed_playlists").columns}
    assert columns["part"].type == "INTEGER"
    assert "10,000 items" in columns["part"].description


def test_every_table_asset_has_a_column_schema():
    from pipelines.definitions import defs

    tables = [n for n in defs.resolve_asset_graph().asset_nodes if "dagster/table_name" in n.metadata]
    assert len(tables) > 20
    assert not [n.key.to_user_string() for n in tables if COLUMN_SCHEMA not in n.metadata]


def test_the_preview_is_short_and_cuts_wide_cells():
    rows = pl.DataFrame({"title": ["x" * 100, "a|b"], "genres": [["rock", "pop"], None]})
    text = markdown_preview(rows, 1234)
    lines = text.splitlines()
    assert lines[0] == "| title | genres |"
    assert "x" * (PREVIEW_CELL - 1) + "…" in lines[2] and "x" * PREVIEW_CELL not in lines[2]
    assert "rock, pop" in lines[2] and "a\\|b" in lines[3]
    assert lines[-1] == "first 2 of 1,234 rows"
    assert markdown_preview(rows.head(0), 0) == "_no rows_"
