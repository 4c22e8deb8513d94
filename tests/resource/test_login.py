"""`mixtape login` end to end against the sandbox: headless, through a browser, and its checks."""

from __future__ import annotations

import json
import socket
import stat
import threading

import dagster as dg
import pytest
import requests

from pipelines.commands.login import Callback, LoginFailed, code_from, login, parse_callback
from resources.settings import Settings
from resources.spotify import SCOPES
from tests.resource.conftest import run_login, stats, sandbox_running


def test_login_completes_headless_stores_a_private_token_and_registers_the_partition(env, sandbox, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(env / "dagster_home"))
    (env / "dagster_home").mkdir()

    assert run_login() == 0

    token_file = env / "data" / "tokens" / "alice.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    token = json.loads(token_file.read_text())
    assert set(token["scope"].split()) == set(SCOPES.split())
    assert token["refresh_token"] and token["expires_at"] > 0
    assert stats(sandbox) == {"GET /authorize": 1, "POST /api/token": 1, "GET /v1/me": 1}
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("spotify_users") == ["alice"]
    assert "Logged in as Alice" in capsys.readouterr().out


def test_login_names_the_user_as_asked(env, sandbox, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(env / "dagster_home"))
    assert run_login("alice.work") == 0

    assert (env / "data" / "tokens" / "alice.work.json").is_file()
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("spotify_users") == ["alice.work"]


def test_login_signs_in_whoever_the_sandbox_session_says(env, sandbox):
    requests.post(f"{sandbox.url}/_sandbox/session", json={"user": "bob"}, timeout=5).raise_for_status()

    assert run_login() == 0

    assert (env / "data" / "tokens" / "bob.json").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_login_falls_back_to_a_browser_and_the_loopback_listener(env, sandbox, monkeypatch):
    """Nobody is signed in: /authorize shows a login page, so login waits for the browser's redirect."""
    requests.post(f"{sandbox.url}/_sandbox/session", json={"user": None}, timeout=5).raise_for_status()
    monkeypatch.setenv("SPOTIFY_REDIRECT_URI", f"http://127.0.0.1:{_free_port()}/callback")
    printed: list[str] = []

    def browser(url: str) -> bool:
        """The user signs in, then the browser follows the authorization URL to the loopback redirect."""
        def user_approves() -> None:
            requests.post(f"{sandbox.url}/_sandbox/session", json={"user": "alice"}, timeout=5)
            requests.get(url, timeout=5)
        threading.Thread(target=user_approves, daemon=True).start()
        return True

    user = login(Settings.from_env(), timeout_s=10, say=printed.append, browser=browser)

    assert user == "alice"
    assert any("/authorize?" in line for line in printed)
    assert stats(sandbox)["GET /authorize"] == 2  # once by login itself, once by the browser


def test_login_fails_clearly_when_nobody_answers(env, sandbox, monkeypatch):
    requests.post(f"{sandbox.url}/_sandbox/session", json={"user": None}, timeout=5).raise_for_status()
    monkeypatch.setenv("SPOTIFY_REDIRECT_URI", f"http://127.0.0.1:{_free_port()}/callback")

    with pytest.raises(LoginFailed, match="no answer on http://127.0.0.1:"):
        login(Settings.from_env(), timeout_s=0.5, say=lambda _: None, browser=lambda _: False)


def test_login_with_a_wrong_secret_names_the_app_settings(env, library, monkeypatch):
    
    with sandbox_running(library, client_id="real-app", client_secret="right-secret") as strict:
        monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", strict.url)
        monkeypatch.setenv("SPOTIFY_API_BASE", strict.url)
        monkeypatch.setenv("SPOTIFY_CLIENT_ID", "real-app")
        monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "wrong-secret")
        with pytest.raises(Exception, match="SPOTIFY_CLIENT_SECRET") as caught:
            login(Settings.from_env(), say=lambda _: None)
    assert "wrong-secret" not in str(caught.value)


def test_the_sandbox_refuses_a_redirect_that_is_not_loopback_ip(sandbox):
    for bad in ("http://localhost:8888/callback", "https://127.0.0.1:8888/callback", "http://127.0.0.1/callback"):
        answer = requests.get(f"{sandbox.url}/authorize", params={"client_id": "x", "response_type": "code",
                                                                   "redirect_uri": bad}, allow_redirects=False, timeout=5)
        assert answer.status_code == 400, bad


def test_callback_checks():
    assert parse_callback("http://127.0.0.1:8888/callback?code=C&state=S") == Callback("C", "S", None)
    assert code_from(Callback("C", "S", None), "S") == "C"
    with pytest.raises(LoginFailed, match="state differs"):
        code_from(Callback("C", "other", None), "S")
    with pytest.raises(LoginFailed, match="access_denied"):
        code_from(Callback(None, "S", "access_denied"), "S")
    with pytest.raises(LoginFailed, match="no code"):
        code_from(Callback(None, "S", None), "S")
