"""MusicBrainz's genre list: the sandbox serves it as MusicBrainz does, the client reads it whole, and
`enrichment/musicbrainz_genres` caches it for MusicBrainz's hit TTL."""

from datetime import timedelta

import dagster as dg
import requests

from assets.enrichment.genres import TABLE, TTL, musicbrainz_genres
from resources.warehouse import Warehouse
from sandbox.generator import GENRES as DEMO_GENRES, MOOD_TAGS
from sandbox.musicbrainz_genres import GENRES
from tests.enrich.sandbox_library import enrich_resources, sandbox_now

USER_AGENT = {"User-Agent": "mixtape-tests/1 ( tests@example.org )"}


def genre_page(sandbox, **params) -> dict:
    sandbox.world.clock.advance(1)  # MusicBrainz answers one request a second
    url = f"{sandbox.base_urls['MUSICBRAINZ_API_BASE']}/ws/2/genre/all"
    response = requests.get(url, params={"fmt": "json", **params}, headers=USER_AGENT, timeout=5)
    assert response.status_code == 200
    return response.json()


def materialize(sandbox, warehouse: Warehouse, later: timedelta = timedelta()) -> dict:
    as_of = (sandbox_now(sandbox) + later).isoformat()
    result = dg.materialize([musicbrainz_genres], resources=enrich_resources(sandbox, warehouse),
                            run_config={"ops": {musicbrainz_genres.op.name: {"config": {"as_of": as_of}}}})
    assert result.success
    return {k: v.value for k, v in result.asset_materializations_for_node(musicbrainz_genres.op.name)[0].metadata.items()}


def test_the_sandbox_pages_the_list_as_musicbrainz_does(sandbox):
    first = genre_page(sandbox)
    assert first["genre-count"] == len(GENRES) and first["genre-offset"] == 0
    assert len(first["genres"]) == 25  # MusicBrainz's default page
    assert set(first["genres"][0]) == {"id", "name", "disambiguation"}
    last = genre_page(sandbox, limit=500, offset=200)
    assert len(last["genres"]) == min(100, len(GENRES) - 200)  # at most 100 a page
    assert [g["name"] for g in first["genres"]] == sorted(g["name"] for g in first["genres"])


def test_the_sandbox_list_holds_the_demo_genres_and_no_mood_tags():
    names = set(GENRES)
    assert {g.name for g in DEMO_GENRES} <= names
    assert names.isdisjoint(MOOD_TAGS)
    assert names.isdisjoint({"80s", "guitar", "spanish", "seen live"})


def test_the_client_reads_every_page(sandbox, tmp_path):
    client = enrich_resources(sandbox, Warehouse(data_dir=str(tmp_path)))["musicbrainz"].client()
    assert client.genres() == GENRES
    assert client.api.calls["GET /ws/2/genre/all"] == -(-len(GENRES) // 100)


def test_the_list_is_cached_for_the_ttl(sandbox, warehouse):
    first = materialize(sandbox, warehouse)
    assert first["fetched"] and first["dagster/row_count"] == len(GENRES)
    assert first["musicbrainz_requests"] == 3
    assert sorted(warehouse.read(TABLE)["genre"]) == GENRES

    again = materialize(sandbox, warehouse, later=TTL.hit - timedelta(hours=1))
    assert not again["fetched"] and again["musicbrainz_requests"] == 0 and again["dagster/row_count"] == len(GENRES)

    expired = materialize(sandbox, warehouse, later=TTL.hit + timedelta(hours=1))
    assert expired["fetched"] and expired["musicbrainz_requests"] == 3


def test_an_unreachable_musicbrainz_keeps_the_cached_list(sandbox, warehouse):
    materialize(sandbox, warehouse)
    requests.post(f"{sandbox.url}/_sandbox/faults", timeout=5,
                  json=[{"route": "GET /musicbrainz/ws/2/genre/all", "status": 503, "times": 10}])
    kept = materialize(sandbox, warehouse, later=TTL.hit + timedelta(hours=1))
    assert not kept["fetched"] and kept["dagster/row_count"] == len(GENRES)
    assert sorted(warehouse.read(TABLE)["genre"]) == GENRES
