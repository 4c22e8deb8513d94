"""The sandbox accounts service answers as Spotify's does: codes, refreshes and their errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.resource.conftest import make_library, sandbox_running

REDIRECT = "http://127.0.0.1:8888/callback"


def authorize(url: str, client_id: str = "app", **extra) -> requests.Response:
    params = {"client_id": client_id, "response_type": "code", "redirect_uri": REDIRECT,
              "scope": "user-library-read playlist-read-private", "state": "st8", **extra}
    return requests.get(f"{url}/authorize", params=params, allow_redirects=False, timeout=5)


def code_of(answer: requests.Response) -> str:
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.headers["Location"].startswith(REDIRECT + "?") and query["state"] == ["st8"]
    return query["code"][0]


def token(url: str, auth=("app", "pw"), **form) -> requests.Response:
    return requests.post(f"{url}/api/token", data=form, auth=auth, timeout=5)


@pytest.fixture(scope="module")
def strict():
    with sandbox_running(make_library(liked=0), client_id="app", client_secret="pw") as running:
        yield running


def test_code_exchange_then_refresh_without_a_new_refresh_token(strict):
    code = code_of(authorize(strict.url))
    issued = token(strict.url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 3600
    assert issued["scope"] == "playlist-read-private user-library-read"

    refreshed = token(strict.url, grant_type="refresh_token", refresh_token=issued["refresh_token"]).json()
    assert "refresh_token" not in refreshed and refreshed["access_token"] != issued["access_token"]
    again = token(strict.url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert again.status_code == 200  # the old refresh token stays valid


def test_client_credentials_in_the_form_work_too(strict):
    code = code_of(authorize(strict.url))
    answer = token(strict.url, auth=None, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                   client_id="app", client_secret="pw")
    assert answer.status_code == 200


def test_codes_are_single_use_and_bound_to_the_redirect_uri(strict):
    code = code_of(authorize(strict.url))
    wrong = token(strict.url, grant_type="authorization_code", code=code, redirect_uri="http://127.0.0.1:9999/cb")
    assert wrong.json() == {"error": "invalid_grant", "error_description": "Invalid redirect URI"}
    reused = token(strict.url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("auth, description", [(("app", "nope"), "Invalid client secret"), (("other", "pw"), "Invalid client")])
def test_wrong_client_is_invalid_client(strict, auth, description):
    answer = token(strict.url, auth=auth, grant_type="refresh_token", refresh_token="x")
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_client", "error_description": description}
    assert authorize(strict.url, client_id="other").status_code == 400


def test_revoked_refresh_token_is_invalid_grant_until_the_user_approves_again(library):
    with sandbox_running(library) as running:
        issued = token(running.url, grant_type="authorization_code", code=code_of(authorize(running.url)),
                       redirect_uri=REDIRECT).json()
        requests.post(f"{running.url}/_sandbox/revoke", json={"user": "alice"}, timeout=5)

        answer = token(running.url, grant_type="refresh_token", refresh_token=issued["refresh_token"])
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}

        fresh = token(running.url, grant_type="authorization_code", code=code_of(authorize(running.url)),
                      redirect_uri=REDIRECT).json()
        me = requests.get(f"{running.url}/v1/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}, timeout=5)
        assert me.json()["id"] == "alice"


def test_unsupported_grant_and_response_type(strict):
    assert token(strict.url, grant_type="client_credentials").json()["error"] == "unsupported_grant_type"
    answer = authorize(strict.url, response_type="token")
    assert "error=unsupported_response_type" in answer.headers["Location"]
