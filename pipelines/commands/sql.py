"""`mixtape sql [-c QUERY] [--format table|csv|json|markdown]`: ad-hoc SQL on the warehouse (tables, marts and
the contract views), the same over DuckDB and Parquet. Without -c: an interactive read-only shell on a
terminal, or the query read from stdin when it is piped in.

Sessions are read-only and never block a run: with the DuckDB file they read the snapshot refreshed
after every run (resources/snapshot.py), with Parquet storage the files themselves. A query on the DuckDB
snapshot loads neither Dagster nor the warehouse resource, so it answers in a fraction of a second."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pipelines.commands.sql_output import FORMATS, Result, render

HELP = """Statements end with ';'. Commands:
  .tables                 tables and views
  .format FORMAT          how results print: table, csv, json or markdown
  .refresh                reopen on the newest snapshot (taken after each run)
  .help                   this text
  .quit                   leave (or Ctrl-D)"""


STALE = ("note: the warehouse changed after this snapshot was taken; `mixtape sql --refresh` takes a new one "
         "(waiting while a run writes), as does the snapshot_after_runs sensor after every run")


def run_query(query: str) -> Result:
    """The one place queries go through: a read-only session that no run waits for."""
    with reader() as con:
        return fetch(con, query)


@contextmanager
def reader() -> Iterator:
    """A read-only session: the current snapshot opened straight when the warehouse is a DuckDB file that
    has one; else through the warehouse resource (which takes the first snapshot, or reads Parquet)."""
    import duckdb

    from resources.environment import warehouse_location
    from resources.snapshot import current_snapshot_in

    data_dir, storage = warehouse_location()
    snapshot = current_snapshot_in(data_dir) if storage == "duckdb" else None
    if snapshot is None:
        from resources.snapshot import open_reader

        with open_reader(_warehouse()) as con:
            yield con
        return
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        yield con
    finally:
        con.close()


def fetch(con, query: str) -> Result:
    """The result of `query` (no columns for statements without a result)."""
    relation = con.sql(query)
    if relation is None:
        return Result([], [])
    return Result(list(relation.columns), relation.fetchall())


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
            if command == ".format" and argument.strip() in FORMATS:
                fmt = argument.strip()
            elif command == ".tables":
                say(render(fetch(con, "select table_schema as schema, table_name as name, table_type as kind "
                                      "from information_schema.tables order by all"), fmt))
            else:
                say(HELP)
            continue
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        statement, buffer = "\n".join(buffer), []
        try:
            say(render(fetch(con, statement), fmt))
        except Exception as error:  # duckdb raises many kinds; the user wants the message, not a traceback
            say(f"Error: {error}")


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
        result = run_query(query)
    except Exception as error:  # duckdb raises many kinds; the user wants the message, not a traceback
        print(f"mixtape sql: {error}", file=sys.stderr)
        return 1
    print(render(result, args.format))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sql", help="ad-hoc SQL on the warehouse (read-only, never blocks a run)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", dest="command_text", metavar="QUERY",
                        help="the query (default: a shell on a terminal, else read stdin)")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (fits the terminal, or COLUMNS), csv, json or markdown (default: table)")
    parser.add_argument("--refresh", action="store_true",
                        help="first take a fresh snapshot of the DuckDB warehouse (waits while a run writes)")
    parser.set_defaults(func=run)
