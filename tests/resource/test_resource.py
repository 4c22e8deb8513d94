"""The resource against the sandbox: reads, paging, writes, auth errors, refresh, capabilities."""

from __future__ import annotations

import json

import pytest
import requests

from assets.spotify.parse import item_of
from resources.spotify_errors import (
    SpotifyAuthMissing,
    SpotifyAuthRevoked,
    SpotifyForbidden,
    SpotifyNotFound,
)
from tests.clocked import movable_clock
from tests.resource.conftest import make_library, make_resource, run_login, stats, sandbox_running


def _library_json(sandbox) -> dict:
    return requests.get(f"{sandbox.url}/_sandbox/library", timeout=5).json()


def test_liked_songs_page_by_page_follow_next(spotify, sandbox, library):
    first = spotify.saved_tracks_page("alice", 0)
    ids = [item_of(entry)["id"] for page in spotify.pages("alice", first) for entry in page["items"]]

    newest_first = [s.track_id for s in sorted(library.liked["alice"], key=lambda s: s.added_at, reverse=True)]
    assert ids == newest_first
    assert spotify.requests_spent("alice") == {"GET /v1/me/tracks": 3}  # 120 likes in pages of 50
    assert spotify.budget.spent_today("alice") == 3 and spotify.budget.spent_today() == 4  # + login's GET /v1/me (user not yet known)


def test_playlists_and_items_read_item_in_devmode(spotify):
    listing = spotify.my_playlists_page("alice", 0)
    assert {p["id"] for p in listing["items"]} == {"plAlice", "plBob"}
    meta = spotify.playlist("alice", "plAlice", fields="id,name,snapshot_id")
    assert set(meta) == {"id", "name", "snapshot_id"}

    first = spotify.playlist_items_page("alice", "plAlice", 0)
    entries = [entry for page in spotify.pages("alice", first) for entry in page["items"]]

    assert "track" not in entries[0]  # devmode entries carry `item` only
    assert [item_of(e)["id"] for e in entries] == [f"tr{i}" for i in range(60)]


def test_item_of_falls_back_to_track_and_passes_nulls():
    assert item_of({"added_at": None, "track": {"id": "t"}}) == {"id": "t"}
    assert item_of({"item": {"id": "i"}, "track": {"id": "i"}}) == {"id": "i"}
    assert item_of({"item": None, "track": None}) is None
    assert item_of(None) is None


def test_not_found_and_forbidden_are_typed(spotify):
    with pytest.raises(SpotifyNotFound):
        spotify.playlist("alice", "0000000000000000000000")
    with pytest.raises(SpotifyForbidden, match="GET /v1/playlists/{playlist_id}/items"):
        spotify.playlist_items_page("alice", "plBob", 0)  # followed, not owned: unreadable in devmode


def test_writes_change_the_playlist_and_return_snapshots(spotify, sandbox):
    created = spotify.create_playlist("alice", "Made by mixtape", "rules: fast")
    pid = created["id"]
    s1 = spotify.replace_items("alice", pid, ["spotify:track:tr1", "spotify:track:tr2", "spotify:track:tr3"])
    s2 = spotify.add_items("alice", pid, ["spotify:track:tr4"], position=0)
    s3 = spotify.reorder_items("alice", pid, range_start=0, insert_before=4, snapshot_id=s2)
    s4 = spotify.remove_items("alice", pid, [{"uri": "spotify:track:tr2", "positions": [1]}], snapshot_id=s3)
    s5 = spotify.remove_items("alice", pid, ["spotify:track:tr1"])

    assert len({s1, s2, s3, s4, s5}) == 5
    saved = next(p for p in _library_json(sandbox)["playlists"] if p["id"] == pid)
    assert [i["track_id"] for i in saved["items"]] == ["tr3", "tr4"]
    assert saved["public"] is False
    with pytest.raises(ValueError, match="at most 100"):
        spotify.add_items("alice", pid, [f"spotify:track:tr{i % 60}" for i in range(101)])


def test_an_expired_token_is_refreshed_once_and_stored(spotify, sandbox, clock, env):
    spotify.me("alice")
    before = json.loads((env / "data" / "tokens" / "alice.json").read_text())

    clock.advance(3700)
    assert spotify.me("alice")["id"] == "alice"
    spotify.saved_tracks_page("alice", 0)

    after = json.loads((env / "data" / "tokens" / "alice.json").read_text())
    assert stats(sandbox)["POST /api/token"] == 2  # login's exchange + one refresh
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]  # the answer omitted it: the old one stays
    assert after["expires_at"] > clock() + 3000


def test_a_revoked_token_names_the_user_and_the_fix(spotify, sandbox):
    spotify.me("alice")
    requests.post(f"{sandbox.url}/_sandbox/revoke", json={"user": "alice"}, timeout=5).raise_for_status()

    with pytest.raises(SpotifyAuthRevoked) as caught:
        spotify.saved_tracks_page("alice", 0)

    assert str(caught.value) == "Spotify user 'alice': access was revoked or has expired; run `mixtape login --user alice`"
    assert run_login() == 0  # logging in again (in another process) restores access, even for this resource
    assert spotify.me("alice")["id"] == "alice"


def test_a_revoked_token_found_at_refresh_time(spotify, sandbox, clock):
    requests.post(f"{sandbox.url}/_sandbox/revoke", json={"user": "alice"}, timeout=5).raise_for_status()
    clock.advance(3700)

    with pytest.raises(SpotifyAuthRevoked, match="alice"):
        spotify.me("alice")
    assert stats(sandbox).get("GET /v1/me") == 1  # only login's: the refresh failed before any API call


def test_no_token_or_a_token_without_scopes_never_prompts(env, clock, sandbox, monkeypatch, logged_in):
    monkeypatch.setattr("builtins.input", lambda *_: pytest.fail("prompted for input"))
    spotify = make_resource(env, clock)

    with pytest.raises(SpotifyAuthMissing, match="'carol': no Spotify token is stored; run `mixtape login --user carol`"):
        spotify.me("carol")

    token = spotify.store.get("alice")
    spotify.store.put("dave", {**token, "scope": "user-library-read"})
    with pytest.raises(SpotifyAuthMissing, match="'dave': the stored token lacks the scopes playlist-modify-private"):
        spotify.me("dave")
    assert "GET /v1/me" not in spotify.requests_spent()


def test_capabilities_probe_once_per_app_and_ttl(spotify, sandbox, env, clock):
    assert spotify.known_capabilities() is None
    assert spotify.capabilities("alice").profile == "devmode"
    assert spotify.known_capabilities().profile == "devmode"
    assert make_resource(env, clock).capabilities("alice").profile == "devmode"  # another process, same ledger
    assert stats(sandbox)["GET /v1/artists"] == 1

    clock.advance(86401)
    assert make_resource(env, clock).capabilities("alice").batch_endpoints is False
    assert stats(sandbox)["GET /v1/artists"] == 2


def test_artists_never_one_by_one_in_devmode_unless_asked(spotify, sandbox):
    with pytest.raises(SpotifyForbidden, match="one_by_one=True"):
        spotify.artists("alice", ["ar0", "ar1"])
    found = spotify.artists("alice", ["ar0", "ar1"], one_by_one=True)

    assert [a["id"] for a in found] == ["ar0", "ar1"]
    assert stats(sandbox)["GET /v1/artists/{artist_id}"] == 2


def test_artists_in_batches_when_extended(env, monkeypatch, clock):
    with sandbox_running(make_library(profile="extended", liked=0)) as wide:
        monkeypatch.setenv("SPOTIFY_API_BASE", wide.url)
        monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", wide.url)
        assert run_login() == 0
        clock = movable_clock(wide.url)
        spotify = make_resource(env, clock)
        ids = [f"ar{i % 3}" for i in range(60)]

        found = spotify.artists("alice", ids)

        assert [a["id"] for a in found] == ids and found[0]["popularity"] == 50
        assert stats(wide).get("GET /v1/artists") == 3  # the probe + two batches (50 + 10)
        assert "GET /v1/artists/{artist_id}" not in stats(wide)


def test_app_credentials_are_configured_else_the_sandbox_app(env):
    from resources.spotify import SpotifyResource
    from resources.spotify_errors import SpotifyAppRejected

    assert SpotifyResource().app_client_id == "mixtape-sandbox"
    assert SpotifyResource(client_id="cfg", client_secret="x").app_client_id == "cfg"
    with pytest.raises(SpotifyAppRejected, match=r"SPOTIFY_CLIENT_ID is set \(other\) but SPOTIFY_CLIENT_SECRET is not"):
        SpotifyResource(client_id="other").app_client_id


def test_resources_read_the_environment_as_env_vars_resolved_at_run_start(env, sandbox, monkeypatch):
    import dagster as dg

    from pipelines.resources import initialized, resources_from_env

    monkeypatch.delenv("DEEZER_API_BASE", raising=False)
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "env-app")
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "env-secret")
    resources = resources_from_env()

    assert isinstance(resources["spotify"].client_secret, dg.EnvVar)  # the UI shows the variable, not the secret
    assert resources["spotify"].client_secret.env_var_name == "SPOTIFY_CLIENT_SECRET"
    assert resources["deezer"].base_url == "https://api.deezer.com"  # unset: the production default
    spotify = initialized("spotify")
    assert (spotify.app_client_id, spotify.api_base, spotify.data_dir) == ("env-app", sandbox.url, str(env / "data"))
    assert spotify._conf()["client_secret"] == "env-secret"

    monkeypatch.delenv("SPOTIFY_CLIENT_SECRET")  # an app without its secret: no run starts
    with pytest.raises(dg.DagsterInvalidConfigError, match="SPOTIFY_CLIENT_SECRET"):
        with dg.build_resources({"spotify": resources_from_env()["spotify"]}):
            pass
