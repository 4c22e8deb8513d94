"""A sandbox saved and resumed keeps its playlists and their snapshot ids."""

import requests
import spotipy

from sandbox.generator import generate_library
from sandbox.persist import save_state, start_resumed_sandbox


def client(running, user):
    token = running.world.tokens.issue(user, "app", "playlist-modify-private", running.world.clock.now())["access_token"]
    sp = spotipy.Spotify(auth=token, retries=0)
    sp.prefix = running.url + "/v1/"
    return sp


def test_resumed_sandbox_keeps_writes_and_snapshots(tmp_path):
    state = tmp_path / "state.json"
    library = generate_library(seed=3, users=1, liked=20, playlists=3)
    user = library.users[0].id
    first = start_resumed_sandbox(state, library)
    try:
        sp = client(first, user)
        created = sp.current_user_playlist_create("Resumed", public=False)
        snapshot = sp.playlist_add_items(created["id"], [f"spotify:track:{library.tracks[0].id}"])["snapshot_id"]
        save_state(first, state)
    finally:
        first.stop()

    second = start_resumed_sandbox(state, generate_library(seed=99, users=1, liked=1, playlists=1))
    try:
        playlist = client(second, user).playlist(created["id"], fields="snapshot_id,name")
        assert playlist == {"snapshot_id": snapshot, "name": "Resumed"}
        assert requests.get(f"{second.url}/_sandbox/library", timeout=5).json()["liked"] == library.model_dump(mode="json")["liked"]
    finally:
        second.stop()
