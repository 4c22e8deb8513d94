"""`mixtape sandbox serve` and `mixtape sandbox generate` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.generator import generate_library
from sandbox.library import Library

from tests.sandbox.helpers import REPO


def mixtape(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **options)


def login(urls: dict) -> str:
    """The authorization code flow against the sandbox's accounts service, as `mixtape login` does."""
    accounts, redirect = urls["SPOTIFY_ACCOUNTS_BASE"], "http://127.0.0.1:8899/callback"
    approved = requests.get(f"{accounts}/authorize", allow_redirects=False, timeout=10, params={
        "client_id": "cli-test", "response_type": "code", "redirect_uri": redirect, "scope": "user-library-read"})
    code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
    token = requests.post(f"{accounts}/api/token", auth=("cli-test", "secret"), timeout=10,
                          data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect})
    return token.json()["access_token"]


def test_generate_writes_the_library_of_the_seed(tmp_path):
    out = tmp_path / "lib.json"
    process = mixtape("sandbox", "generate", "--seed", "2", "--liked", "30", "--playlists", "2", "--out", str(out))
    assert process.wait(timeout=60) == 0, process.stderr.read()
    assert Library.model_validate_json(out.read_text()) == generate_library(2, 1, 30, 2)


def test_serve_announces_its_urls_first_and_serves_the_file(tmp_path):
    path = tmp_path / "lib.json"
    path.write_text(json.dumps(generate_library(3, 1, 20, 1).model_dump(mode="json")))
    process = mixtape("sandbox", "serve", "--port", "0", "--library", str(path), "--profile", "extended", "--quota", "3")
    try:
        urls = json.loads(process.stdout.readline())
        assert set(urls) >= {"SPOTIFY_API_BASE", "SPOTIFY_ACCOUNTS_BASE", "DEEZER_API_BASE", "LASTFM_API_BASE", "MUSICBRAINZ_API_BASE"}
        base = urls["SPOTIFY_API_BASE"]
        served = requests.get(f"{base}/_sandbox/library", timeout=10).json()
        assert served["profile"] == "extended" and served["tracks"] == json.loads(path.read_text())["tracks"]
        assert requests.get(f"{base}/v1/me", timeout=10).status_code == 401
        headers = {"Authorization": f"Bearer {login(urls)}"}
        assert [requests.get(f"{base}/v1/me", headers=headers, timeout=10).status_code for _ in range(4)] == [200, 200, 200, 429]
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
