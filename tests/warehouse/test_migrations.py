"""A warehouse made by the previous release upgrades itself on first use, every row kept, in both storages.

`previous_schema/` is the previous release's `sql/` (tables, marts, views), owned by this test. The old
warehouse is built from it as that release laid it out: one DuckDB file with its tables, mart tables
and views, or Parquet files under `<root>/<schema>/<table>/user_id=<user>/` (per-user tables) and
`<root>/<schema>/<table>/` (shared ones).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from assets.playlists.push import SyncStore, orphaned_children
from resources.warehouse import SQL_DIR, Warehouse, polars_schema, table_ddl

PREVIOUS = Path(__file__).parent / "previous_schema"
USERS = ["alice", "bob", "carol"]
NAME = re.compile(r"create (?:table if not exists|or replace view)\s+([\w.]+)", re.IGNORECASE)

# -- the old warehouse's rows ----------------------------------------------------------------------------

T = datetime(2024, 3, 1, 12)

# Rows whose values matter to the migration; every other column gets a generated value.
EXPLICIT = {
    "raw.liked_songs": [
        {"user_id": "alice", "track_id": "t1"}, {"user_id": "alice", "track_id": "t2"},
        {"user_id": "bob", "track_id": "t5"},
    ],
    "raw.liked_songs_cursor": [  # bob's liked sync stopped part-way, holding the top of his Liked Songs
        {"user_id": "bob", "position": 0, "track_id": "t6"}, {"user_id": "bob", "position": 1, "track_id": "t5"},
    ],
    "raw.playlist_items": [
        {"user_id": "alice", "playlist_id": "p1", "position": 0, "item_type": "track", "track_id": "t2"},
        {"user_id": "alice", "playlist_id": "p1", "position": 1, "item_type": "track", "track_id": "t3"},
        {"user_id": "alice", "playlist_id": "p1", "position": 2, "item_type": "episode", "track_id": None},
        {"user_id": "bob", "playlist_id": "p3", "position": 0, "item_type": "track", "track_id": "t7"},
    ],
    "raw.playlist_items_staging": [  # bob's read of p4 at snapshot s4b was cut short
        {"user_id": "bob", "playlist_id": "p4", "snapshot_id": "s4b", "position": 0, "item_type": "track",
         "track_id": "t8"},
    ],
    "raw.track_objects": [{"user_id": u, "track_id": t} for u, tracks in
                          {"alice": ["t1", "t2", "t3", "t9"], "bob": ["t5", "t6", "t7", "t8", "t10"]}.items()
                          for t in tracks],
    "raw.sync_cursors": [
        {"user_id": "alice", "source": "liked_songs", "key": "", "complete": True, "next_offset": None},
        {"user_id": "alice", "source": "playlists", "key": "", "complete": True, "next_offset": None},
        {"user_id": "bob", "source": "liked_songs", "key": "", "complete": False, "next_offset": 2},
        {"user_id": "bob", "source": "playlists", "key": "", "complete": True, "next_offset": None},
        {"user_id": "bob", "source": "playlist_items", "key": "p4", "snapshot_id": "s4b", "complete": False,
         "next_offset": 100},
        {"user_id": "carol", "source": "playlists", "key": "", "complete": True, "next_offset": None},
    ],
    "raw.playlists": [
        # read at its snapshot
        {"user_id": "alice", "playlist_id": "p1", "owner_id": "alice", "collaborative": False, "snapshot_id": "s1",
         "items_snapshot_id": "s1", "readable": True, "unreadable_reason": None, "managed": False},
        # refused by Spotify (its listing allowed reading it), after an earlier read
        {"user_id": "alice", "playlist_id": "p2", "owner_id": "alice", "collaborative": False, "snapshot_id": "s2",
         "items_snapshot_id": "s2-old", "readable": False, "unreadable_reason": "403 Forbidden", "managed": False},
        # made by mixtape
        {"user_id": "alice", "playlist_id": "pm", "owner_id": "alice", "collaborative": False, "snapshot_id": "sm",
         "items_snapshot_id": "sm", "readable": True, "unreadable_reason": None, "managed": True},
        # not readable by its listing: someone else's
        {"user_id": "alice", "playlist_id": "px", "owner_id": "someone", "collaborative": False, "snapshot_id": "sx",
         "items_snapshot_id": None, "readable": False, "unreadable_reason": "owned by someone else", "managed": False},
        {"user_id": "bob", "playlist_id": "p3", "owner_id": "bob", "collaborative": False, "snapshot_id": "s3",
         "items_snapshot_id": "s3", "readable": True, "unreadable_reason": None, "managed": False},
        # read at s4a, being read again at s4b
        {"user_id": "bob", "playlist_id": "p4", "owner_id": "bob", "collaborative": False, "snapshot_id": "s4b",
         "items_snapshot_id": "s4a", "readable": True, "unreadable_reason": None, "managed": False},
        # collaborative, refused
        {"user_id": "bob", "playlist_id": "p5", "owner_id": "someone", "collaborative": True, "snapshot_id": "s5",
         "items_snapshot_id": None, "readable": False, "unreadable_reason": "404 Not Found", "managed": False},
        # never read
        {"user_id": "carol", "playlist_id": "p6", "owner_id": "carol", "collaborative": False, "snapshot_id": "s6",
         "items_snapshot_id": None, "readable": True, "unreadable_reason": None, "managed": False},
    ],
    "ops.managed_playlists": [{"user_id": "alice", "playlist_id": "pm", "part": 1}],
}


def generated(column: str, dtype: str, i: int):
    """A distinct value of `dtype` for row `i`."""
    if dtype == "VARCHAR":
        return f"{column}-{i}"
    if dtype == "VARCHAR[]":
        return [f"{column}-{i}-a", f"{column}-{i}-b"]
    if dtype == "BOOLEAN":
        return i % 2 == 0
    if dtype == "TIMESTAMP":
        return T + timedelta(days=i, minutes=i)
    if dtype == "DATE":
        return date(2024, 1, 1) + timedelta(days=31 * i)
    return i + 1


def previous_catalog(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The previous release's tables, mart tables and views on `con`, every table filled; its tables."""
    for schema in ("raw", "enrich", "ops", "marts"):
        con.execute(f"create schema if not exists {schema}")
    tables = []
    for path in sorted((PREVIOUS / "tables").glob("*.sql")):
        con.execute(path.read_text())
        tables.append(NAME.search(path.read_text()).group(1))
    for path in sorted((PREVIOUS / "marts").glob("*.sql")):
        query = path.read_text().strip().rstrip(";")
        con.execute(f"create table marts.{path.stem} as select * from ({query}) limit 0")
        tables.append(f"marts.{path.stem}")
    for path in sorted((PREVIOUS / "views").glob("*.sql")):
        con.execute(path.read_text())
    for table in tables:
        columns = columns_of(con, table)
        explicit = EXPLICIT.get(table)
        if explicit is None:  # two rows per user, or three shared rows
            explicit = [{"user_id": u} for u in USERS for _ in range(2)] if "user_id" in columns else [{}] * 3
        rows = [{c: row[c] if c in row else generated(c, t, i) for c, t in columns.items()}
                for i, row in enumerate(explicit)]
        frame = pl.DataFrame(rows, infer_schema_length=None)
        con.register("incoming", frame)
        con.execute(f"insert into {table} by name select * from incoming")
        con.unregister("incoming")
    return tables


def columns_of(con, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    return dict(con.execute("select column_name, data_type from information_schema.columns where table_schema = ? "
                            "and table_name = ? order by ordinal_position", [schema, name]).fetchall())


def per_user(con, table: str) -> bool:
    """The previous release's rule: DDL `user_id varchar not null`, or a mart with a user_id column."""
    path = PREVIOUS / "tables" / f"{table.replace('.', '_')}.sql"
    if path.exists():
        return re.search(r"\buser_id\s+varchar\s+not\s+null", path.read_text(), re.IGNORECASE) is not None
    return "user_id" in columns_of(con, table)


def write_previous_parquet(con, tables: list[str], fs: pafs.FileSystem, root: str) -> None:
    for table in tables:
        frame = con.sql(f"select * from {table}").pl()
        directory = f"{root}/{table.replace('.', '/')}"
        parts = ({u: p.drop("user_id") for (u,), p in frame.partition_by("user_id", as_dict=True).items()}
                 if per_user(con, table) else {None: frame})
        for user, part in parts.items():
            folder = directory if user is None else f"{directory}/user_id={user}"
            fs.create_dir(folder, recursive=True)
            pq.write_table(part.to_arrow(), f"{folder}/part-{uuid.uuid4().hex}.parquet", filesystem=fs)


def previous_warehouse(storage: str, tmp_path: Path, s3_endpoint: str | None = None,
                       schemas=("raw", "enrich", "ops", "marts")):
    """(the previous release's rows and views, by name; the current Warehouse over that warehouse).
    Parquet: only the tables of `schemas` are written."""
    old = duckdb.connect(str(tmp_path / "mixtape.duckdb") if storage == "duckdb" else ":memory:")
    tables = previous_catalog(old)
    before = {name: old.sql(f"select * from {name}").pl() for name in tables}
    views = [NAME.search(p.read_text()).group(1) for p in sorted((PREVIOUS / "views").glob("*.sql"))]
    before_views = {name: old.sql(f"select * from {name}").pl() for name in views}
    warehouse = Warehouse(storage=storage, data_dir=str(tmp_path), s3_endpoint_url=s3_endpoint)
    if storage != "duckdb":
        write_previous_parquet(old, [t for t in tables if t.split(".")[0] in schemas], warehouse._filesystem(),
                               warehouse._root_path)
    old.close()
    return before, before_views, warehouse


@pytest.fixture(params=["duckdb", "parquet"])
def upgraded(request, tmp_path):
    return previous_warehouse("duckdb" if request.param == "duckdb" else str(tmp_path / "lake"), tmp_path)


def rows(frame: pl.DataFrame, columns: list[str] | None = None) -> list[tuple]:
    return sorted(frame.select(columns or frame.columns).rows(), key=repr)


def only(frame: pl.DataFrame, column: str, values) -> pl.DataFrame:
    return frame.filter(pl.struct(["user_id", column]).map_elements(lambda r: (r["user_id"], r[column]) in values,
                                                                    return_dtype=pl.Boolean))


# -- the test ----------------------------------------------------------------------------------------------


def test_previous_release_upgrades_with_every_row_kept(upgraded):
    before, before_views, warehouse = upgraded

    # first use upgrades: every table moved, split or reshaped is in its new home
    objects = before["raw.track_objects"]
    liked = {("alice", "t1"), ("alice", "t2"), ("alice", "t9"), ("bob", "t5"), ("bob", "t6"), ("bob", "t10")}
    listed = {("alice", "t2"), ("alice", "t3"), ("bob", "t7"), ("bob", "t8")}
    assert rows(warehouse.read("raw.liked_track_objects")) == rows(only(objects, "track_id", liked))
    assert rows(warehouse.read("raw.playlist_track_objects")) == rows(only(objects, "track_id", listed))

    cursors = before["raw.sync_cursors"]
    for source in ("liked_songs", "playlists"):
        assert rows(warehouse.read(f"raw.{source}_sync")) == rows(cursors.filter(pl.col("source") == source))
    items_sync = warehouse.read("raw.playlist_items_sync")
    assert items_sync.height == 6
    cursor_row = cursors.filter(pl.col("source") == "playlist_items")
    being_read = items_sync.filter(pl.col("refused").is_null() & ~pl.col("complete"))
    assert rows(being_read, cursors.columns) == rows(cursor_row)
    derived = items_sync.filter(pl.col("complete")).select("user_id", "source", "key", "snapshot_id", "total",
                                                           "refused")
    assert rows(derived) == sorted([
        ("alice", "playlist_items", "p1", "s1", 3, None),
        ("alice", "playlist_items", "p2", "s2", None, "403 Forbidden"),
        ("alice", "playlist_items", "pm", "sm", 0, None),
        ("bob", "playlist_items", "p3", "s3", 1, None),
        ("bob", "playlist_items", "p5", "s5", None, "404 Not Found"),
    ], key=repr)

    playlists = warehouse.read("raw.playlists")
    assert playlists.columns == list(polars_schema("raw.playlists"))
    old_playlists = before["raw.playlists"].drop("items_snapshot_id", "managed").with_columns(
        pl.when(pl.col("playlist_id").is_in(["p2", "p5"])).then(True).otherwise(pl.col("readable")).alias("readable"),
        pl.when(pl.col("playlist_id").is_in(["p2", "p5"])).then(None).otherwise(pl.col("unreadable_reason"))
        .alias("unreadable_reason"))
    assert rows(playlists) == rows(old_playlists, playlists.columns)

    assert rows(warehouse.read("raw.liked_songs_held")) == rows(before["raw.liked_songs_cursor"])

    # every other table, and every mart, as it was
    moved = {"raw.track_objects", "raw.sync_cursors", "raw.playlists", "raw.liked_songs_cursor"}
    for table, frame in before.items():
        if table not in moved:
            assert rows(warehouse.read(table), frame.columns) == rows(frame), table

    # managed playlists are keyed by their child playlist's id, which until now was its name
    managed = warehouse.read("ops.managed_playlists")
    assert managed.height and managed["child_id"].to_list() == managed["child_playlist"].to_list()

    # the old tables and columns are gone
    with warehouse.connect() as con:
        stored = {f"{s}.{t}" for s, t in con.execute("select table_schema, table_name from information_schema.tables "
                                                     "where table_type = 'BASE TABLE'").fetchall()}
    held = stored if warehouse.is_duckdb else set(warehouse._files_by_table())
    assert not held & {"raw.track_objects", "raw.sync_cursors", "raw.liked_songs_cursor"}

    # the contract views answer, with the rows they gave before (playlists: refusals now from the sync table)
    for view, frame in before_views.items():
        assert rows(warehouse.query(f"select * from {view}"), frame.columns) == rows(frame), view
    view = warehouse.query("select playlist_id, readable, managed, unreadable_reason, items_snapshot_id from playlists")
    assert rows(view) == sorted([
        ("p1", True, False, None, "s1"), ("p2", False, False, "403 Forbidden", None), ("pm", True, True, None, "sm"),
        ("px", False, False, "owned by someone else", None), ("p3", True, False, None, "s3"),
        ("p4", True, False, None, None), ("p5", False, False, "404 Not Found", None), ("p6", True, False, None, None),
    ], key=repr)

    # reads give the declared types
    for table in table_ddl():
        assert dict(warehouse.read(table).schema) == polars_schema(table), table

    # a second open changes nothing
    files = warehouse._files_by_table() if not warehouse.is_duckdb else None
    assert warehouse.upgrade() == []
    if files is not None:
        assert warehouse._files_by_table() == files
    assert rows(warehouse.read("raw.playlist_items_sync")) == rows(items_sync)


def test_a_managed_playlist_of_the_previous_release_stays_with_its_rule(upgraded):
    """Found under its rule's name (the id of a rule without one), never reported as orphaned."""
    _, _, warehouse = upgraded
    (row,) = SyncStore(warehouse, "alice").managed
    child = row["child_playlist"]
    assert SyncStore(warehouse, "alice").managed_parts(child) == {1: row}
    assert orphaned_children(warehouse, "alice", {child: {"child_id": child}}) == []
    assert orphaned_children(warehouse, "alice", {}) == [child]


def test_previous_release_upgrades_on_s3(s3_bucket, moto_endpoint, tmp_path):
    """The same upgrade over S3 (files split, moved and rewritten through the S3 filesystem); raw tables
    only, counts only (every request goes to the moto server)."""
    before, _, warehouse = previous_warehouse(s3_bucket, tmp_path, moto_endpoint, schemas=("raw",))
    assert len(warehouse.upgrade()) == 3
    counts = warehouse.query(
        "select (select count(*) from raw.liked_track_objects), (select count(*) from raw.playlist_track_objects), "
        "(select count(*) from raw.liked_songs_sync), (select count(*) from raw.playlists_sync), "
        "(select count(*) from raw.playlist_items_sync), (select count(*) from raw.liked_songs_held), "
        "(select count(*) from raw.playlists), (select count(*) from playlists where not readable)").rows()
    assert counts == [(6, 4, 2, 3, 6, before["raw.liked_songs_cursor"].height, before["raw.playlists"].height, 3)]
    assert not set(warehouse._files_by_table()) & {"raw.track_objects", "raw.sync_cursors", "raw.liked_songs_cursor"}
    assert warehouse.upgrade() == []


@pytest.mark.parametrize("storage", ["duckdb", "parquet"])
def test_a_column_the_ddl_adds_reaches_an_existing_table(storage, tmp_path):
    """DuckDB: added to the table; Parquet: files without it read it as null."""
    if storage == "duckdb":
        con = duckdb.connect(str(tmp_path / "mixtape.duckdb"))
        con.execute("create schema raw")
        con.execute(table_ddl()["raw.tracks"])
        con.execute("alter table raw.tracks drop column popularity")
        con.execute("insert into raw.tracks (user_id, track_id, name) values ('alice', 't1', 'one')")
        con.close()
        warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    else:
        folder = tmp_path / "lake" / "raw" / "tracks" / "user_id=alice"
        folder.mkdir(parents=True)
        pq.write_table(pl.DataFrame({"track_id": ["t1"], "name": ["one"]}).to_arrow(), folder / "part-0.parquet")
        warehouse = Warehouse(storage=str(tmp_path / "lake"), data_dir=str(tmp_path))
    frame = warehouse.read("raw.tracks")
    assert frame.columns == list(polars_schema("raw.tracks"))
    assert frame.select("user_id", "track_id", "name", "popularity").rows() == [("alice", "t1", "one", None)]
    assert frame.schema["popularity"] == pl.Int32
    assert warehouse.upgrade() == []


def test_a_parquet_rewrite_cut_short_is_finished_on_the_next_open(tmp_path):
    """A partition's new file written aside (`.replacing`) replaces the old files when the upgrade resumes."""
    lake = tmp_path / "lake"
    folder = lake / "raw" / "liked_songs" / "user_id=alice"
    folder.mkdir(parents=True)
    pq.write_table(pl.DataFrame({"track_id": ["old"]}).to_arrow(), folder / "part-a.parquet")
    pq.write_table(pl.DataFrame({"track_id": ["new"]}).to_arrow(), folder / "part-b.parquet.replacing")
    pq.write_table(pl.DataFrame({"track_id": ["half"]}).to_arrow(), folder / "part-c.parquet.writing")
    warehouse = Warehouse(storage=str(lake), data_dir=str(tmp_path))
    assert warehouse.read("raw.liked_songs")["track_id"].to_list() == ["new"]
    assert sorted(p.name for p in folder.iterdir()) == ["part-b.parquet"]


def test_the_ddl_is_the_only_declaration_of_tables():
    """One `create table if not exists` per file of sql/tables, none anywhere else in sql/."""
    declared = [p for p in SQL_DIR.rglob("*.sql") for _ in re.findall(r"create table if not exists", p.read_text(), re.I)]
    assert sorted(declared) == sorted((SQL_DIR / "tables").glob("*.sql"))
