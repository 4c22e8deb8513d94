"""No token and no client secret in any log line, printed output or exception of a full run."""

from __future__ import annotations

import base64
import logging
import traceback

import pytest
import requests

from resources.spotify import _RedactSecrets
from resources.spotify_errors import SpotifyAuthRevoked, SpotifyWriteUncertain
from tests.clocked import movable_clock
from tests.resource.conftest import make_resource, run_login, sandbox_running

CLIENT_ID, CLIENT_SECRET = "app-7f3e", "s3cr3t-d0nt-l0g-m3"


def _exception_text(error: BaseException) -> str:
    return str(error) + "".join(traceback.format_exception(error))


def test_a_full_login_fetch_and_failure_run_leaks_nothing(env, library, monkeypatch, caplog, capfd):
    caplog.set_level(logging.DEBUG)  # spotipy logs headers and token bodies at DEBUG
    errors: list[BaseException] = []
    with sandbox_running(library, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as sandbox:
        monkeypatch.setenv("SPOTIFY_API_BASE", sandbox.url)
        monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", sandbox.url)
        monkeypatch.setenv("SPOTIFY_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
        clock = movable_clock(sandbox.url)

        assert run_login() == 0
        spotify = make_resource(env, clock, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        for _ in spotify.pages("alice", spotify.saved_tracks_page("alice", 0)):
            pass
        clock.advance(3700)
        spotify.my_playlists_page("alice", 0)  # refreshes the token first
        requests.post(f"{sandbox.url}/_sandbox/faults", timeout=5,
                      json=[{"route": "POST /v1/playlists/{playlist_id}/items", "status": 502, "apply": True}])
        with pytest.raises(SpotifyWriteUncertain) as uncertain:
            spotify.add_items("alice", "plAlice", ["spotify:track:tr5"])
        errors.append(uncertain.value)
        issued = set(sandbox.world.tokens.access) | set(sandbox.world.tokens.refresh)  # revoking drops refresh tokens
        requests.post(f"{sandbox.url}/_sandbox/revoke", json={"user": "alice"}, timeout=5)
        with pytest.raises(SpotifyAuthRevoked) as revoked:
            spotify.me("alice")
        errors.append(revoked.value)
        monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "an-old-secret")
        assert run_login() == 1  # a wrong secret: the message must not echo it either
        tokens = sorted(issued | set(sandbox.world.tokens.access))

    out, err = capfd.readouterr()
    everything = caplog.text + out + err + "".join(_exception_text(e) for e in errors)
    secrets = [CLIENT_SECRET, "an-old-secret", base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode(), *tokens]
    assert len(tokens) >= 3  # the run did issue (and refresh) tokens
    assert "access was revoked" in everything and "SPOTIFY_CLIENT_SECRET" in err
    leaked = [s[:6] + "…" for s in secrets if s in everything]
    assert leaked == []
    assert "Sending POST request to" in caplog.text and "[redacted]" in caplog.text  # spotipy did log them


def test_redaction_of_spotipy_style_lines():
    record = logging.LogRecord("spotipy.oauth2", logging.DEBUG, __file__, 1,
                               "Sending POST with Headers: {'Authorization': 'Basic YWJjOmRlZg=='} and Body: "
                               "{'refresh_token': 'sbx-rt-XYZ', 'grant_type': 'refresh_token'} %s", ("code=abc&state=s",), None)
    _RedactSecrets().filter(record)
    line = record.getMessage()
    assert "YWJjOmRlZg" not in line and "sbx-rt-XYZ" not in line and "abc" not in line
    assert "'grant_type': 'refresh_token'" in line and "state=s" in line

