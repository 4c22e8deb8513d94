"""Reading the sandbox's Spotify Web API through real spotipy 2.26, in both profiles."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from spotipy import SpotifyException

from tests.sandbox.helpers import all_items, call, followed, owned

PROFILES = ["devmode", "extended"]


@pytest.mark.parametrize("profile", PROFILES)
def test_me_has_the_profiles_fields(sandboxes, conforms, profile):
    running = sandboxes.start(profile=profile)
    me = sandboxes.client(running).me()
    conforms(me, "user")
    assert me["id"] == "demo" and me["account_id"] and me["uri"] == "spotify:user:demo"
    removed = {"country", "email", "product", "followers", "explicit_content"}
    assert removed <= set(me) if profile == "extended" else not removed & set(me)


def test_saved_tracks_page_with_absolute_links_on_the_sandbox_host(sp, demo, conforms):
    first = sp.current_user_saved_tracks(limit=50)
    conforms(first, "saved_track_page")
    assert set(first) == {"href", "items", "limit", "next", "offset", "previous", "total"}
    assert first["href"] == f"{demo.url}/v1/me/tracks?offset=0&limit=50"
    assert first["next"] == f"{demo.url}/v1/me/tracks?offset=50&limit=50" and first["previous"] is None
    second = sp.next(first)
    assert second["previous"] == f"{demo.url}/v1/me/tracks?offset=0&limit=50"
    entries = first["items"] + second["items"]
    while second["next"]:
        second = sp.next(second)
        entries += second["items"]
    assert len(entries) == first["total"] == 600
    for entry in entries:
        conforms(entry, "saved_track")
    assert all(set(e) == {"added_at", "track"} for e in entries)  # saved tracks keep `track`
    stamps = [e["added_at"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert len({e["track"]["id"] for e in entries}) == 600


def test_links_echo_the_query(sp, demo):
    page = sp.current_user_saved_tracks(limit=5, offset=10, market="SE")
    assert page["next"] == f"{demo.url}/v1/me/tracks?offset=15&limit=5&market=SE"
    assert page["previous"] == f"{demo.url}/v1/me/tracks?offset=5&limit=5&market=SE"


@pytest.mark.parametrize("call_with_limit", [
    lambda sp, pid: sp.current_user_saved_tracks(limit=51),
    lambda sp, pid: sp.current_user_playlists(limit=51),
    lambda sp, pid: sp.playlist_items(pid, limit=51),
    lambda sp, pid: sp.current_user_saved_tracks(limit=0),
])
def test_limits_over_the_maximum_answer_invalid_limit(sp, demo, call_with_limit):
    with pytest.raises(SpotifyException) as raised:
        call_with_limit(sp, owned(demo).id)
    assert raised.value.http_status == 400 and "Invalid limit" in raised.value.msg


@pytest.mark.parametrize("profile", PROFILES)
def test_my_playlists_list_owned_collaborative_and_followed(sandboxes, conforms, profile):
    running = sandboxes.start(profile=profile)
    page = sandboxes.client(running).current_user_playlists(limit=50)
    conforms(page, "playlist_page")
    lists = page["items"]
    assert {p["owner"]["id"] for p in lists} >= {"demo", "friend"}
    assert any(p["collaborative"] for p in lists)
    assert followed(running).id in {p["id"] for p in lists}
    for simple in lists:
        assert simple["items"]["href"].endswith(f"/v1/playlists/{simple['id']}/items")
        assert ("tracks" in simple) == (profile == "extended")
        assert simple["snapshot_id"]


@pytest.mark.parametrize("profile", PROFILES)
def test_playlist_embeds_items_only_where_devmode_allows(sandboxes, conforms, profile):
    running = sandboxes.start(profile=profile)
    sp = sandboxes.client(running)
    mine = sp.playlist(owned(running).id)
    conforms(mine, "playlist")
    assert mine["items"]["total"] == len(owned(running).items)
    theirs = sp.playlist(followed(running).id)
    conforms(theirs, "playlist")
    assert theirs["name"] == followed(running).name
    if profile == "devmode":
        assert "items" not in theirs and "tracks" not in theirs
    else:
        assert theirs["tracks"]["items"][0]["track"] == theirs["items"]["items"][0]["item"]


def test_playlist_fields_filter(sp, demo):
    playlist = owned(demo)
    got = sp.playlist(playlist.id, fields="name,snapshot_id,owner(!href,external_urls),items(total,items(added_at,item(name)))")
    assert set(got) == {"name", "snapshot_id", "owner", "items"}
    assert set(got["owner"]) == {"display_name", "id", "type", "uri"}
    assert set(got["items"]) == {"total", "items"}
    assert all(set(e) == {"added_at", "item"} for e in got["items"]["items"])
    named = [e["item"]["name"] for e in got["items"]["items"] if e["item"]]
    assert named and all(isinstance(n, str) for n in named)


def test_items_fields_and_next_work_together(sp, demo):
    page = sp.playlist_items(owned(demo).id, fields="next,items(item(id))", limit=50)
    assert set(page) == {"next", "items"}
    second = sp.next(page)
    assert "fields=next" in page["next"] and set(second) == {"next", "items"}


def test_devmode_items_have_no_track_key(sp, demo):
    page = sp.playlist_items(owned(demo).id, fields="items.track.name", limit=5)
    assert page["items"] == [{}] * 5  # what clients reading `track` see after February 2026


def test_items_of_a_merely_followed_playlist_are_forbidden_in_devmode(sp, demo):
    with pytest.raises(SpotifyException) as raised:
        sp.playlist_items(followed(demo).id)
    assert raised.value.http_status == 403


def test_items_of_a_followed_playlist_are_readable_in_extended(sandboxes):
    running = sandboxes.start(profile="extended")
    entries = all_items(sandboxes.client(running), followed(running).id)
    assert len(entries) == len(followed(running).items)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_awkward_item_kind(sandboxes, conforms, profile):
    running = sandboxes.start(profile=profile)
    sp = sandboxes.client(running)
    playlist = owned(running)
    page = sp.playlist_items(playlist.id, market="SE")
    conforms(page, "playlist_item_page")
    entries = all_items(sp, playlist.id, market="SE")
    assert len(entries) == len(playlist.items)
    for entry in entries:
        conforms(entry, "playlist_item")
    for entry in entries:
        assert ("track" in entry) == (profile == "extended")
        if profile == "extended":
            assert entry["track"] == entry["item"]

    local = next(e for e in entries if e["is_local"])
    assert local["item"]["id"] is None and local["item"]["uri"].startswith("spotify:local:")
    source = next(i.local for i in playlist.items if i.local)
    parts = [quote_plus(s) for s in (source.artist, source.album, source.name)]
    assert local["item"]["uri"] == f"spotify:local:{':'.join(parts)}:{source.duration_ms // 1000}"
    assert any("+" in e["item"]["uri"] for e in entries if e["is_local"])  # "Demo take" -> "Demo+take"

    episodes = [e for e in entries if e["item"] and e["item"]["type"] == "episode"]
    assert episodes and episodes[0]["item"]["show"]["type"] == "show"

    gone = [e for e in entries if e["item"] is None]
    assert gone and all(e["added_by"]["id"] == "" for e in gone)

    track_ids = [e["item"]["id"] for e in entries if e["item"] and e["item"]["type"] == "track" and e["item"]["id"]]
    assert len(track_ids) > len(set(track_ids))  # duplicates

    assert any(e["added_at"] is None for e in entries)

    unplayable = [e["item"] for e in entries if e["item"] and e["item"].get("is_playable") is False]
    assert unplayable and unplayable[0]["restrictions"] == {"reason": "market"}


@pytest.mark.parametrize("profile", PROFILES)
def test_episodes_come_dressed_as_tracks_unless_asked_for(sandboxes, conforms, profile):
    """Spotify does not hide an episode from a client that left out additional_types=episode: it sends a
    track-like object (show as album and artist, the episode/track flags, no `show` key), never null."""
    running = sandboxes.start(profile=profile)
    sp = sandboxes.client(running)
    playlist = owned(running)
    with_episodes = all_items(sp, playlist.id)
    tracks_only = all_items(sp, playlist.id, additional_types=("track",))
    episode_positions = [n for n, e in enumerate(with_episodes) if e["item"] and e["item"]["type"] == "episode"]
    assert episode_positions
    for n in episode_positions:
        episode, dressed = with_episodes[n]["item"], tracks_only[n]["item"]
        conforms(tracks_only[n], "playlist_item")
        conforms(dressed, "episode_as_track")
        assert dressed["id"] == episode["id"] and dressed["uri"] == episode["uri"] and dressed["name"] == episode["name"]
        assert "show" not in dressed and dressed["album"]["id"] == dressed["artists"][0]["id"] == episode["show"]["id"]
        assert ("popularity" in dressed) == (profile == "extended")
        assert ("track" in tracks_only[n]) == (profile == "extended")


@pytest.mark.parametrize("profile", PROFILES)
def test_audio_features_answer_403_without_a_message(sandboxes, profile):
    running = sandboxes.start(profile=profile)
    token = sandboxes.token(running)
    track_id = running.world.library.tracks[0].id
    for path in (f"/v1/audio-features?ids={track_id}", f"/v1/audio-features/{track_id}"):
        answer = call(running, "GET", path, token)
        assert answer.status_code == 403 and answer.json() == {"error": {"status": 403}}
    assert call(running, "GET", "/v1/audio-features", None).status_code == 401
    with pytest.raises(SpotifyException) as raised:
        sandboxes.client(running).audio_features([track_id])
    assert raised.value.http_status == 403


@pytest.mark.parametrize("profile", PROFILES)
def test_albums_keep_empty_genres(sandboxes, profile):
    running = sandboxes.start(profile=profile)
    sp = sandboxes.client(running)
    album = sp.album(running.world.library.albums[0].id)
    assert album["genres"] == []


def test_is_playable_only_with_a_market(sp, demo):
    page = sp.current_user_saved_tracks(limit=50)
    assert all("is_playable" not in e["track"] and "available_markets" not in e["track"] for e in page["items"])


@pytest.mark.parametrize("profile", PROFILES)
def test_single_track_artist_album(sandboxes, conforms, profile):
    running = sandboxes.start(profile=profile)
    sp = sandboxes.client(running)
    track_id = running.world.library.liked["demo"][0].track_id
    track = sp.track(track_id)
    conforms(track, "track")
    artist = sp.artist(track["artists"][0]["id"])
    conforms(artist, "artist")
    album = sp.album(track["album"]["id"])
    conforms(album, "album")
    assert track_id in {t["id"] for t in album["tracks"]["items"]}
    extended = profile == "extended"
    assert ("popularity" in track) == extended
    assert {"popularity", "genres", "followers"} <= set(artist) if extended else not {"popularity", "genres", "followers"} & set(artist)
    assert ("label" in album) == extended and ("popularity" in album) == extended
    assert album["release_date_precision"] in {"year", "month", "day"}


def test_unknown_and_malformed_ids(sandboxes, demo):
    token = sandboxes.token(demo)
    missing = call(demo, "GET", "/v1/tracks/0000000000000000000000", token)
    assert missing.status_code == 404 and missing.json() == {"error": {"status": 404, "message": "Resource not found"}}
    bad = call(demo, "GET", "/v1/artists/not-an-id", token)
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Invalid base62 id"


def test_batch_endpoints_are_bodiless_403_in_devmode(sp, demo):
    track_id = demo.world.library.tracks[0].id
    for fetch in (sp.tracks, sp.artists, sp.albums):
        with pytest.raises(SpotifyException) as raised:
            fetch([track_id])
        assert raised.value.http_status == 403
    response = call(demo, "GET", f"/v1/tracks?ids={track_id}", sp._auth)
    assert response.status_code == 403 and response.content == b""


def test_batch_endpoints_in_extended(sandboxes, conforms):
    running = sandboxes.start(profile="extended")
    sp = sandboxes.client(running)
    library = running.world.library
    track_ids = [t.id for t in library.tracks[:49]] + ["0000000000000000000000"]
    tracks = sp.tracks(track_ids)["tracks"]
    assert [t["id"] for t in tracks[:49]] == track_ids[:49] and tracks[49] is None
    conforms(tracks[0], "track")
    artists = sp.artists([a.id for a in library.artists[:50]])["artists"]
    assert all(a["genres"] is not None for a in artists)
    albums = sp.albums([a.id for a in library.albums[:20]])["albums"]
    conforms(albums[0], "album")
    for too_many in (lambda: sp.tracks(track_ids + ["1111111111111111111111"]), lambda: sp.albums([a.id for a in library.albums[:21]])):
        with pytest.raises(SpotifyException) as raised:
            too_many()
        assert raised.value.http_status == 400 and "too many ids requested" in raised.value.msg


def test_old_playlist_tracks_endpoint(sandboxes):
    devmode = sandboxes.start()
    playlist_id = owned(devmode).id
    forbidden = call(devmode, "GET", f"/v1/playlists/{playlist_id}/tracks", sandboxes.token(devmode))
    assert forbidden.status_code == 403 and forbidden.json() == {"error": {"status": 403, "message": "Forbidden"}}
    extended = sandboxes.start(profile="extended")
    page = call(extended, "GET", f"/v1/playlists/{playlist_id}/tracks?limit=100", sandboxes.token(extended)).json()
    assert page["limit"] == 100 and all("track" in e and "item" in e for e in page["items"])


def test_authorization_failures_are_401_with_www_authenticate(sandboxes, demo):
    for token, message in [(None, "No token provided"), ("not-a-token", "Invalid access token")]:
        response = call(demo, "GET", "/v1/me", token)
        assert response.status_code == 401 and response.json()["error"]["message"] == message
        assert response.headers["www-authenticate"].startswith('Bearer realm="spotify"')
    token = sandboxes.token(demo)
    demo.world.clock.advance(3601)
    expired = call(demo, "GET", "/v1/me/tracks", token)
    assert expired.status_code == 401 and expired.json()["error"]["message"] == "The access token expired"
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]


def test_trailing_slashes_are_accepted(sandboxes, demo):
    token = sandboxes.token(demo)
    assert call(demo, "GET", "/v1/me/tracks/?limit=1", token).json()["limit"] == 1
    assert call(demo, "GET", f"/v1/playlists/{owned(demo).id}/items/", token).status_code == 200
