"""The Spotify service's pure pieces: the fields filter, paging links, limits, snapshots, uris."""

from __future__ import annotations

import pytest

from sandbox.library import LocalFile, PlaylistItem
from sandbox.spotify_api import (
    ApiError, apply_fields, item_uri, items_digest, make_snapshot, page_url, paging, parse_fields, parse_ids, parse_limit,
)

PLAYLIST = {
    "name": "Road trip", "href": "h", "owner": {"id": "alice", "href": "o", "display_name": "Alice"},
    "items": {"total": 2, "next": None, "items": [
        {"added_at": "2024", "added_by": {"id": "alice", "uri": "u"}, "item": {"id": "t1", "name": "A", "album": {"name": "X", "images": [1]}}},
        {"added_at": None, "added_by": None, "item": None},
    ]},
}


@pytest.mark.parametrize("fields,expected", [
    ("name", {"name": "Road trip"}),
    ("name,owner.id", {"name": "Road trip", "owner": {"id": "alice"}}),
    ("owner(!href)", {"owner": {"id": "alice", "display_name": "Alice"}}),
    ("owner(!href,display_name)", {"owner": {"id": "alice"}}),
    ("items(total,items(added_by.id,item(name,album(!images))))", {"items": {"total": 2, "items": [
        {"added_by": {"id": "alice"}, "item": {"name": "A", "album": {"name": "X"}}}, {"added_by": None, "item": None}]}}),
    ("items.items.item.id,items.items.added_at", {"items": {"items": [{"item": {"id": "t1"}, "added_at": "2024"}, {"item": None, "added_at": None}]}}),
    ("items.items.track.name", {"items": {"items": [{}, {}]}}),
    ("owner,owner.id", {"owner": PLAYLIST["owner"]}),
])
def test_fields_filter(fields, expected):
    assert apply_fields(PLAYLIST, parse_fields(fields)) == expected


@pytest.mark.parametrize("bad", ["", "items(", "a,,b", "a)", "owner.(id)"])
def test_malformed_fields_are_400(bad):
    with pytest.raises(ApiError) as raised:
        parse_fields(bad)
    assert raised.value.status == 400


def test_paging_links():
    page = paging("http://h:1", "/v1/me/tracks", {"limit": "2", "market": "SE", "offset": "4"}, 4, 2, 7, ["a", "b"])
    assert page == {
        "href": "http://h:1/v1/me/tracks?offset=4&limit=2&market=SE", "items": ["a", "b"], "limit": 2,
        "next": "http://h:1/v1/me/tracks?offset=6&limit=2&market=SE", "offset": 4,
        "previous": "http://h:1/v1/me/tracks?offset=2&limit=2&market=SE", "total": 7,
    }
    last = paging("http://h:1", "/v1/x", {}, 6, 2, 7, ["c"])
    assert last["next"] is None and last["previous"] == "http://h:1/v1/x?offset=4&limit=2"
    assert page_url("http://h", "/p", 0, 5, {"fields": "items(item(id))", "additional_types": "track,episode"}) == (
        "http://h/p?offset=0&limit=5&fields=items(item(id))&additional_types=track,episode")


@pytest.mark.parametrize("raw", ["0", "51", "-1", "ten"])
def test_bad_limits(raw):
    with pytest.raises(ApiError) as raised:
        parse_limit({"limit": raw}, 20, 50)
    assert (raised.value.status, raised.value.message) == (400, "Invalid limit")


def test_limits_and_ids():
    assert parse_limit({}, 20, 50) == 20 and parse_limit({"limit": "50"}, 20, 50) == 50
    assert parse_ids({"ids": "a,b"}, 2) == ["a", "b"]
    with pytest.raises(ApiError, match="too many ids requested"):
        parse_ids({"ids": "a,b,c"}, 2)
    with pytest.raises(ApiError, match="Invalid base62 id"):
        parse_ids({"ids": "a,b-c"}, 2)


def test_snapshots_follow_items_and_writes():
    items = [PlaylistItem(track_id="t1", added_at="2024-01-01T00:00:00Z", added_by="a")]
    same = make_snapshot("p", items_digest(items), 0)
    assert same == make_snapshot("p", items_digest([i.model_copy() for i in items]), 0)
    assert same != make_snapshot("p", items_digest(items), 1)
    assert same != make_snapshot("p", items_digest(items + items), 0)
    assert same != make_snapshot("q", items_digest(items), 0)


def test_item_uris():
    assert item_uri(PlaylistItem(track_id="abc")) == "spotify:track:abc"
    assert item_uri(PlaylistItem(episode_id="e")) == "spotify:episode:e"
    assert item_uri(PlaylistItem(unavailable=True)) is None
    local = PlaylistItem(local=LocalFile(name="Heart of Stone", artist="The Waymores", album="Heart of Stone", duration_ms=128900))
    assert item_uri(local) == "spotify:local:The+Waymores:Heart+of+Stone:Heart+of+Stone:128"
