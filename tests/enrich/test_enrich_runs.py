"""End to end: the enrichment assets against the sandbox servers, over real HTTP, in Dagster."""

from datetime import timedelta

import dagster as dg
import pytest

from assets.ops.api_requests import api_requests
from resources.deezer import DeezerResource
from resources.http import with_timing
from sandbox import start_sandbox
from resources.warehouse import Warehouse
from tests.enrich.sandbox_library import (
    DISTINCT_ARTISTS, DISTINCT_ISRCS, DISTINCT_TRACKS, TRACKS_WITHOUT_ISRC, catalog_rows, enrich_resources, library,
    materialize, metadata, sandbox_now, sandbox_timing,
)

TABLES = {
    "deezer_tracks": ["isrc"],
    "lastfm_tracks": ["artist_key", "track_key"],
    "lastfm_artists": ["artist_key"],
    "musicbrainz_recordings": ["lookup_key"],
}


def cached_rows(warehouse, table: str) -> list[tuple]:
    """A cache table without its timestamps, in key order."""
    keys = ", ".join(TABLES[table])
    return warehouse.query(f"select * exclude (fetched_at, expires_at) from {table} order by {keys}").rows()


def endpoint_requests(warehouse, service: str) -> dict[str, int]:
    api_requests(warehouse)  # the request ledger copied into ops.api_requests
    frame = warehouse.query("select endpoint, sum(requests)::int as n from api_requests where service = ? group by all", [service])
    return dict(frame.rows())


def test_first_run_asks_each_distinct_key_once(sandbox, warehouse):
    result = materialize(sandbox, warehouse)

    assert result.success
    stats = sandbox.sandbox.stats()
    assert stats["by_service"]["deezer"] == DISTINCT_ISRCS
    assert stats["by_service"]["lastfm"] == DISTINCT_TRACKS + DISTINCT_ARTISTS
    assert endpoint_requests(warehouse, "lastfm") == {
        "GET /2.0/?method=track.getInfo": DISTINCT_TRACKS, "GET /2.0/?method=artist.getInfo": DISTINCT_ARTISTS}
    assert 0 < stats["by_service"]["musicbrainz"] <= 2 * TRACKS_WITHOUT_ISRC  # a search, then a lookup when found
    lookups = warehouse.query("select lookup_key from musicbrainz_recordings order by 1")["lookup_key"].to_list()
    assert lookups == ["nobody known|home demo", "nobody known|lost song"]
    assert stats["violations"] == {}
    api_requests(warehouse)
    recorded = dict(warehouse.query("select service, sum(requests)::int from api_requests group by all").rows())
    assert recorded == {s: n for s, n in stats["by_service"].items() if n}
    deezer = metadata(result, "deezer_tracks")
    assert (deezer["coverage_hit"], deezer["coverage_miss"], deezer["coverage_error"]) == (4, 1, 0)
    assert deezer["coverage_hit_share"] == 0.8 and deezer["deezer_requests"] == DISTINCT_ISRCS
    assert metadata(result, "lastfm_artists")["lastfm_requests"] == DISTINCT_ARTISTS
    assert metadata(result, "musicbrainz_recordings")["coverage_total"] == TRACKS_WITHOUT_ISRC


def test_rows_carry_values_status_and_provenance(sandbox, warehouse):
    materialize(sandbox, warehouse)

    deezer = {row["isrc"]: row for row in warehouse.read("deezer_tracks").to_dicts()}
    assert (deezer["GBAYE0601690"]["bpm"], deezer["GBAYE0601690"]["bpm_flag"]) == (82.5, None)
    assert (deezer["GBAYE0601691"]["bpm"], deezer["GBAYE0601691"]["bpm_raw"]) == (None, 0.0)  # bpm 0: unknown
    assert (deezer["GBDUW0000053"]["bpm"], deezer["GBDUW0000053"]["bpm_flag"]) == (246.0, "double")
    assert deezer["USQX91300108"]["status"] == "miss"
    assert deezer["GBXXX2400001"]["status"] == "hit"  # the ISRC MusicBrainz found for a track without one
    tags = dict(warehouse.query("select track_key, tags from lastfm_tracks where status = 'hit'").rows())
    assert tags == {"come together": ["classic rock", "60s"], "something": ["ballad"],
                    "one more time": ["house", "french touch", "electronic"], "get lucky": []}
    artist_tags = dict(warehouse.query("select artist_key, tags from lastfm_artists").rows())
    assert artist_tags["daft punk"] == ["electronic"] and artist_tags["nobody known"] is None
    recording = warehouse.query("select isrc, genres from musicbrainz_recordings where status = 'hit'").rows()
    assert recording == [("GBXXX2400001", ["lo-fi", "indie"])]
    for table in TABLES:
        frame = warehouse.read(table)
        assert set(frame["status"]) <= {"hit", "miss"}
        assert frame["source"].null_count() == 0 and (frame["expires_at"] > frame["fetched_at"]).all()


def test_second_run_with_nothing_expired_makes_no_calls(sandbox, warehouse):
    materialize(sandbox, warehouse)
    sandbox.sandbox.reset_stats()

    result = materialize(sandbox, warehouse)

    assert result.success
    assert sandbox.sandbox.stats()["total"] == 0
    assert metadata(result, "lastfm_tracks")["keys_fetched"] == 0


def test_injected_rate_limit_errors_end_with_the_same_rows_and_no_violations(warehouse, tmp_path):
    with start_sandbox(library()) as clean:
        materialize(clean, warehouse)
    faulted_warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path / "faulted"))
    for user, tracks in [("alice", ["t1", "t2", "t3", "t4", "t5", "t6"]), ("bob", ["t1", "t7", "t6"])]:
        faulted_warehouse.replace_partition("raw.tracks", user, catalog_rows(tracks))

    with start_sandbox(library()) as running:
        running.sandbox.add_faults([
            {"route": "GET /deezer/track/{ref}", "times": 3, "status": 429},  # Deezer: HTTP 200, error code 4
            {"route": "GET /lastfm/2.0", "times": 3, "status": 429},  # Last.fm: error 29
            {"route": "GET /musicbrainz/ws/2/recording", "times": 2, "status": 503},
        ])
        result = materialize(running, faulted_warehouse)
        stats = running.sandbox.stats()

    assert result.success
    assert stats["violations"] == {}
    assert stats["by_service"] == {"spotify": 0, "deezer": DISTINCT_ISRCS + 3,
                                   "lastfm": DISTINCT_TRACKS + DISTINCT_ARTISTS + 3, "musicbrainz": 3 + 2}
    for table in TABLES:
        assert cached_rows(faulted_warehouse, table) == cached_rows(warehouse, table)


def test_moving_past_a_ttl_refetches_exactly_the_expired_rows(sandbox, warehouse):
    materialize(sandbox, warehouse)
    sandbox.world.clock.advance(timedelta(days=8).total_seconds())  # past Last.fm's 7 days, not Deezer's 90
    later = sandbox_now(sandbox)
    expired = {table: set(warehouse.query(f"select {', '.join(keys)} from {table} where expires_at <= ?", [later]).rows())
               for table, keys in TABLES.items()}
    sandbox.sandbox.reset_stats()

    materialize(sandbox, warehouse, as_of=later)

    for table, keys in TABLES.items():
        refetched = set(warehouse.query(f"select {', '.join(keys)} from {table} where fetched_at = ?", [later]).rows())
        assert refetched == expired[table], table
    assert len(expired["lastfm_tracks"]) == DISTINCT_TRACKS  # hits and misses alike
    assert expired["deezer_tracks"] == {("USQX91300108",)}  # only the miss: hits last 90 days
    stats = sandbox.sandbox.stats()
    assert stats["by_service"]["deezer"] == 1
    assert stats["by_service"]["lastfm"] == DISTINCT_TRACKS + DISTINCT_ARTISTS
    assert stats["by_service"]["musicbrainz"] == 1  # the missing recording's search
    assert stats["violations"] == {}


def test_one_service_down_does_not_fail_the_others(sandbox, warehouse):
    resources = enrich_resources(sandbox, warehouse)
    resources["deezer"] = with_timing(DeezerResource(base_url="http://127.0.0.1:9/deezer", timeout_s=2,
                                                     data_dir=warehouse.data_dir), sandbox_timing(sandbox))

    result = materialize(sandbox, warehouse, resources=resources)

    assert result.success
    assert warehouse.query("select count(*) from lastfm_tracks where status = 'hit'").item() == 4
    assert warehouse.query("select count(*) from musicbrainz_recordings where status = 'hit'").item() == 1


def test_an_unreachable_service_caches_nothing_and_the_next_run_fills_it(sandbox, warehouse):
    """Deezer on a closed port during enrichment: its keys stay pending (no row, no error cached for a
    TTL); the next run, with Deezer back, asks every one of them and fills the cache."""
    resources = enrich_resources(sandbox, warehouse)
    resources["deezer"] = with_timing(DeezerResource(base_url="http://127.0.0.1:9/deezer", timeout_s=2,
                                                     data_dir=warehouse.data_dir), sandbox_timing(sandbox))

    first = materialize(sandbox, warehouse, resources=resources)

    assert first.success
    assert warehouse.query("select count(*) from deezer_tracks").item() == 0
    assert metadata(first, "deezer_tracks")["keys_pending"] == DISTINCT_ISRCS
    assert metadata(first, "deezer_tracks")["coverage_error"] == 0
    assert sandbox.sandbox.stats()["by_service"]["deezer"] == 0
    sandbox.sandbox.reset_stats()

    second = materialize(sandbox, warehouse)  # Deezer is back

    assert sandbox.sandbox.stats()["by_service"]["deezer"] == DISTINCT_ISRCS
    assert sandbox.sandbox.stats()["by_service"]["lastfm"] == 0  # the others were cached
    assert dict(warehouse.query("select status, count(*) from deezer_tracks group by 1").rows()) == {"hit": 4, "miss": 1}
    assert metadata(second, "deezer_tracks")["keys_pending"] == 0


def test_a_failing_service_leaves_keys_pending_and_they_are_retried_next_run(sandbox, warehouse):
    sandbox.sandbox.add_faults([{"route": "GET /lastfm/2.0", "times": 10_000, "status": 503}])
    first = materialize(sandbox, warehouse)
    assert first.success
    assert warehouse.query("select count(*) from lastfm_tracks").item() == 0  # 503 through every retry: nothing cached
    assert metadata(first, "lastfm_tracks")["keys_pending"] == DISTINCT_TRACKS
    sandbox.sandbox.faults.clear()  # Last.fm is back
    sandbox.sandbox.reset_stats()

    materialize(sandbox, warehouse)

    stats = sandbox.sandbox.stats()
    assert stats["by_service"]["lastfm"] == DISTINCT_TRACKS + DISTINCT_ARTISTS
    assert stats["by_service"]["deezer"] == 0 and stats["by_service"]["musicbrainz"] == 0
    assert warehouse.query("select count(*) from lastfm_tracks where status = 'hit'").item() == 4


def test_one_source_alone_asks_only_its_service_and_reads_its_feeder_from_the_cache(sandbox, warehouse):
    materialize(sandbox, warehouse, selection=[dg.AssetKey(["enrichment", "musicbrainz_recordings"])])
    assert sandbox.sandbox.stats()["by_service"]["musicbrainz"] > 0
    sandbox.sandbox.reset_stats()

    result = materialize(sandbox, warehouse, selection=[dg.AssetKey(["enrichment", "deezer_tracks"])])

    assert result.success
    assert {s: n for s, n in sandbox.sandbox.stats()["by_service"].items() if n} == {"deezer": DISTINCT_ISRCS}
    assert warehouse.query("select status from deezer_tracks where isrc = 'GBXXX2400001'").item() == "hit"
    assert [e.asset_key.path[-1] for e in result.get_asset_materialization_events()] == ["deezer_tracks"]


@pytest.mark.parametrize("table", list(TABLES))
def test_contract_views_exist_before_any_run(warehouse, table):
    frame = warehouse.read(table)
    assert {"status", "source", "fetched_at", "expires_at", *TABLES[table]} <= set(frame.columns)
