"""Token stores: private files by default, AWS Secrets Manager on moto's server (a real HTTP endpoint)."""

from __future__ import annotations

import stat
import uuid

import pytest

from resources.spotify_errors import SpotifyAuthMissing
from resources.tokens import (FileTokenStore, SecretsManagerTokenStore, StoreCacheHandler, check_user_id, token_store,
                              valid_user_id)
from tests.resource.conftest import make_resource, run_login, stats

TOKEN = {"access_token": "at", "refresh_token": "rt", "scope": "user-library-read", "expires_at": 1, "expires_in": 3600}


def _round_trip(store) -> None:
    assert store.get("alice") is None and store.users() == []
    store.put("alice", TOKEN)
    store.put("bob.smith", {**TOKEN, "access_token": "bt"})
    store.put("alice", {**TOKEN, "access_token": "at2"})

    assert store.get("alice")["access_token"] == "at2"
    assert store.users() == ["alice", "bob.smith"]
    store.delete("alice")
    store.delete("alice")  # forgetting twice is fine
    assert store.get("alice") is None and store.users() == ["bob.smith"]


def test_file_store_round_trip_with_private_permissions(tmp_path):
    store = FileTokenStore(tmp_path / "tokens")
    _round_trip(store)

    path = tmp_path / "tokens" / "bob.smith.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["bob.smith.json"]  # no temp files left


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "", ".hidden", "x" * 129, "a..b", "bob\n", "bob\r\n",
                                 "../../etc/x", "bob\nx"])
def test_user_ids_that_could_escape_the_directory_are_refused(bad, tmp_path):
    with pytest.raises(ValueError, match="is not valid"):
        FileTokenStore(tmp_path).put(bad, TOKEN)
    assert check_user_id("alice_1-x.y") == "alice_1-x.y"


def test_secrets_manager_store_round_trip_on_moto_server(moto_endpoint):
    store = SecretsManagerTokenStore(prefix=f"mixtape-{uuid.uuid4().hex[:8]}/", endpoint_url=moto_endpoint,
                                     region_name="us-east-1")
    _round_trip(store)


def test_cache_handler_reads_the_store_once_and_writes_through(tmp_path):
    store = FileTokenStore(tmp_path)
    store.put("alice", TOKEN)
    handler = StoreCacheHandler(store, "alice")
    assert handler.get_cached_token()["access_token"] == "at"

    store.put("alice", {**TOKEN, "access_token": "changed elsewhere"})
    assert handler.get_cached_token()["access_token"] == "at"  # memoised: no store read per request
    handler.save_token_to_cache({**TOKEN, "access_token": "refreshed"})
    assert store.get("alice")["access_token"] == "refreshed"


def test_unknown_store_kind_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="MIXTAPE_TOKEN_STORE='vault' is not valid"):
        token_store("vault", tmp_path)


def test_login_and_refresh_through_secrets_manager(env, sandbox, clock, monkeypatch, moto_endpoint):
    store = {"MIXTAPE_TOKEN_STORE": "secretsmanager", "MIXTAPE_SECRETS_PREFIX": f"mixtape-{uuid.uuid4().hex[:8]}/",
             "AWS_ENDPOINT_URL": moto_endpoint, "AWS_REGION": "us-east-1"}
    for name, value in store.items():  # what `mixtape login` reads
        monkeypatch.setenv(name, value)

    assert run_login() == 0
    spotify = make_resource(env, clock, token_store="secretsmanager", secrets_prefix=store["MIXTAPE_SECRETS_PREFIX"],
                            aws_endpoint_url=moto_endpoint, aws_region="us-east-1")
    first = spotify.store.get("alice")
    clock.advance(3700)

    assert spotify.me("alice")["id"] == "alice"
    assert spotify.store.users() == ["alice"]
    assert spotify.store.get("alice")["access_token"] != first["access_token"]
    assert not (env / "data" / "tokens").exists()
    assert stats(sandbox)["POST /api/token"] == 2


def test_a_trailing_newline_is_not_part_of_a_valid_user_id(tmp_path):
    assert valid_user_id("bob") and not valid_user_id("bob\n") and not valid_user_id(None)
    (tmp_path / "bob\n.json").write_text("{}")  # left by an earlier release that accepted it
    assert FileTokenStore(tmp_path).users() == []


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b"null"])
def test_a_corrupt_token_file_is_an_authentication_error_that_says_mixtape_login(tmp_path, content):
    store = FileTokenStore(tmp_path)
    store.put("alice", TOKEN)
    (tmp_path / "alice.json").write_bytes(content)
    with pytest.raises(SpotifyAuthMissing, match=r"user 'alice'.*mixtape login --user alice"):
        store.get("alice")


def test_an_unreadable_token_file_is_an_authentication_error(tmp_path):
    store = FileTokenStore(tmp_path)
    store.put("alice", TOKEN)
    (tmp_path / "alice.json").unlink()
    (tmp_path / "alice.json").mkdir()  # unreadable as a file, whoever runs the test (root included)
    with pytest.raises(SpotifyAuthMissing, match=r"user 'alice'.*cannot be read.*mixtape login"):
        store.get("alice")


def test_the_resource_reports_a_corrupt_token_as_an_authentication_error(logged_in, env, clock, sandbox):
    spotify = make_resource(env, clock)
    (env / "data" / "tokens" / f"{logged_in}.json").write_text('{"access_token": "at", "refr')
    with pytest.raises(SpotifyAuthMissing, match=rf"user '{logged_in}'.*corrupt.*mixtape login"):
        spotify.me(logged_in)


@pytest.mark.parametrize("bad", ["../../etc/x", "bob\n"])
def test_run_with_an_invalid_user_fails_cleanly_and_registers_nothing(bad, tmp_path, monkeypatch, capsys):
    import dagster as dg

    from pipelines.cli import main

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPOTIFY_API_BASE", "http://127.0.0.1:9")  # a world of its own: nothing is reached
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", "http://127.0.0.1:9")
    assert main(["run", "--user", bad, "--stage", "rules", "--dry-run"]) == 2
    assert "is not valid" in capsys.readouterr().err
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("spotify_users") == []
    tokens = tmp_path / "data" / "tokens"
    assert not tokens.exists() or FileTokenStore(tokens).users() == [p.stem for p in tokens.glob("*.json")]


@pytest.mark.parametrize("bad", ["../../etc/x", "bob\n"])
def test_login_with_an_invalid_user_fails_cleanly_and_registers_nothing(bad, tmp_path, monkeypatch, capsys):
    import dagster as dg

    from pipelines.cli import main

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("MIXTAPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPOTIFY_API_BASE", "http://127.0.0.1:9")  # a world of its own: nothing is reached
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE", "http://127.0.0.1:9")
    assert main(["login", "--user", bad, "--no-browser", "--timeout", "1"]) == 1
    assert "mixtape login: user id" in capsys.readouterr().err
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("spotify_users") == []
    tokens = tmp_path / "data" / "tokens"
    assert not tokens.exists() or FileTokenStore(tokens).users() == [p.stem for p in tokens.glob("*.json")]
