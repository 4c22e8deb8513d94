"""Writing playlists through spotipy: state, snapshot ids and the errors of the real service."""

from __future__ import annotations

import pytest
from spotipy import SpotifyException

from sandbox.spotify_api import item_uri, reorder

from tests.sandbox.helpers import all_items, call, collaborating, control, followed, owned


def uris_of(running, playlist_id: str) -> list[str | None]:
    playlist = next(p for p in running.world.library.playlists if p.id == playlist_id)
    return [item_uri(i) for i in playlist.items]


def catalog_uris(running, count: int) -> list[str]:
    return [f"spotify:track:{t.id}" for t in running.world.library.tracks[-count:]]


def test_add_items_as_spotipy_sends_them(sp, demo, conforms):
    playlist = owned(demo)
    before_snapshot = sp.playlist(playlist.id, fields="snapshot_id")["snapshot_id"]
    before = uris_of(demo, playlist.id)
    new = catalog_uris(demo, 2)
    result = sp.playlist_add_items(playlist.id, new, position=1)
    conforms(result, "snapshot")
    assert result["snapshot_id"] != before_snapshot
    assert uris_of(demo, playlist.id) == before[:1] + new + before[1:]
    added = all_items(sp, playlist.id)[1]
    assert added["added_by"]["id"] == "demo" and added["added_at"].endswith("Z")
    shown = control(demo, "GET", "library").json()
    assert [i.get("track_id") for i in next(p for p in shown["playlists"] if p["id"] == playlist.id)["items"][1:3]] == [u.split(":")[2] for u in new]


def test_add_with_uris_object_and_query_uris_winning(sandboxes, demo):
    token, playlist = sandboxes.token(demo), owned(demo)
    first, second = catalog_uris(demo, 2)
    created = call(demo, "POST", f"/v1/playlists/{playlist.id}/items", token, json={"uris": [first], "position": 0})
    assert created.status_code == 201 and uris_of(demo, playlist.id)[0] == first
    call(demo, "POST", f"/v1/playlists/{playlist.id}/items?uris={second}", token, json={"uris": [first]})
    assert uris_of(demo, playlist.id)[-1] == second and uris_of(demo, playlist.id).count(first) == 1


@pytest.mark.parametrize("uris,message", [
    (["spotify:track:0000000000000000000000"], "Invalid track uri: spotify:track:0000000000000000000000"),
    (["spotify:local:Me:Tapes:Demo+take:128"], "Invalid track uri: spotify:local:Me:Tapes:Demo+take:128"),
    ([], "No uris provided"),
])
def test_add_errors(sandboxes, demo, uris, message):
    response = call(demo, "POST", f"/v1/playlists/{owned(demo).id}/items", sandboxes.token(demo), json=uris)
    assert response.status_code == 400 and response.json()["error"]["message"] == message


def test_at_most_100_uris_per_write(sp, demo):
    uris = catalog_uris(demo, 101)
    for write in (sp.playlist_add_items, sp.playlist_replace_items):
        with pytest.raises(SpotifyException) as raised:
            write(owned(demo).id, uris)
        assert raised.value.http_status == 400


def test_replace_and_clear(sp, demo):
    playlist, uris = owned(demo), catalog_uris(demo, 3)
    first = sp.playlist_replace_items(playlist.id, uris)["snapshot_id"]
    assert uris_of(demo, playlist.id) == uris
    second = sp.playlist_replace_items(playlist.id, uris)["snapshot_id"]
    assert second != first  # same content, still a new version
    sp.playlist_replace_items(playlist.id, [])
    assert uris_of(demo, playlist.id) == [] and sp.playlist_items(playlist.id)["total"] == 0


def test_reorder(sp, demo):
    playlist = owned(demo)
    before = uris_of(demo, playlist.id)
    snapshot = sp.playlist(playlist.id, fields="snapshot_id")["snapshot_id"]
    result = sp.playlist_reorder_items(playlist.id, range_start=0, insert_before=5, range_length=2, snapshot_id=snapshot)
    assert result["snapshot_id"] != snapshot
    assert uris_of(demo, playlist.id) == before[2:5] + before[0:2] + before[5:]
    with pytest.raises(SpotifyException) as raised:
        sp.playlist_reorder_items(playlist.id, range_start=len(before), insert_before=0)
    assert raised.value.http_status == 400


def test_reorder_moves_blocks_both_ways():
    items = list("abcdef")
    assert reorder(items, 0, 2, 5) == list("cdeabf")
    assert reorder(items, 3, 2, 0) == list("deabcf")
    assert reorder(items, 1, 1, 6) == list("acdefb")
    assert reorder(items, 2, 2, 3) == items


def test_remove_all_occurrences_and_specific_positions(sp, demo):
    playlist = owned(demo)
    before = uris_of(demo, playlist.id)
    duplicate = next(u for u in before if u and u.startswith("spotify:track:") and before.count(u) > 1)
    sp.playlist_remove_all_occurrences_of_items(playlist.id, [duplicate])
    assert duplicate not in uris_of(demo, playlist.id)
    current = uris_of(demo, playlist.id)
    local_at = next(n for n, u in enumerate(current) if u and u.startswith("spotify:local:"))
    with pytest.raises(SpotifyException):  # spotipy refuses spotify:local: uris before sending
        sp.playlist_remove_specific_occurrences_of_items(playlist.id, [{"uri": current[local_at], "positions": [local_at]}])
    body = {"items": [{"uri": current[local_at], "positions": [local_at]}]}
    assert call(demo, "DELETE", f"/v1/playlists/{playlist.id}/items", sp._auth, json=body).status_code == 200
    assert uris_of(demo, playlist.id) == current[:local_at] + current[local_at + 1:]


def test_remove_with_stale_snapshot_is_rejected(sp, demo):
    playlist = owned(demo)
    stale = sp.playlist(playlist.id, fields="snapshot_id")["snapshot_id"]
    fresh = sp.playlist_add_items(playlist.id, catalog_uris(demo, 1))["snapshot_id"]
    victim = uris_of(demo, playlist.id)[0]
    with pytest.raises(SpotifyException) as raised:
        sp.playlist_remove_all_occurrences_of_items(playlist.id, [victim], snapshot_id=stale)
    assert raised.value.http_status == 400 and "Missing or bad version tag" in raised.value.msg
    assert victim in uris_of(demo, playlist.id)
    sp.playlist_remove_all_occurrences_of_items(playlist.id, [victim], snapshot_id=fresh)
    assert victim not in uris_of(demo, playlist.id)


def test_positions_must_match_the_uri(sp, demo):
    playlist = owned(demo)
    uris = uris_of(demo, playlist.id)
    wrong = next(n for n, u in enumerate(uris) if u != uris[0])
    with pytest.raises(SpotifyException) as raised:
        sp.playlist_remove_specific_occurrences_of_items(playlist.id, [{"uri": uris[0], "positions": [wrong]}])
    assert raised.value.http_status == 400 and uris_of(demo, playlist.id) == uris


def test_create_playlist(sp, demo, conforms):
    created = sp.current_user_playlist_create("Made by a test", public=False, description="new")
    conforms(created, "playlist")
    assert created["owner"]["id"] == "demo" and created["items"]["total"] == 0 and created["snapshot_id"]
    listed = [p["id"] for p in sp.current_user_playlists(limit=50)["items"]]
    assert created["id"] in listed
    sp.playlist_add_items(created["id"], catalog_uris(demo, 3))
    assert sp.playlist_items(created["id"])["total"] == 3
    with pytest.raises(SpotifyException) as raised:
        sp.current_user_playlist_create("Shared", public=True, collaborative=True)
    assert raised.value.http_status == 400


def test_writes_to_a_merely_followed_playlist_are_forbidden(sp, demo):
    playlist = followed(demo)
    before = uris_of(demo, playlist.id)
    with pytest.raises(SpotifyException) as raised:
        sp.playlist_add_items(playlist.id, catalog_uris(demo, 1))
    assert raised.value.http_status == 403 and uris_of(demo, playlist.id) == before


def test_a_collaborator_reads_and_writes(sp, demo):
    playlist = collaborating(demo)
    assert playlist.owner != "demo"
    sp.playlist_add_items(playlist.id, catalog_uris(demo, 1))
    assert all_items(sp, playlist.id)[-1]["added_by"]["id"] == "demo"


def test_snapshot_ids_follow_content_and_writes_across_reloads(sp, demo):
    playlist_id = owned(demo).id

    def snapshot() -> str:
        return sp.playlist(playlist_id, fields="snapshot_id")["snapshot_id"]

    original = snapshot()
    state = control(demo, "GET", "library").json()
    control(demo, "POST", "library", state)
    assert snapshot() == original  # identical content: same version
    sp.playlist_add_items(playlist_id, catalog_uris(demo, 1))
    after_write = snapshot()
    assert after_write != original
    control(demo, "POST", "library", state)  # back to the old items, but the write happened
    assert snapshot() not in (original, after_write)
    changed = dict(state, playlists=[dict(p, items=p["items"][1:]) if p["id"] == playlist_id else p for p in state["playlists"]])
    reloaded = snapshot()
    control(demo, "POST", "library", changed)
    assert snapshot() != reloaded


def test_the_old_tracks_write_endpoints_exist_only_in_extended(sandboxes):
    for profile, expected in [("devmode", 403), ("extended", 201)]:
        running = sandboxes.start(profile=profile)
        playlist, token = owned(running), sandboxes.token(running)
        uri = catalog_uris(running, 1)[0]
        added = call(running, "POST", f"/v1/playlists/{playlist.id}/tracks", token, json={"uris": [uri]})
        assert added.status_code == expected
        if profile == "extended":
            removed = call(running, "DELETE", f"/v1/playlists/{playlist.id}/tracks", token, json={"tracks": [{"uri": uri}]})
            assert removed.status_code == 200 and uri not in uris_of(running, playlist.id)
