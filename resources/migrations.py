"""Schema migrations: a warehouse made by an earlier release is brought to the layout of `sql/tables`.

There is no version table. Each step looks at the warehouse itself (`needed`: "the old table
raw.track_objects is still there", "raw.playlists still has items_snapshot_id") and is idempotent, so
`upgrade` runs, in order, the steps a warehouse needs, and a second run finds none. A step speaks only
through a `Store`: the same few operations over the DuckDB file (all steps in the one transaction that
opens it, see `resources.warehouse._ensure_schema`) and over a Parquet root (local or S3, whose files are
split, moved and rewritten; each operation can be repeated after a crash, see `ParquetStore`).

After the steps, a column the DDL declares and a table lacks is added (DuckDB: `alter table … add
column`; Parquet needs nothing: tables are read as their declared columns, a column the files lack as null).

A new release's step goes at the end of `STEPS`: `needed` tests for the old shape, `apply` moves the
rows to the new one. Tables are only ever created from `sql/tables`, never here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import duckdb
import polars as pl
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from resources.warehouse import (
    Warehouse, _S3FS, _folder_files, _schemas, _typed, declared_columns, file_name, is_user_partitioned, live_files,
    mart_queries, next_generation, table_ddl,
)

# -- the store: what a step may do ----------------------------------------------------------------


class Store(Protocol):
    adds_columns_on_read: bool  # Parquet: a declared column the files lack reads as null, nothing to add

    def tables(self) -> set[str]:
        """Tables a step can query: every declared table, and each earlier release's table still held."""

    def columns(self, table: str) -> list[str]: ...

    def rows(self, sql: str) -> pl.DataFrame: ...

    def insert_new(self, table: str, select: str, key: Sequence[str]) -> None:
        """Add to declared `table` the rows of `select` whose `key` it does not hold yet."""

    def rebuild(self, table: str, select: str) -> None:
        """Make declared `table` the rows of `select` (which may read the table itself), as its DDL."""

    def move(self, old: str, new: str) -> None:
        """Every row of `old` into declared `new` (same columns); `old` is gone."""

    def drop(self, table: str) -> None: ...

    def add_column(self, table: str, column: str, dtype: str) -> None: ...


@dataclass(frozen=True)
class Step:
    name: str
    needed: Callable[[Store], bool]
    apply: Callable[[Store], None]


def upgrade(store: Store) -> list[str]:
    """Run every step the warehouse needs, in order; the names of those applied."""
    applied = []
    for step in [*STEPS, ADD_DECLARED_COLUMNS]:
        if step.needed(store):
            step.apply(store)
            applied.append(step.name)
    return applied


def _exists_in(alias: str, tables: Sequence[str], store: Store, where: str = "") -> str:
    """SQL: (user_id, track_id) of row `alias` is in one of `tables` (those the store holds)."""
    held = [t for t in tables if t in store.tables()]
    if not held:
        return "false"
    union = " union all ".join(f"select user_id, track_id from {t}{where}" for t in held)
    return f"exists (select 1 from ({union}) k where k.user_id = {alias}.user_id and k.track_id = {alias}.track_id)"


# -- release 2: one producing asset per table -------------------------------------------------------

OLD_TRACK_OBJECTS = "raw.track_objects"
OLD_CURSORS = "raw.sync_cursors"
OLD_HELD = "raw.liked_songs_cursor"
OLD_PLAYLIST_COLUMNS = ("items_snapshot_id", "managed")
TRACK_KEY = ("user_id", "track_id")
SYNC_KEY = ("user_id", "source", "key")


def _split_track_objects(store: Store) -> None:
    """raw.track_objects -> raw.liked_track_objects (tracks liked or held by an unfinished liked sync, and
    tracks found nowhere) and raw.playlist_track_objects (tracks in playlist items, read or staged)."""
    liked = _exists_in("o", ["raw.liked_songs", OLD_HELD, "raw.liked_songs_held"], store)
    listed = _exists_in("o", ["raw.playlist_items", "raw.playlist_items_staging"], store, " where track_id is not null")
    store.insert_new("raw.liked_track_objects", f"select o.* from {OLD_TRACK_OBJECTS} o where {liked} or not {listed}",
                     TRACK_KEY)
    store.insert_new("raw.playlist_track_objects", f"select o.* from {OLD_TRACK_OBJECTS} o where {listed}", TRACK_KEY)
    store.drop(OLD_TRACK_OBJECTS)


_REFUSED = "(readable is false and (owner_id = user_id or collaborative is true))"  # readable by the listing


def _split_sync_cursors(store: Store) -> None:
    """raw.sync_cursors -> raw.<source>_sync; raw.playlists' items_snapshot_id and Spotify's refusals
    -> rows of raw.playlist_items_sync; raw.playlists loses items_snapshot_id and managed."""
    if OLD_CURSORS in store.tables():
        for source in ("liked_songs", "playlists", "playlist_items"):
            store.insert_new(f"raw.{source}_sync", f"select * from {OLD_CURSORS} where source = '{source}'", SYNC_KEY)
    columns = store.columns("raw.playlists")
    if "items_snapshot_id" in columns:
        # a row per key: a read under way (the cursor, above) wins over a refusal, a refusal over a complete read
        store.insert_new("raw.playlist_items_sync", f"""
            select user_id, 'playlist_items' as source, playlist_id as key, snapshot_id, true as complete,
                   coalesce(unreadable_reason, 'refused') as refused
            from raw.playlists where {_REFUSED}""", SYNC_KEY)
        store.insert_new("raw.playlist_items_sync", """
            select p.user_id, 'playlist_items' as source, p.playlist_id as key, p.items_snapshot_id as snapshot_id,
                   true as complete,
                   (select count(*) from raw.playlist_items i
                    where i.user_id = p.user_id and i.playlist_id = p.playlist_id)::integer as total
            from raw.playlists p where p.items_snapshot_id is not null""", SYNC_KEY)
    gone = [c for c in OLD_PLAYLIST_COLUMNS if c in columns]
    if gone:
        # raw.playlists.readable now says what the listing allows; a refusal lives in raw.playlist_items_sync
        refused = _REFUSED if "items_snapshot_id" in columns else "false"
        store.rebuild("raw.playlists", f"""
            select * exclude ({", ".join(gone)}) replace (
                case when {refused} then true else readable end as readable,
                case when {refused} then null else unreadable_reason end as unreadable_reason)
            from raw.playlists""")
    if OLD_CURSORS in store.tables():
        store.drop(OLD_CURSORS)


FEATURES = "marts.track_features"

MANAGED = "ops.managed_playlists"

STEPS = [
    Step("split raw.track_objects into raw.liked_track_objects and raw.playlist_track_objects",
         lambda s: OLD_TRACK_OBJECTS in s.tables(), _split_track_objects),
    Step("split raw.sync_cursors into raw.liked_songs_sync, raw.playlists_sync and raw.playlist_items_sync",
         lambda s: OLD_CURSORS in s.tables() or bool(set(OLD_PLAYLIST_COLUMNS) & set(s.columns("raw.playlists"))),
         _split_sync_cursors),
    Step("rename raw.liked_songs_cursor to raw.liked_songs_held",
         lambda s: OLD_HELD in s.tables(), lambda s: s.move(OLD_HELD, "raw.liked_songs_held")),
    Step("key ops.managed_playlists by child_id (a child playlist's id; until now its name)",
         lambda s: MANAGED in s.tables() and "child_id" not in s.columns(MANAGED),
         lambda s: s.rebuild(MANAGED, f"select *, child_playlist as child_id from {MANAGED}")),
    # Parquet marts read their files by name, a column the older files lack as null
    Step("add in_library to marts.track_features (included tracks the user does not have)",
         lambda s: not s.adds_columns_on_read and FEATURES in s.tables() and "in_library" not in s.columns(FEATURES),
         lambda s: s.add_column(FEATURES, "in_library", "boolean")),
]


# -- every release: columns the DDL declares -----------------------------------------------------------


def _missing_columns(store: Store) -> list[tuple[str, str, str]]:
    if store.adds_columns_on_read:
        return []
    held, missing = store.tables(), []
    for table in table_ddl():
        if table in held:
            stored = set(store.columns(table))
            missing += [(table, name, dtype) for name, dtype in declared_columns(table) if name not in stored]
    return missing


ADD_DECLARED_COLUMNS = Step(
    "add the columns sql/tables declares",
    lambda s: bool(_missing_columns(s)),
    lambda s: [s.add_column(table, name, dtype) for table, name, dtype in _missing_columns(s)],
)


# -- DuckDB ---------------------------------------------------------------------------------------------


def _new_rows(table: str, select: str, key: Sequence[str]) -> str:
    match = " and ".join(f't."{k}" is not distinct from s."{k}"' for k in key)
    return f"select s.* from ({select}) s where not exists (select 1 from {table} t where {match})"


class DuckDBStore:
    """The warehouse's DuckDB file, on a connection inside the transaction that upgrades it."""

    adds_columns_on_read = False

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._columns: dict[str, list[str]] | None = None

    def _catalog(self) -> dict[str, list[str]]:
        """Every table of the file and its columns, in one query (read again after a change)."""
        if self._columns is None:
            self._columns = {}
            for table, column in self.con.execute(
                    "select lower(c.table_schema || '.' || c.table_name), c.column_name "
                    "from information_schema.columns c join information_schema.tables t "
                    "using (table_catalog, table_schema, table_name) "
                    "where t.table_type = 'BASE TABLE' and c.table_catalog = current_database() "
                    "order by c.ordinal_position").fetchall():
                self._columns.setdefault(table, []).append(column)
        return self._columns

    def tables(self) -> set[str]:
        return set(self._catalog())

    def columns(self, table: str) -> list[str]:
        return list(self._catalog().get(table, []))

    def rows(self, sql: str) -> pl.DataFrame:
        return self.con.sql(sql).pl()

    def _run(self, *statements: str) -> None:
        for statement in statements:
            self.con.execute(statement)
        self._columns = None

    def insert_new(self, table: str, select: str, key: Sequence[str]) -> None:
        self._run(table_ddl()[table], f"insert into {table} by name {_new_rows(table, select, key)}")

    def rebuild(self, table: str, select: str) -> None:
        self._run(f"create temp table migrating as {select}", f"drop table {table}", table_ddl()[table],
                  f"insert into {table} by name select * from migrating", "drop table migrating")

    def move(self, old: str, new: str) -> None:
        self._run(table_ddl()[new], f"insert into {new} by name select * from {old}", f"drop table {old}")

    def drop(self, table: str) -> None:
        self._run(f"drop table if exists {table}")

    def add_column(self, table: str, column: str, dtype: str) -> None:
        self._run(f'alter table {table} add column "{column}" {dtype}')


# -- Parquet --------------------------------------------------------------------------------------------

_QUALIFIED = re.compile(r"\b[a-z_]+\.[a-z_]\w*\b", re.IGNORECASE)  # schema.table in a step's SQL
_REPLACING = ".parquet.replacing"  # a partition's new content, written before its old files are deleted
_WRITING = ".parquet.writing"      # a file being written, renamed to .parquet once whole


class ParquetStore:
    """A Parquet root, its tables as the files lay them out (an earlier release's too).

    Not one transaction, so every operation is safe to repeat after a crash: new rows are added only
    where their key is missing; a partition is rewritten by writing its new file aside (`.replacing`),
    deleting the old files, then renaming it, and a `.replacing` file found on opening is finished the
    same way; a file is written under a temporary name and renamed once whole. Old tables are
    dropped last, after their rows have been written to their new homes.
    """

    adds_columns_on_read = True

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.fs = warehouse._filesystem()
        self.root = warehouse._root_path
        self._con: duckdb.DuckDBPyConnection | None = None
        self._exposed: dict[str, tuple[str, ...]] = {}  # table -> the files its view reads
        self._files: dict[str, list[str]] | None = None
        self._recover()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()

    # -- files ------------------------------------------------------------------------------------------

    def _listing(self) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(self.root, recursive=True, allow_not_found=True)
        return [info for info in self.fs.get_file_info(selector) if info.type == pafs.FileType.File]

    def _recover(self) -> None:
        """Finish what a crashed upgrade left: complete partition rewrites, discard half-written files."""
        for info in self._listing():
            if info.path.endswith(_WRITING):
                self.fs.delete_file(info.path)
            elif info.path.endswith(_REPLACING):
                self._finish_replace(info.path)

    def _finish_replace(self, replacing: str) -> None:
        directory = replacing.rsplit("/", 1)[0]
        for info in self.fs.get_file_info(pafs.FileSelector(directory, allow_not_found=True)):
            if info.type == pafs.FileType.File and info.path.endswith(".parquet"):
                self.fs.delete_file(info.path)
        self.fs.move(replacing, replacing.removesuffix(".replacing"))

    def files(self) -> dict[str, list[str]]:
        """Every Parquet file under the root, by `schema.table`."""
        if self._files is None:
            folders: dict[tuple[str, str], list[str]] = {}
            for info in self._listing():
                if info.path.endswith(".parquet"):
                    schema, table = info.path[len(self.root) + 1:].split("/")[:2]
                    folders.setdefault((f"{schema}.{table}", info.path.rsplit("/", 1)[0]), []).append(info.path)
            self._files = {}
            for (table, _), paths in folders.items():  # files a newer one supersedes are not read
                self._files.setdefault(table, []).extend(live_files(paths))
        return self._files

    def _changed(self) -> None:
        self._files = None  # listed again when next needed; only the tables whose files changed are re-exposed

    def _directory(self, table: str, user_id: str | None) -> str:
        directory = self.warehouse._table_path(table)
        return f"{directory}/user_id={user_id}" if user_id is not None else directory

    def _write(self, table: str, user_id: str | None, typed: pl.DataFrame, suffix: str) -> str:
        directory = self._directory(table, user_id)
        self.fs.create_dir(directory, recursive=True)
        path = f"{directory}/{file_name('part', next_generation(_folder_files(self.fs, directory)))}{suffix}"
        frame = typed.drop("user_id") if user_id is not None else typed
        pq.write_table(frame.to_arrow(), path, filesystem=self.fs)
        return path

    def _partitions(self, table: str, df: pl.DataFrame) -> dict[str | None, pl.DataFrame]:
        typed = _typed(table, df)
        if not is_user_partitioned(table):
            return {None: typed}
        return {user: part for (user,), part in typed.partition_by("user_id", as_dict=True).items()}

    # -- SQL over the files as they are ---------------------------------------------------------------

    def _on(self, sql: str) -> duckdb.DuckDBPyConnection:
        """A connection on which the tables `sql` names are their files as they are (a declared table
        without files: empty, as its DDL). Only those: a view reads the footers of all its files."""
        if self._con is None:
            self._con = duckdb.connect()
            if self.warehouse._is_s3:
                self._con.register_filesystem(_S3FS(self.fs))
        files = self.files()
        for schema in _schemas([*table_ddl(), *mart_queries(), *files]):
            self._con.execute(f"create schema if not exists {schema}")
        named = {name.lower() for name in _QUALIFIED.findall(sql)}
        for table in named & (set(files) | set(table_ddl()) | set(self._exposed)):
            paths = tuple(sorted(files.get(table, ())))
            if table in self._exposed and self._exposed[table] == paths:
                continue
            if table in self._exposed:
                self._con.execute(f"drop {'view' if self._exposed[table] else 'table'} {table}")
            if paths:
                partitioned = any("/user_id=" in p for p in paths)
                self._con.execute(f"create view {table} as select * from "
                                  f"{self.warehouse.parquet_source(table, paths, partitioned)}")
            elif table in table_ddl():
                self._con.execute(table_ddl()[table])
            else:
                self._exposed.pop(table)
                continue
            self._exposed[table] = paths
        return self._con

    def tables(self) -> set[str]:
        return set(table_ddl()) | set(self.files())

    def columns(self, table: str) -> list[str]:
        return [row[0] for row in self._on(table).sql(f"describe {table}").fetchall()]

    def rows(self, sql: str) -> pl.DataFrame:
        return self._on(sql).sql(sql).pl()

    # -- changes ------------------------------------------------------------------------------------------

    def insert_new(self, table: str, select: str, key: Sequence[str]) -> None:
        new = self.rows(_new_rows(table, select, key))
        if new.is_empty():
            return
        for user_id, part in self._partitions(table, new).items():
            written = self._write(table, user_id, part, _WRITING)
            self.fs.move(written, written.removesuffix(".writing"))
        self._changed()

    def rebuild(self, table: str, select: str) -> None:
        rows = self._partitions(table, self.rows(select))
        held = {None if "/user_id=" not in p else p.split("/user_id=")[1].split("/")[0]
                for p in self.files().get(table, [])}
        for user_id in held | set(rows):
            part = rows.get(user_id)
            if part is None or part.is_empty():
                self._delete(self._directory(table, user_id))
            else:
                self._finish_replace(self._write(table, user_id, part, _REPLACING))
        self._changed()

    def move(self, old: str, new: str) -> None:
        old_root, new_root = self.warehouse._table_path(old), self.warehouse._table_path(new)
        for path in self.files().get(old, []):
            target = new_root + path[len(old_root):]
            self.fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
            self.fs.move(path, target)
        self._delete(old_root)
        self._changed()

    def drop(self, table: str) -> None:
        self._delete(self.warehouse._table_path(table))
        self._changed()

    def _delete(self, directory: str) -> None:
        """A table's or partition's folder, with every file in it."""
        if self.fs.get_file_info(directory).type == pafs.FileType.Directory:
            self.fs.delete_dir(directory)

    def add_column(self, table: str, column: str, dtype: str) -> None:
        raise NotImplementedError("Parquet tables read a declared column their files lack as null")
