"""The warehouse: one DuckDB file (default) or Hive-partitioned Parquet, local or on S3.

Tables are declared once, as DDL in `sql/tables/`; marts are `select`s in `sql/marts/`; the
warehouse contract views are in `sql/views/`. Both storage modes expose the same schemas and
views on a DuckDB connection, so every query is the same SQL whatever the storage.

Parquet layout: `<root>/<schema>/<table>/user_id=<user>/*.parquet` for tables whose DDL has
`user_id varchar not null` (per-user partitions), `<root>/<schema>/<table>/*.parquet` otherwise. Files are
named by generation, so writes are never lost nor read twice whenever a process dies and an appended
partition stays a few files however often it is written (`live_files`, `Warehouse._write_parquet`).

The DDL is the only statement of a table's columns: `polars_schema` gives them to Python, every write is
cast to them (`_typed`), and Parquet tables are read back as exactly the declared columns (a column the
files lack reads as null). A warehouse of an earlier release is upgraded on first use
(`resources/migrations.py`).
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from fsspec.implementations.arrow import ArrowFSWrapper
from pydantic import Field

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
_TABLE_NAME = re.compile(r"create table if not exists\s+(\w+\.\w+)", re.IGNORECASE)
# `create table if not exists a.b (like a.c[, more columns]);`: the columns of a table declared before
# it (and any more)
_LIKE = re.compile(r"\(\s*like\s+(\w+\.\w+)\s*(?:,(.*))?\)\s*;", re.IGNORECASE | re.DOTALL)
_LOCK_RETRY_SECONDS = 120
log = logging.getLogger(__name__)


@cache
def table_ddl() -> dict[str, str]:
    """`schema.table` -> its DDL, from sql/tables/*.sql. A table declared `(like other.table)` gets the
    columns of that table (declared in an earlier file): tables of one shape have one declaration."""
    ddl = {}
    for path in sorted((SQL_DIR / "tables").glob("*.sql")):
        text = path.read_text()
        name = _TABLE_NAME.search(text).group(1).lower()
        if like := _LIKE.search(text):
            shape = ddl[like.group(1).lower()]
            text = _TABLE_NAME.sub(f"create table if not exists {name}", shape[shape.lower().index("create table"):], 1)
            if like.group(2):
                columns, last = text[:text.rindex(")")].rstrip().rsplit("\n", 1)
                text = f"{columns}\n{last.split('--')[0].rstrip()},\n    {like.group(2).strip()}\n);\n"
        ddl[name] = text
    return ddl


@cache
def _reference(pid: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding every declared table, empty: the DDL made queryable (one per process:
    a connection is not carried across a fork)."""
    con = duckdb.connect()
    for schema in _schemas(list(table_ddl())):
        con.execute(f"create schema if not exists {schema}")
    for ddl in table_ddl().values():
        con.execute(ddl)
    return con


_REFERENCE_LOCK = threading.Lock()


def _reference_cursor() -> duckdb.DuckDBPyConnection:
    with _REFERENCE_LOCK:
        return _reference(os.getpid()).cursor()


def _declared(table: str) -> None:
    if table not in table_ddl():
        raise KeyError(f"{table} is not declared in sql/tables")


@cache
def _declared_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    cur = _reference_cursor()
    try:
        found = cur.execute("select table_schema || '.' || table_name, column_name, data_type "
                            "from information_schema.columns order by table_schema, table_name, ordinal_position")
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, name, dtype in found.fetchall():
            columns.setdefault(table, []).append((name, dtype))
        return {table: tuple(cols) for table, cols in columns.items()}
    finally:
        cur.close()


def declared_columns(table: str) -> tuple[tuple[str, str], ...]:
    """(column, DuckDB type) of a declared table, in DDL order."""
    _declared(table)
    return _declared_columns()[table]


@cache
def _polars_schema(table: str) -> tuple[tuple[str, pl.DataType], ...]:
    _declared(table)
    cur = _reference_cursor()
    try:
        return tuple(cur.sql(f"select * from {table} limit 0").pl().schema.items())
    finally:
        cur.close()


def polars_schema(table: str, user_id: bool = True) -> dict[str, pl.DataType]:
    """A declared table's columns as the Polars types its reads return, from its DDL in sql/tables.

    `user_id=False` leaves out the user column (frames given to `Warehouse.replace_partition`)."""
    return {name: dtype for name, dtype in _polars_schema(table) if user_id or name != "user_id"}


def mart_queries() -> dict[str, str]:
    """`marts.<name>` -> its select, from sql/marts/*.sql."""
    return {f"marts.{p.stem}": p.read_text().strip().rstrip(";") for p in sorted((SQL_DIR / "marts").glob("*.sql"))}


def view_statements() -> list[str]:
    return [p.read_text() for p in sorted((SQL_DIR / "views").glob("*.sql"))]


@cache
def _partitioned_tables() -> tuple[str, ...]:
    return tuple(t for t in [*table_ddl(), *mart_queries()] if is_user_partitioned(t))


def is_user_partitioned(table: str) -> bool:
    """Per-user tables: DDL with `user_id varchar not null`, or a mart whose select has a user_id column."""
    if table in table_ddl():
        return re.search(r"\buser_id\s+varchar\s+not\s+null", table_ddl()[table], re.IGNORECASE) is not None
    return "user_id" in mart_columns(table)


def mart_columns(mart: str) -> tuple[str, ...]:
    """A mart's column names, from its select over an empty in-memory copy of the tables."""
    try:
        return _every_mart_columns()[mart]
    except KeyError:
        raise KeyError(f"no mart {mart} in sql/marts") from None


@cache
def _every_mart_columns() -> dict[str, tuple[str, ...]]:
    # One in-memory catalog for them all: marts may select from marts declared before them.
    con = duckdb.connect()
    try:
        for schema in _schemas([*table_ddl(), *mart_queries()]):
            con.execute(f"create schema if not exists {schema}")
        for ddl in table_ddl().values():
            con.execute(ddl)
        columns = {}
        for name, query in mart_queries().items():
            columns[name] = tuple(row[0] for row in con.sql(f"describe select * from ({query})").fetchall())
            con.execute(f"create table {name} as select * from ({query}) limit 0")
        return columns
    finally:
        con.close()


def _schemas(names: list[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


class _S3FS(ArrowFSWrapper):
    protocol = "s3"


class Warehouse(dg.ConfigurableResource):
    """Reads and writes mixtape's tables in DuckDB or Parquet; one place for both."""

    storage: str = Field(default="duckdb", description="'duckdb', or a Parquet root: a path or s3://bucket/prefix")
    data_dir: str = Field(default="data", description="where the DuckDB file and local state live")
    s3_endpoint_url: str | None = Field(default=None, description="S3-compatible endpoint (tests: moto server)")
    s3_region: str = "us-east-1"

    @property
    def is_duckdb(self) -> bool:
        return self.storage == "duckdb"

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        user = context.run.tags.get(_PARTITION_TAG) if context.run else None
        if user and not self.is_duckdb:
            self.sweep(user)

    @property
    def database_path(self) -> Path:
        return Path(self.data_dir) / "mixtape.duckdb"

    # -- connections -----------------------------------------------------------------------

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection on which every table, mart and contract view can be queried."""
        if self.is_duckdb:
            with _shared_cursor(self.database_path) as con:
                yield con
            return
        con = self._open_parquet()
        try:
            yield con
        finally:
            con.close()

    def upgrade(self) -> list[str]:
        """Bring the warehouse to the current layout now; the names of the migration steps it needed.

        Opening the warehouse does this once per process; a warehouse already up to date needs none."""
        if self.is_duckdb:
            self.database_path.parent.mkdir(parents=True, exist_ok=True)
            con = _connect_when_unlocked(str(self.database_path))
            try:
                return _ensure_schema(con)
            finally:
                con.close()
        return self._upgrade_parquet()

    def _upgrade_parquet(self) -> list[str]:
        """Migrate the Parquet root (one process at a time on this machine: a lock file in `data_dir`)."""
        from resources.migrations import ParquetStore, upgrade

        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(self.data_dir) / "warehouse-upgrade.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            store = ParquetStore(self)
            try:
                applied = upgrade(store)
            finally:
                store.close()
        if applied:
            log.info("warehouse %s upgraded: %s", self.storage, "; ".join(applied))
        return applied

    def _open_parquet(self) -> duckdb.DuckDBPyConnection:
        """A cursor on this process's in-memory catalog of the Parquet root, brought up to date."""
        lake = _LAKES.get((self.storage, self.s3_endpoint_url))
        if lake is None:
            self._upgrade_parquet()  # once per process, before any table is exposed
            lake = _LAKES[(self.storage, self.s3_endpoint_url)] = _Lake(duckdb.connect(), {})
            if self._is_s3:
                lake.con.register_filesystem(_S3FS(self._filesystem()))
            lake.con.execute("set parquet_metadata_cache = true")
            for schema in _schemas([*table_ddl(), *mart_queries()]):
                lake.con.execute(f"create schema if not exists {schema}")
        for attempt in range(_LISTING_ATTEMPTS):
            try:
                self._expose_listing(lake, self._files_by_table())  # one listing per connection, not per table
                break
            except duckdb.Error:  # IOException locally; on S3 the filesystem's FileNotFoundError, wrapped
                # another process replaced a partition between the listing and its view: list again
                if attempt == _LISTING_ATTEMPTS - 1:
                    raise
        return lake.con.cursor()

    def _expose_listing(self, lake: "_Lake", files: dict[str, frozenset[str]]) -> None:
        changed = [t for t in [*table_ddl(), *mart_queries()] if lake.exposed.get(t) != files.get(t, frozenset())]
        for table in changed:
            self._expose_parquet(lake, table, files.get(table, frozenset()))
        if changed:
            for view in view_statements():
                lake.con.execute(view)

    def _expose_parquet(self, lake: "_Lake", table: str, files: frozenset[str]) -> None:
        """`table` as a view over its files, or as an empty table of its declared columns.

        A declared table reads as exactly its DDL columns: one its files lack (added by a later
        release) reads as null, one the DDL no longer has is left out."""
        if table in lake.exposed:
            lake.con.execute(f"drop {'view' if lake.exposed.pop(table) else 'table'} {table}")
        if not files:
            query = mart_queries().get(table)
            lake.con.execute(table_ddl()[table] if query is None else f"create table {table} as select * from ({query}) limit 0")
        else:
            source = self.parquet_source(table, files)
            if table not in table_ddl():
                lake.con.execute(f"create view {table} as select * from {source}")
            else:
                try:
                    lake.con.execute(f"create view {table} as select {conformed_columns(table)} from {source}")
                except duckdb.BinderException:  # files without a column the DDL declares: read it as null
                    stored = {row[0] for row in lake.con.sql(f"describe select * from {source}").fetchall()}
                    lake.con.execute(f"create view {table} as select {conformed_columns(table, stored)} from {source}")
        lake.exposed[table] = files

    def parquet_source(self, table: str, files: frozenset[str] | list[str], partitioned: bool | None = None) -> str:
        """A `read_parquet` of `files` (Hive `user_id=` directories for per-user tables)."""
        partitioned = self._partitioned(table) if partitioned is None else partitioned
        hive = ("hive_partitioning = true, hive_types = {'user_id': VARCHAR}" if partitioned
                else "hive_partitioning = false")
        paths = ", ".join(f"'{self._uri(path)}'" for path in sorted(files))
        return f"read_parquet([{paths}], {hive}, union_by_name = true)"

    # -- reads -----------------------------------------------------------------------------

    def query(self, sql: str, params: list | None = None) -> pl.DataFrame:
        with self.connect() as con:
            return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()

    def read(self, table: str, user_id: str | None = None) -> pl.DataFrame:
        """A table (or mart), optionally one user's partition; empty with its columns if never written."""
        if user_id is None:
            return self.query(f"select * from {table}")
        return self.query(f"select * from {table} where user_id = ?", [user_id])

    # -- writes ----------------------------------------------------------------------------

    # Every write is cast to the table's DDL first (`_typed`): a frame may leave out columns (null) and
    # carry loosely typed ones; a column the table does not declare is an error.

    def replace_partition(self, table: str, user_id: str, df: pl.DataFrame) -> int:
        """Make `df` the whole of one user's rows in `table`; returns the row count."""
        df = _typed(table, df.with_columns(pl.lit(user_id).alias("user_id")))
        if self.is_duckdb:
            with self.connect() as con:
                con.execute("begin")
                con.execute(f"delete from {table} where user_id = ?", [user_id])
                _insert(con, table, df)
                con.execute("commit")
        else:
            self._write_parquet(table, df, user_id, replace=True)
        return df.height

    def replace_table(self, table: str, df: pl.DataFrame) -> int:
        """Make `df` the whole of `table` (shared, not per-user tables)."""
        df = _typed(table, df)
        if self.is_duckdb:
            with self.connect() as con:
                con.execute("begin")
                con.execute(f"delete from {table}")
                _insert(con, table, df)
                con.execute("commit")
        else:
            self._write_parquet(table, df, None, replace=True)
        return df.height

    def append(self, table: str, df: pl.DataFrame, user_id: str | None = None) -> int:
        """Add rows to `table` (to one user's partition when `user_id` is given)."""
        if df.is_empty():
            return 0
        if user_id is not None:
            df = df.with_columns(pl.lit(user_id).alias("user_id"))
        df = _typed(table, df)
        if self.is_duckdb:
            with self.connect() as con:
                _insert(con, table, df)
        else:
            self._write_parquet(table, df, user_id, replace=False)
        return df.height

    def append_together(self, frames: dict[str, pl.DataFrame], user_id: str) -> None:
        """Add rows to several of one user's tables at once, in order: in DuckDB over one connection and in
        one transaction (opening the file is the slow part of a small write), in Parquet one file each."""
        typed = {table: _typed(table, df.with_columns(pl.lit(user_id).alias("user_id")))
                 for table, df in frames.items() if not df.is_empty()}
        if self.is_duckdb:
            with self.connect() as con:
                con.execute("begin")
                for table, df in typed.items():
                    _insert(con, table, df)
                con.execute("commit")
        else:
            for table, df in typed.items():
                self._write_parquet(table, df, user_id, replace=False)

    def _write_parquet(self, table: str, typed: pl.DataFrame, user_id: str | None, replace: bool) -> None:
        """One new file in the table's (or user's) folder: a base holding all its rows for a replace, a part
        for an append; then files superseded a while ago are deleted, and a folder of too many live files
        compacted."""
        directory = self._table_path(table)
        if self._partitioned(table):
            if user_id is None:
                raise ValueError(f"{table} is per user: writes need a user_id")
            directory = f"{directory}/user_id={user_id}"
            typed = typed.drop("user_id")  # the Hive path carries it
        fs = self._filesystem()
        fs.create_dir(directory, recursive=True)
        held = _folder_files(fs, directory)
        written = f"{directory}/{file_name('base' if replace else 'part', next_generation(held))}"
        self._put(fs, written, typed.to_arrow())
        held[written] = datetime.now(UTC)
        held = self._collect_garbage(fs, held)
        live = live_files(held)
        if len(live) > COMPACT_ABOVE:
            # one run at a time writes a user's partition (the per-user run limit); a shared table may have
            # writers at once, so there only files older than any write takes are compacted
            young = None if self._partitioned(table) else datetime.now(UTC) - _IN_FLIGHT
            self._compact(fs, {path: held[path] for path in live}, young)

    def _compact(self, fs: pafs.FileSystem, live: dict[str, datetime], young: datetime | None) -> None:
        """Live files (those written before `young`, when given) as one base file, then the rest deleted.

        The base is named with the highest generation it holds, so readers take it in place of its files
        from the moment it exists; a part of a concurrent writer has a higher generation, or is young."""
        covered = compactable(live, young)
        if len(covered) < 2:
            return
        tables = [pq.ParquetFile(fs.open_input_file(path)).read() for path in covered]
        directory = covered[0].rsplit("/", 1)[0]
        base = f"{directory}/{file_name('base', max(generation(path) for path in covered))}"
        self._put(fs, base, pa.concat_tables(tables, promote_options="permissive"))
        self._collect_garbage(fs, _folder_files(fs, directory))

    def _put(self, fs: pafs.FileSystem, path: str, rows: pa.Table) -> None:
        """A file that exists whole or not at all: an S3 object appears when its upload completes; a local
        file is written under another name and renamed."""
        if self._is_s3:
            pq.write_table(rows, path, filesystem=fs)
            return
        pq.write_table(rows, f"{path}.partial", filesystem=fs)
        fs.move(f"{path}.partial", path)

    def sweep(self, user_id: str) -> int:
        """Delete the files a base superseded a while ago in every folder of `user_id`; how many.

        A write deletes them in the folder it writes, but a folder that is not written again (an unchanged
        playlist's tracks, after the cold sync's pages) would keep them for good, and every connection
        lists them. A user's run sweeps as it starts (`setup_for_execution`)."""
        fs = self._filesystem()
        deleted = 0
        for table in _partitioned_tables():
            held = _folder_files(fs, f"{self._table_path(table)}/user_id={user_id}")
            deleted += len(held) - len(self._collect_garbage(fs, held))
        if deleted:
            log.info("warehouse %s: %d superseded files of %s deleted", self.storage, deleted, user_id)
        return deleted

    @staticmethod
    def _collect_garbage(fs: pafs.FileSystem, held: dict[str, datetime]) -> dict[str, datetime]:
        """Delete the files a base superseded a while ago (a reader that listed them before may still be
        reading them); the files left."""
        dead = removable(held, datetime.now(UTC) - _IN_FLIGHT)
        for path in dead:
            try:
                fs.delete_file(path)
            except FileNotFoundError:  # another step of the run swept it first
                pass
        return {path: mtime for path, mtime in held.items() if path not in dead}

    # -- Parquet plumbing ------------------------------------------------------------------

    @property
    def _is_s3(self) -> bool:
        return self.storage.startswith("s3://")

    def _partitioned(self, table: str) -> bool:
        return table in _partitioned_tables()

    def _filesystem(self) -> pafs.FileSystem:
        if not self._is_s3:
            return pafs.LocalFileSystem()
        endpoint = self.s3_endpoint_url
        scheme = "http" if endpoint and endpoint.startswith("http://") else "https"
        override = endpoint.split("://", 1)[1] if endpoint else None
        return pafs.S3FileSystem(endpoint_override=override, scheme=scheme, region=self.s3_region)

    @property
    def _root_path(self) -> str:
        """The Parquet root as the pyarrow filesystem sees it (no scheme)."""
        root = self.storage.removeprefix("s3://") if self._is_s3 else str(Path(self.storage).resolve())
        return root.rstrip("/")

    def _table_path(self, table: str) -> str:
        return f"{self._root_path}/{table.replace('.', '/')}"

    def _files_by_table(self) -> dict[str, frozenset[str]]:
        """Every live Parquet file under the root, by `schema.table` (superseded ones left out)."""
        root = self._root_path
        selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
        folders: dict[tuple[str, str], set[str]] = {}
        for info in self._filesystem().get_file_info(selector):
            if info.path.endswith(".parquet"):
                schema, table = info.path[len(root) + 1:].split("/")[:2]
                folders.setdefault((f"{schema}.{table}", info.path.rsplit("/", 1)[0]), set()).add(info.path)
        tables: dict[str, set[str]] = {}
        for (table, _), paths in folders.items():
            tables.setdefault(table, set()).update(live_files(paths))
        return {table: frozenset(paths) for table, paths in tables.items()}

    def _uri(self, path: str) -> str:
        """A filesystem path as DuckDB reads it."""
        return f"s3://{path}" if self._is_s3 else path


# -- Parquet files by generation -----------------------------------------------------------------
#
# A folder (one table, or one user's partition) holds `part-<generation>-<id>.parquet` files, rows appended
# at that generation, and `base-<generation>-<id>.parquet` files, all the folder's rows up to and including
# that generation (a replace, or a compaction of the files before it). The newest base supersedes every
# other base and every part of its generation or lower: readers read only the live files, so a crash after
# a base is written and before the files it replaces are deleted reads each row once; once they have been
# superseded for a while, the next write to the folder or the next run of its user (`Warehouse.sweep`)
# deletes them. A new file's generation is one above every file in the folder. Files of an earlier release
# (`part-<id>.parquet`) are parts of generation 0.

COMPACT_ABOVE = 8  # live files in a folder beyond which a write compacts them into one base
# Longer than any write or read takes: a file superseded longer ago is read by nobody and deleted; and as a
# shared table's writers may run at once, its compaction leaves the files younger than this, so a part
# whose writer listed the folder before the compaction (and took its generation then) is never covered.
_IN_FLIGHT = timedelta(minutes=10)
_PARTITION_TAG = "dagster/partition"  # a user's run: Dagster tags a run of one partition with its key
_GENERATION_DIGITS = 10
_FILE_NAME = re.compile(r"(part|base)-(\d{%d})-[0-9a-f]+\.parquet" % _GENERATION_DIGITS)


def file_name(kind: str, generation: int) -> str:
    """A new file's name: `part` (appended rows) or `base` (the whole folder) at `generation`."""
    return f"{kind}-{generation:0{_GENERATION_DIGITS}d}-{uuid.uuid4().hex}.parquet"


def _key(path: str) -> tuple[int, str, bool]:
    """(generation, file name, whether a base): files in the order they supersede one another."""
    name = path.rsplit("/", 1)[-1]
    named = _FILE_NAME.fullmatch(name)
    return (int(named.group(2)), name, named.group(1) == "base") if named else (0, name, False)


def generation(path: str) -> int:
    return _key(path)[0]


def next_generation(paths: Iterable[str]) -> int:
    return max((generation(path) for path in paths), default=0) + 1


def live_files(paths: Iterable[str]) -> list[str]:
    """The files of one folder a reader reads: the newest base (by generation, then name) and the parts
    after it; all of them when there is no base. In generation order."""
    keyed = sorted((_key(path), path) for path in paths)
    bases = [(key, path) for key, path in keyed if key[2]]
    if not bases:
        return [path for _, path in keyed]
    (newest_generation, _, _), newest = bases[-1]
    return [newest, *(path for key, path in keyed if not key[2] and key[0] > newest_generation)]


def removable(held: dict[str, datetime], before: datetime) -> list[str]:
    """The files of one folder superseded by a base written before `before`."""
    old_bases = [_key(path) for path, mtime in held.items() if _key(path)[2] and mtime < before]
    if not old_bases:
        return []
    base = max(old_bases)
    return sorted(path for path in held if (_key(path) < base if _key(path)[2] else _key(path)[0] <= base[0]))


def compactable(live: dict[str, datetime], young: datetime | None) -> list[str]:
    """The live files a compaction may merge: all of them, or (`young` given) those of a generation below
    every file written after `young`."""
    first_young = min((generation(path) for path, mtime in live.items() if young is not None and mtime > young),
                      default=None)
    return [path for path in live_files(live) if first_young is None or generation(path) < first_young]


def _folder_files(fs: pafs.FileSystem, directory: str) -> dict[str, datetime]:
    """The Parquet files directly in `directory`, with when each was written."""
    selector = pafs.FileSelector(directory, allow_not_found=True)
    return {info.path: info.mtime for info in fs.get_file_info(selector)
            if info.type == pafs.FileType.File and info.path.endswith(".parquet")}


# Listings a Parquet connection makes before giving up when files it listed keep vanishing.
_LISTING_ATTEMPTS = 5

_SCHEMA_ENSURED: set[tuple[str, int, int]] = set()

# This process keeps one DuckDB instance per file while any connection on it is open. Opening a file
# costs ~30 ms and a run opens it a hundred times, so inside `runs_in_process()` the instance also stays
# open for a moment after use. DuckDB lets one process hold a file, so it is closed at the first idle
# moment once held a while: another process waiting for the file gets its turn within seconds.
_LINGER_SECONDS = 0.3
_HOLD_SECONDS = 2.0
_lingering = 0


@dataclass
class _SharedFile:
    con: duckdb.DuckDBPyConnection
    identity: tuple[int, int, int]  # process, device, inode: a fork or a file made anew opens afresh
    opened_at: float
    users: int = 0
    idle_timer: threading.Timer | None = None


_SHARED_LOCK = threading.Lock()
_SHARED: dict[str, _SharedFile] = {}


@contextmanager
def _shared_cursor(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on this process's shared instance of the warehouse file at `path`."""
    with _SHARED_LOCK:
        shared = _shared_file(path)
        shared.users += 1
        if shared.idle_timer is not None:
            shared.idle_timer.cancel()
            shared.idle_timer = None
        cursor = shared.con.cursor()
    try:
        yield cursor
    finally:
        cursor.close()
        with _SHARED_LOCK:
            shared.users -= 1
            if shared.users == 0:
                _release_when_idle(str(path.resolve()), shared)


def _shared_file(path: Path) -> _SharedFile:
    key = str(path.resolve())
    shared = _SHARED.get(key)
    if shared is not None and shared.identity == _identity(path):
        return shared
    if shared is not None:
        _SHARED.pop(key)
        if shared.identity[0] == os.getpid() and shared.users == 0:
            _close_shared(shared)
    con = _open_warehouse_file(path)
    shared = _SHARED[key] = _SharedFile(con, _identity(path), time.monotonic())
    return shared


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return os.getpid(), stat.st_dev, stat.st_ino


@contextmanager
def runs_in_process() -> Iterator[None]:
    """Within: warehouse files stay open between uses, for runs whose steps follow one another closely."""
    global _lingering
    with _SHARED_LOCK:
        _lingering += 1
    try:
        yield
    finally:
        with _SHARED_LOCK:
            _lingering -= 1
            for key, shared in list(_SHARED.items()):
                if not _lingering and shared.users == 0:
                    _close_if_idle(key, shared, locked=True)


def _release_when_idle(key: str, shared: _SharedFile) -> None:
    if not _lingering or time.monotonic() - shared.opened_at > _HOLD_SECONDS:
        _close_if_idle(key, shared, locked=True)
        return
    shared.idle_timer = threading.Timer(_LINGER_SECONDS, _close_if_idle, (key, shared))
    shared.idle_timer.daemon = True
    shared.idle_timer.start()


def _close_if_idle(key: str, shared: _SharedFile, locked: bool = False) -> None:
    if not locked:
        with _SHARED_LOCK:
            return _close_if_idle(key, shared, locked=True)
    if shared.users == 0 and _SHARED.get(key) is shared:
        _SHARED.pop(key)
        _close_shared(shared)


def _close_shared(shared: _SharedFile) -> None:
    if shared.idle_timer is not None:
        shared.idle_timer.cancel()
    shared.con.close()


@atexit.register
def _close_shared_files() -> None:
    with _SHARED_LOCK:
        for key, shared in list(_SHARED.items()):
            if shared.identity[0] == os.getpid():
                _SHARED.pop(key)
                _close_shared(shared)


def _open_warehouse_file(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()  # a file deleted and made again may reuse its inode
    con = _connect_when_unlocked(str(path))
    stat = path.stat()
    file_identity = (str(path.resolve()), stat.st_dev, stat.st_ino)
    if new or file_identity not in _SCHEMA_ENSURED:  # upgrading is idempotent: once per process and file is enough
        _ensure_schema(con)
        _SCHEMA_ENSURED.add(file_identity)
    return con


@dataclass
class _Lake:
    """An in-memory DuckDB catalog over a Parquet root, and the files each table was exposed with."""

    con: duckdb.DuckDBPyConnection
    exposed: dict[str, frozenset[str]]


_LAKES: dict[tuple[str, str | None], _Lake] = {}


@atexit.register
def _close_lakes() -> None:
    for lake in _LAKES.values():
        lake.con.close()


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every schema, table, mart and contract view, created where missing, and an earlier release's
    tables migrated to the current layout: all in one transaction. Returns the migration steps applied."""
    from resources.migrations import DuckDBStore, upgrade

    con.execute("begin")
    try:
        for schema in _schemas([*table_ddl(), *mart_queries()]):
            con.execute(f"create schema if not exists {schema}")
        for ddl in table_ddl().values():
            con.execute(ddl)
        applied = upgrade(DuckDBStore(con))
        for mart, query in mart_queries().items():
            con.execute(f"create table if not exists {mart} as select * from ({query}) limit 0")
        for view in view_statements():
            con.execute(view)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    if applied:
        log.info("warehouse upgraded: %s", "; ".join(applied))
    return applied


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame) -> None:
    if df.is_empty():
        return
    con.register("incoming_rows", df)
    con.execute(f"insert into {table} by name select * from incoming_rows")
    con.unregister("incoming_rows")


def _typed(table: str, df: pl.DataFrame) -> pl.DataFrame:
    """`df` as the table's declared columns and types, in DDL order (the single path of every write).

    Inserted into the empty in-memory copy of the table and read back, inside a transaction rolled
    back: DuckDB's own casts and not-null checks, the same in both storage modes. Marts pass as they are."""
    if table not in table_ddl():
        return df
    cur = _reference_cursor()
    try:
        cur.execute("begin")
        try:
            _insert(cur, table, df)
            return cur.sql(f"select * from {table}").pl()
        finally:
            cur.execute("rollback")
    finally:
        cur.close()


def conformed_columns(table: str, stored: set[str] | None = None) -> str:
    """A select list giving a declared table's columns, in DDL order and type, from rows holding the
    columns `stored` (all of them when None): a missing column is a typed null, other columns are left out."""
    def column(name: str, dtype: str) -> str:
        value = f'"{name}"' if stored is None or name in stored else "null"
        return f'cast({value} as {dtype}) as "{name}"'
    return ", ".join(column(name, dtype) for name, dtype in declared_columns(table))


def _connect_when_unlocked(path: str) -> duckdb.DuckDBPyConnection:
    """DuckDB allows one process per file: wait (bounded) for another writer to finish."""
    deadline = time.monotonic() + _LOCK_RETRY_SECONDS
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
