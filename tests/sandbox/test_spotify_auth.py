"""spotipy's own OAuth manager against the sandbox: an expired token is refreshed, then the API answers."""

from __future__ import annotations

import time

import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyOAuth

SCOPE = "playlist-modify-private user-library-read"


def test_spotipy_refreshes_an_expired_token_and_carries_on(sandboxes, demo):
    issued = demo.world.tokens.issue("demo", "client-a", SCOPE, demo.world.clock.now())
    cached = {**issued, "scope": SCOPE, "expires_at": int(time.time()) - 10}  # spotipy's own expiry bookkeeping
    auth = SpotifyOAuth(client_id="client-a", client_secret="secret", redirect_uri="http://127.0.0.1:8899/callback",
                        scope=SCOPE, cache_handler=MemoryCacheHandler(cached), open_browser=False)
    auth.OAUTH_TOKEN_URL = f"{demo.url}/api/token"
    demo.world.clock.advance(3601)  # the sandbox agrees the old access token is dead
    sp = spotipy.Spotify(auth_manager=auth, retries=0)
    sp.prefix = demo.url + "/v1/"
    assert sp.me()["id"] == "demo"
    refreshed = auth.cache_handler.get_cached_token()
    assert refreshed["access_token"] != issued["access_token"]
    assert sp.current_user_saved_tracks(limit=1)["total"] == 600
    assert demo.sandbox.stats()["requests"]["POST /api/token"] == 1
