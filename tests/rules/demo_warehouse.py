"""The demo library in a DuckDB warehouse, as ingestion and enrichment would leave it, with features built."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from assets.normalise import normalise
from assets.playlists.tracklists import child_playlist_tracks, refresh_name_keys, track_features
from sandbox import top
from sandbox.library import Library
from sandbox.plays import listening
from resources.rule_file import RuleFile
from resources.warehouse import Warehouse
from tests.sql.demo import seed_raw_tables

FETCHED = datetime(2026, 11, 1)


def seed_enrichment(warehouse: Warehouse, library: Library) -> None:
    """The enrichment caches as the enrichment assets store them: hits keyed by ISRC or normalised names."""
    e = library.enrichment
    stamp = {"status": "hit", "fetched_at": FETCHED, "expires_at": FETCHED + timedelta(days=30)}
    tables = {
        "enrich.deezer_tracks": [{"isrc": d.isrc, "deezer_id": d.id, "bpm": d.bpm or None, "bpm_raw": d.bpm,
                                  "gain": d.gain, "rank": d.rank, "source": "deezer", **stamp} for d in e.deezer],
        "enrich.lastfm_tracks": [{"artist_key": normalise(t.artist), "track_key": normalise(t.track),
                                  "artist": t.artist, "track": t.track, "listeners": t.listeners,
                                  "playcount": t.playcount, "tags": t.tags, "source": "lastfm", **stamp}
                                 for t in e.lastfm_tracks],
        "enrich.lastfm_artists": [{"artist_key": normalise(a.artist), "artist": a.artist, "listeners": a.listeners,
                                   "playcount": a.playcount, "tags": a.tags, "source": "lastfm", **stamp}
                                  for a in e.lastfm_artists],
        "enrich.musicbrainz_recordings": [{"lookup_key": f"{normalise(m.artist)}|{normalise(m.title)}", "isrc": m.isrc,
                                           "recording_id": m.recording_id, "title": m.title, "artist": m.artist,
                                           "length_ms": m.length_ms, "genres": m.genres, "source": "musicbrainz",
                                           **stamp} for m in e.musicbrainz],
    }
    for table, rows in tables.items():
        # keep the first row per key, as the caches do
        frame = pl.DataFrame(rows, infer_schema_length=None)
        key = {"enrich.deezer_tracks": ["isrc"], "enrich.lastfm_tracks": ["artist_key", "track_key"],
               "enrich.lastfm_artists": ["artist_key"], "enrich.musicbrainz_recordings": ["lookup_key"]}[table]
        warehouse.replace_table(table, frame.unique(key, keep="first", maintain_order=True))


def seed_listening(warehouse: Warehouse, library: Library, user: str, now: datetime) -> None:
    """The user's plays of the last 400 days (as if imported from their export) and their short-term top
    tracks as the sandbox ranks them on the day of `now`."""
    plays = listening(library, user, now - timedelta(days=400), now)
    warehouse.replace_partition("marts.plays", user, pl.DataFrame([
        {"played_at": datetime.fromisoformat(p.played_at.replace("Z", "")), "track_id": p.track_id,
         "ms_played": p.ms_played, "source": "export", "skipped": p.ms_played < 30_000} for p in plays]))
    window = (now - timedelta(days=top.WINDOW_DAYS["short_term"])).isoformat()
    recent = Counter(p.track_id for p in plays if p.played_at >= window)
    kept = [s.track_id for s in library.liked[user]]
    day = int(now.replace(tzinfo=UTC).timestamp() // 86400)
    ranked = top.top_track_ids(top.track_scores(user, kept, "short_term", day, recent), top.SIZES["short_term"])
    warehouse.replace_partition("raw.top_tracks", user, pl.DataFrame([
        {"time_range": "short_term", "day": now.date(), "rank": rank, "track_id": track_id, "read_at": now}
        for rank, track_id in enumerate(ranked, 1)]))


def demo_warehouse(directory, library: Library, users: list[str],
                   listened_until: datetime | None = None) -> tuple[Warehouse, dg.DagsterInstance]:
    """Raw tables and caches from the library (and plays up to `listened_until`, when given), then the
    track_features asset materialized per user."""
    warehouse = Warehouse(storage="duckdb", data_dir=str(directory))
    seed_raw_tables(warehouse, library, users)
    seed_enrichment(warehouse, library)
    for user in users if listened_until else []:
        seed_listening(warehouse, library, user, listened_until)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", users)
    refresh_name_keys(warehouse)  # as the name_keys asset leaves them
    for user in users:
        dg.materialize([track_features], partition_key=user, instance=instance, resources={"warehouse": warehouse})
    return warehouse, instance


def materialize_tracklists(warehouse: Warehouse, instance: dg.DagsterInstance, user: str, rules_file,
                           now: datetime) -> dg.ExecuteInJobResult:
    config = {"rules_file": str(rules_file), "now": now.isoformat()}
    return dg.materialize([child_playlist_tracks], partition_key=user, instance=instance,
                          resources={"warehouse": warehouse, "rule_file": RuleFile()}, raise_on_error=False,
                          run_config={"ops": {"playlists__child_playlist_tracks": {"config": config}}})
