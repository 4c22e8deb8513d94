"""Read-only SQL sessions that never block a materialization.

DuckDB lets one process hold a database file, and even a read-only session blocks writers. So
ad-hoc SQL on the DuckDB warehouse reads a *snapshot*: after runs, `refresh_snapshot` copies the
database into `<data_dir>/snapshot/mixtape-<timestamp>.duckdb` and atomically points the
`current.duckdb` symlink at it. Readers open whatever `current.duckdb` names, read-only; the writer
never touches that file again, so it never meets their lock.

In Parquet mode the warehouse connection is already an in-memory DuckDB over the files, which
blocks nobody, so readers use it directly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from filelock import FileLock

if TYPE_CHECKING:  # only named: `mixtape sql` finds the current snapshot without loading the resource (and Dagster)
    from resources.warehouse import Warehouse

_CURRENT = "current.duckdb"
_KEEP = 3  # older snapshots stay briefly so a session that opened one a moment ago is not surprised


def snapshot_dir(warehouse: Warehouse) -> Path:
    return _snapshot_dir_in(warehouse.data_dir)


def _snapshot_dir_in(data_dir: str | Path) -> Path:
    return Path(data_dir) / "snapshot"


def current_snapshot(warehouse: Warehouse) -> Path | None:
    """The snapshot readers should open now, or None before the first refresh."""
    return current_snapshot_in(warehouse.data_dir)


def current_snapshot_in(data_dir: str | Path) -> Path | None:
    """The current snapshot of the DuckDB warehouse in `data_dir`, or None before the first refresh."""
    link = _snapshot_dir_in(data_dir) / _CURRENT
    return link.resolve() if link.exists() else None


def snapshot_is_stale(warehouse: Warehouse) -> bool:
    """The warehouse file changed after the current snapshot was taken (DuckDB mode only)."""
    snapshot = current_snapshot(warehouse)
    if not warehouse.is_duckdb or snapshot is None:
        return False
    written = _warehouse_written_at(warehouse)
    return written is not None and written > snapshot.stat().st_mtime


def refresh_snapshot(warehouse: Warehouse) -> Path | None:
    """Copy the DuckDB warehouse into a fresh snapshot file and make it current.

    Returns the new snapshot's path (None in Parquet mode, where readers need no snapshot).
    Waits, as every writer does, while another process holds the warehouse.
    """
    if not warehouse.is_duckdb:
        return None
    directory = snapshot_dir(warehouse)
    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / ".lock")):
        target = directory / _snapshot_name(datetime.now(UTC).replace(tzinfo=None))
        _copy_database(warehouse, target)
        _stamp_with_warehouse_time(warehouse, target)
        _point_current_at(directory, target)
        _prune(directory, keep=target)
    return target


@contextmanager
def open_reader(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for ad-hoc SQL that no materialization ever waits for."""
    if not warehouse.is_duckdb:
        with warehouse.connect() as con:
            yield con
        return
    path = current_snapshot(warehouse) or refresh_snapshot(warehouse)
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def _snapshot_name(taken_at: datetime) -> str:
    # Sortable by time; the suffix keeps two refreshes in the same microsecond apart.
    return f"mixtape-{taken_at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}.duckdb"


def _copy_database(warehouse: Warehouse, target: Path) -> None:
    partial = target.with_suffix(".partial")
    with warehouse.connect() as con:
        source = con.sql("select current_database()").fetchall()[0][0]
        con.execute(f"attach '{partial}' as snapshot_target")
        try:
            con.execute(f'copy from database "{source}" to snapshot_target')
        finally:
            con.execute("detach snapshot_target")
    partial.rename(target)


def _warehouse_written_at(warehouse: Warehouse) -> float | None:
    files = [warehouse.database_path, Path(f"{warehouse.database_path}.wal")]
    times = [p.stat().st_mtime for p in files if p.exists()]
    return max(times) if times else None


def _stamp_with_warehouse_time(warehouse: Warehouse, target: Path) -> None:
    # Opening the warehouse touches its file (DDL is re-applied), so the copy would look older than
    # its source: give the snapshot the warehouse's own time, which it faithfully reflects.
    written = _warehouse_written_at(warehouse)
    if written is not None:
        os.utime(target, (written, written))


def _point_current_at(directory: Path, target: Path) -> None:
    staged = directory / f".{_CURRENT}.{uuid.uuid4().hex}"
    staged.symlink_to(target.name)
    os.replace(staged, directory / _CURRENT)  # atomic: a reader sees the old or the new, never none


def _prune(directory: Path, keep: Path) -> None:
    snapshots = sorted(directory.glob("mixtape-*.duckdb"))
    for old in snapshots[:-_KEEP]:
        if old != keep:
            # An open reader keeps its file: on POSIX the data lives until it closes.
            old.unlink(missing_ok=True)
            old.with_suffix(".duckdb.wal").unlink(missing_ok=True)
