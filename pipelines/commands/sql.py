"""`mixtape sql [-c QUERY] [--format table|csv|json]`: ad-hoc SQL on the warehouse (tables, marts and the
contract views), the same over DuckDB and Parquet. Without -c the query is read from stdin."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from decimal import Decimal


def run_query(query: str):
    """The one place queries go through (so it can be pointed at a read-only snapshot)."""
    from pipelines.resources import resources_from_env

    return resources_from_env()["warehouse"].query(query)


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def render(frame, fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{k: _plain(v) for k, v in row.items()} for row in frame.to_dicts()], indent=None)
    if fmt == "csv":
        nested = [c for c, t in frame.schema.items() if t.is_nested()]
        flat = frame.with_columns(*[frame[c].map_elements(lambda v: json.dumps(_plain(v)), return_dtype=str) for c in nested])
        return flat.write_csv().rstrip("\n")
    import polars as pl

    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
        return str(frame)


def run(args: argparse.Namespace) -> int:
    query = args.command_text if args.command_text is not None else sys.stdin.read()
    if not query.strip():
        print("mixtape sql: no query (give -c QUERY or pipe one in)", file=sys.stderr)
        return 2
    try:
        frame = run_query(query)
    except Exception as error:  # duckdb raises many kinds; the user wants the message, not a traceback
        print(f"mixtape sql: {error}", file=sys.stderr)
        return 1
    print(render(frame, args.format))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sql", help="ad-hoc SQL on the warehouse", description=__doc__)
    parser.add_argument("-c", dest="command_text", metavar="QUERY", help="the query (default: read stdin)")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.set_defaults(func=run)
