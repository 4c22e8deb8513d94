"""Tables as assets: every warehouse table is one asset spec that names its table, carries its column
schema (from the DDL in sql/tables, or the mart's select), and reports its rows when materialized."""

import re
from collections.abc import Iterable
from functools import cache

import dagster as dg
import duckdb
import polars as pl

from assets.kinds import storage_kind
from resources.warehouse import Warehouse, declared_columns, mart_queries, table_ddl

TABLE_NAME = "dagster/table_name"
COLUMN_SCHEMA = "dagster/column_schema"
ROW_COUNT = "dagster/row_count"
PREVIEW_ROWS = 5
PREVIEW_CELL = 40  # characters of a cell shown in the preview, the rest cut with an ellipsis
# `name type ...,  -- comment`: the comment on a column's line of the DDL is its description
_COLUMN_COMMENT = re.compile(r"^\s*(\w+)\s+[^-\n]*?--\s*(.+?)\s*$", re.MULTILINE)


def table_spec(key: list[str], table: str, description: str, *, kinds: Iterable[str] = (), **kwargs) -> dg.AssetSpec:
    """The spec of the asset that owns `table`: its group is its key prefix."""
    return dg.AssetSpec(key, description=description, group_name=key[0], kinds={*kinds, storage_kind()},
                        metadata={**table_metadata(table), **kwargs.pop("metadata", {})}, **kwargs)


def table_metadata(table: str) -> dict:
    """The definition metadata of the asset that owns `table`: its name and its columns."""
    return {TABLE_NAME: table, COLUMN_SCHEMA: column_schema(table)}


@cache
def column_schema(table: str) -> dg.TableSchema:
    """The table's columns and types as declared, each with the comment its DDL line carries."""
    comments = dict(_COLUMN_COMMENT.findall(table_ddl().get(table, "")))
    columns = declared_columns(table) if table in table_ddl() else _mart_columns(table)
    return dg.TableSchema(columns=[dg.TableColumn(name, dtype, description=comments.get(name))
                                   for name, dtype in columns])


@cache
def _mart_columns(mart: str) -> tuple[tuple[str, str], ...]:
    """(column, type) of a mart, from its select over empty copies of the tables and the marts before it."""
    con = duckdb.connect()
    try:
        for schema in {name.split(".")[0] for name in [*table_ddl(), *mart_queries()]}:
            con.execute(f"create schema if not exists {schema}")
        for ddl in table_ddl().values():
            con.execute(ddl)
        for name, query in mart_queries().items():
            if name == mart:
                return tuple((row[0], row[1]) for row in con.sql(f"describe select * from ({query})").fetchall())
            con.execute(f"create table {name} as select * from ({query}) limit 0")
    finally:
        con.close()
    raise KeyError(f"{mart} is neither declared in sql/tables nor a mart in sql/marts")


def rows_metadata(warehouse: Warehouse, table: str, user: str | None = None) -> dict:
    """The row count of the table (the user's rows when given) and a Markdown preview of its first rows."""
    where, params = ("where user_id = ?", [user]) if user is not None else ("", [])
    count = warehouse.query(f"select count(*) as n from {table} {where}", params).item()
    first = warehouse.query(f"select * from {table} {where} limit {PREVIEW_ROWS}", params)
    return {ROW_COUNT: count, "preview": dg.MetadataValue.md(markdown_preview(first, count))}


def markdown_preview(rows: pl.DataFrame, total: int) -> str:
    """A Markdown table of `rows`, each cell on one line and cut at PREVIEW_CELL characters."""
    if rows.is_empty():
        return "_no rows_"
    header = "| " + " | ".join(rows.columns) + " |"
    rule = "|" + "---|" * len(rows.columns)
    lines = ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows.iter_rows()]
    return "\n".join([header, rule, *lines, "", f"first {rows.height} of {total:,} rows"])


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text if len(text) <= PREVIEW_CELL else text[:PREVIEW_CELL - 1] + "…"


def table_of(spec: dg.AssetSpec) -> str | None:
    return spec.metadata.get(TABLE_NAME)


def keys_by_table(assets: Iterable[dg.AssetsDefinition]) -> dict[str, dg.AssetKey]:
    """`schema.table` -> the key of the one asset that writes it."""
    return {table_of(spec): spec.key for a in assets for spec in a.specs if table_of(spec)}
