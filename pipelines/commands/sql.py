"""`mixtape sql [-c QUERY] [--format table|csv|json]`: ad-hoc SQL on the warehouse (tables, marts and the
contract views), the same over DuckDB and Parquet. Without -c: an interactive read-only shell on a
terminal, or the query read from stdin when it is piped in.

Sessions are read-only and never block a run: with the DuckDB file they read the snapshot refreshed
after every run (resources/snapshot.py), with Parquet storage the files themselves."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from decimal import Decimal


HELP = """Statements end with ';'. Commands:
  .tables                 tables and views
  .format table|csv|json  how results print
  .refresh                reopen on the newest snapshot (taken after each run)
  .help                   this text
  .quit                   leave (or Ctrl-D)"""


STALE = ("note: the warehouse changed after this snapshot was taken; `mixtape sql --refresh` takes a new one "
         "(waiting while a run writes), as does the snapshot_after_runs sensor after every run")


def run_query(query: str):
    """The one place queries go through: a read-only session that no run waits for."""
    from resources.snapshot import open_reader

    with open_reader(_warehouse()) as con:
        return query_frame(con, query)


def query_frame(con, query: str):
    """The result of `query` as a polars frame (an empty one for statements without a result)."""
    import polars as pl

    relation = con.sql(query)
    return relation.pl() if relation is not None else pl.DataFrame()


def _warehouse():
    from pipelines.resources import initialized

    return initialized("warehouse")


def shell(fmt: str, stdin=None, stdout=None) -> int:
    """A small read-only SQL shell over one session, held open until the user leaves."""
    from resources.snapshot import current_snapshot, open_reader, snapshot_is_stale

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    warehouse = _warehouse()
    interactive = stdin.isatty()
    if interactive:
        import readline  # noqa: F401  (line editing and history for input())

    def say(text: str = "") -> None:
        print(text, file=stdout, flush=True)

    def read(prompt: str) -> str | None:
        if interactive and stdin is sys.stdin:
            try:
                return input(prompt)
            except EOFError:
                return None
        stdout.write(prompt)
        stdout.flush()
        line = stdin.readline()
        return line.rstrip("\n") if line else None

    while True:  # one pass per session; `.refresh` starts a new one
        with open_reader(warehouse) as con:
            snapshot = current_snapshot(warehouse) if warehouse.is_duckdb else None
            say(f"mixtape sql: read-only, {'snapshot ' + snapshot.name if snapshot else 'Parquet files'}; .help for commands")
            if snapshot_is_stale(warehouse):
                say(STALE)
            action = _session(con, read, say, fmt)
        if action == "quit":
            return 0
        fmt = action.removeprefix("refresh:")


def _session(con, read, say, fmt: str) -> str:
    """Read statements until the user quits ("quit") or asks for a newer snapshot ("refresh:<format>")."""
    buffer: list[str] = []
    while True:
        try:
            line = read("   ...> " if buffer else "mixtape> ")
        except KeyboardInterrupt:  # Ctrl-C drops the statement being typed
            buffer = []
            say()
            continue
        if line is None:
            say()
            return "quit"
        if not buffer and line.strip().startswith("."):
            command, _, argument = line.strip().partition(" ")
            if command in (".quit", ".exit"):
                return "quit"
            if command == ".refresh":
                return f"refresh:{fmt}"
            if command == ".format" and argument.strip() in ("table", "csv", "json"):
                fmt = argument.strip()
            elif command == ".tables":
                say(render(query_frame(con, "select table_schema as schema, table_name as name, table_type as kind "
                                            "from information_schema.tables order by all"), fmt))
            else:
                say(HELP)
            continue
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        statement, buffer = "\n".join(buffer), []
        try:
            say(render(query_frame(con, statement), fmt))
        except Exception as error:  # duckdb raises many kinds; the user wants the message, not a traceback
            say(f"Error: {error}")


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
    if args.refresh:
        from resources.snapshot import refresh_snapshot

        refresh_snapshot(_warehouse())
    if args.command_text is None and sys.stdin.isatty():
        return shell(args.format)
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
    parser = subparsers.add_parser("sql", help="ad-hoc SQL on the warehouse (read-only, never blocks a run)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", dest="command_text", metavar="QUERY",
                        help="the query (default: a shell on a terminal, else read stdin)")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument("--refresh", action="store_true",
                        help="first take a fresh snapshot of the DuckDB warehouse (waits while a run writes)")
    parser.set_defaults(func=run)
