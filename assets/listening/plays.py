"""Plays from three sources, per user, and the one `marts.plays` table that counts each play once.

- `listening/recently_played`: one read of /me/player/recently-played after the newest play held (the
  sensor in `assets/listening/sensors.py` decides when), with the poll's log the schedule adapts to.
- `listening/streaming_history`: the export files dropped in `<data dir>/imports/<user>/` (the
  `Streaming_History_Audio_*.json` files or the zip holding them), each file read once, each play
  added once; only the fields `plays_import.EXPORT_FIELDS` names are ever read.
- `listening/lastfm_scrobbles`: the scrobbles of the user's Last.fm account (MIXTAPE_LASTFM_USERS)
  since the newest held.
- `listening/plays`: the three merged (`plays_merge`).
"""

import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl

from assets.listening.plays_import import epoch_ms, export_key, export_rows, is_export_file, new_export_rows, recently_played_rows
from assets.listening.plays_merge import merge_plays
from assets.partitions import spotify_users
from assets.spend import record_spend
from assets.spotify.state import read_tables
from assets.tables import table_metadata, table_spec
from resources.budget import OutOfBudget, pausable, utc_naive
from resources.clock import REAL_TIME, clock_or_real
from resources.lastfm import LastfmResource
from resources.spotify import SpotifyResource
from resources.warehouse import Warehouse

RECENTLY_PLAYED = "raw.recently_played"
POLLS = "raw.recently_played_polls"
HISTORY = "raw.streaming_history"
HISTORY_FILES = "raw.streaming_history_files"
SCROBBLES = "raw.lastfm_scrobbles"
PLAYS = "marts.plays"

RECENTLY_PLAYED_KEY = dg.AssetKey(["listening", "recently_played"])
POLLS_KEY = dg.AssetKey(["listening", "recently_played_polls"])
HISTORY_KEY = dg.AssetKey(["listening", "streaming_history"])
HISTORY_FILES_KEY = dg.AssetKey(["listening", "streaming_history_files"])
SCROBBLES_KEY = dg.AssetKey(["listening", "lastfm_scrobbles"])
PLAYS_KEY = dg.AssetKey(["listening", "plays"])


def imports_dir(data_dir: str | Path, user: str) -> Path:
    """Where a user drops Spotify's Extended Streaming History export."""
    return Path(data_dir) / "imports" / user


# -- recently played ----------------------------------------------------------------------------


@dg.multi_asset(
    specs=[
        table_spec(RECENTLY_PLAYED_KEY.path, RECENTLY_PLAYED, "The user's plays read from Spotify's recently-played "
                   "(the last 50 at each poll), each once.", kinds={"spotify"}),
        table_spec(POLLS_KEY.path, POLLS, "Each read of the user's recently-played: when, the cursor, the new plays "
                   "it returned (the poll schedule adapts to them).", kinds={"spotify"}),
    ],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def recently_played(context: dg.AssetExecutionContext, warehouse: Warehouse,
                    spotify: SpotifyResource) -> Iterator[dg.MaterializeResult]:
    """One read of recently-played after the newest play held, and its line in the poll log."""
    user = context.partition_key
    tables = read_tables(warehouse, user, [RECENTLY_PLAYED, POLLS])
    newest = tables[RECENTLY_PLAYED]["played_at"].max()
    previous = tables[POLLS]["polled_at"].max()
    after_ms = epoch_ms(newest) if newest is not None else None
    now = spotify.time_source.now()
    try:
        page = pausable(lambda: spotify.recently_played(user, after_ms))
    except OutOfBudget as paused:
        context.log.info("recently-played not read: %s", paused)
        yield dg.MaterializeResult(asset_key=RECENTLY_PLAYED_KEY, metadata={"new_plays": 0, "paused": str(paused)})
        yield dg.MaterializeResult(asset_key=POLLS_KEY, metadata={"polls_added": 0})
        return
    rows = [r for r in recently_played_rows(page) if newest is None or r["played_at"] > newest]
    poll = {"polled_at": now, "after_ms": after_ms, "plays": len(rows), "full_page": len(page.get("items") or []) >= 50,
            "since_previous_s": (now - previous).total_seconds() if previous is not None else None}
    warehouse.append_together({
        RECENTLY_PLAYED: pl.DataFrame([{**r, "polled_at": now} for r in rows], infer_schema_length=None),
        POLLS: pl.DataFrame([poll]),
    }, user)
    if poll["full_page"] and newest is not None:
        context.log.warning("recently-played returned a full page for %s: plays older than %s may be lost",
                            user, rows[0]["played_at"] if rows else "?")
    yield dg.MaterializeResult(asset_key=RECENTLY_PLAYED_KEY, metadata={
        "new_plays": len(rows), "full_page": poll["full_page"], "minimum_requests": 1,
        **record_spend(context, spotify.ledger)})
    yield dg.MaterializeResult(asset_key=POLLS_KEY, metadata={"polls_added": 1})


# -- the export ----------------------------------------------------------------------------------


def export_files(directory: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every export file in the directory, zips opened, in name order."""
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for member in sorted(archive.namelist()):
                    if is_export_file(member):
                        yield f"{path.name}/{member}", archive.read(member)
        elif is_export_file(path.name):
            yield path.name, path.read_bytes()


@dg.multi_asset(
    specs=[
        table_spec(HISTORY_KEY.path, HISTORY, "The user's music plays from Spotify's Extended Streaming History export "
                   "files, each once; IP address, user agent and country are never read.", kinds={"json"}),
        table_spec(HISTORY_FILES_KEY.path, HISTORY_FILES, "Each export file imported, by content: a file dropped "
                   "again is not read again.", kinds={"json"}),
    ],
    partitions_def=spotify_users,
    pool="duckdb_write",
)
def streaming_history(context: dg.AssetExecutionContext, warehouse: Warehouse) -> Iterator[dg.MaterializeResult]:
    """Imports the export files new in the user's imports folder, adding only plays not held yet."""
    user = context.partition_key
    tables = read_tables(warehouse, user, [HISTORY, HISTORY_FILES])
    seen = set(tables[HISTORY_FILES]["digest"].to_list())
    known = {export_key(row) for row in tables[HISTORY].to_dicts()}
    now = REAL_TIME.now()  # when it was imported: informative only
    plays, files = [], []
    for name, content in export_files(imports_dir(warehouse.data_dir, user)):
        digest = hashlib.sha256(content).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        rows = export_rows(content.decode("utf-8"))
        fresh = new_export_rows(rows, known)
        plays += [{**row, "file_name": name, "imported_at": now} for row in fresh]
        files.append({"file_name": name, "digest": digest, "plays": len(rows), "added": len(fresh), "imported_at": now})
    warehouse.append_together({HISTORY: pl.DataFrame(plays, infer_schema_length=None),
                               HISTORY_FILES: pl.DataFrame(files)}, user)
    yield dg.MaterializeResult(asset_key=HISTORY_KEY, metadata={"plays_added": len(plays)})
    yield dg.MaterializeResult(asset_key=HISTORY_FILES_KEY, metadata={
        "files_imported": dg.MetadataValue.json([f["file_name"] for f in files])})


# -- Last.fm -------------------------------------------------------------------------------------


@dg.asset(
    key=SCROBBLES_KEY.path,
    group_name="listening",
    kinds={"lastfm"},
    partitions_def=spotify_users,
    pool="duckdb_write",
    metadata=table_metadata(SCROBBLES),
)
def lastfm_scrobbles(context: dg.AssetExecutionContext, warehouse: Warehouse, lastfm: LastfmResource) -> dg.MaterializeResult:
    """The scrobbles of the user's Last.fm account since the newest held (none without a configured account)."""
    user = context.partition_key
    name = lastfm.username_of(user)
    if name is None:
        return dg.MaterializeResult(metadata={"lastfm_user": "none configured", "scrobbles_added": 0})
    held = read_tables(warehouse, user, [SCROBBLES])[SCROBBLES]
    newest = held.filter(pl.col("lastfm_user") == name)["started_at"].max()
    since = epoch_ms(newest) // 1000 + 1 if newest is not None else 0
    scrobbles = lastfm.client().recent_tracks(name, since)
    read_at = clock_or_real(lastfm.clock).now()
    rows = [{"lastfm_user": name, "started_at": utc_naive(s.started_at), "track_name": s.track, "artist_name": s.artist,
             "album_name": s.album, "read_at": read_at} for s in scrobbles]
    warehouse.append(SCROBBLES, pl.DataFrame(rows, infer_schema_length=None), user)
    return dg.MaterializeResult(metadata={"lastfm_user": name, "scrobbles_added": len(rows)})


# -- the one plays table ---------------------------------------------------------------------------


@dg.asset(
    key=PLAYS_KEY.path,
    group_name="listening",
    kinds={"duckdb"},
    partitions_def=spotify_users,
    pool="duckdb_write",
    deps=[RECENTLY_PLAYED_KEY, HISTORY_KEY, SCROBBLES_KEY],
    metadata=table_metadata(PLAYS),
)
def plays(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Every play of the user once, merged from the export, recently-played and Last.fm (overlaps counted once)."""
    user = context.partition_key
    tables = read_tables(warehouse, user, [HISTORY, RECENTLY_PLAYED, SCROBBLES])
    merged = merge_plays(tables[HISTORY].sort("played_at").to_dicts(), tables[RECENTLY_PLAYED].sort("played_at").to_dicts(),
                         tables[SCROBBLES].sort("started_at").to_dicts())
    warehouse.replace_partition(PLAYS, user, pl.DataFrame(merged, infer_schema_length=None))
    by_source = {s: sum(1 for p in merged if p["source"] == s) for s in ("export", "recently_played", "lastfm")}
    return dg.MaterializeResult(metadata={"plays": len(merged), "by_source": dg.MetadataValue.json(by_source)})


LISTENING_PLAY_ASSETS = [recently_played, streaming_history, lastfm_scrobbles, plays]

defs = dg.Definitions(assets=LISTENING_PLAY_ASSETS)
