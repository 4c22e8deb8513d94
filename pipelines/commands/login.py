"""`mixtape login [--user NAME]`: the OAuth authorization-code flow on a loopback redirect.

It first follows the authorization URL itself: an app the user already approved (and the sandbox)
redirects straight back with a code, and login completes with no browser. Otherwise it listens once
on the loopback redirect URI, opens a browser where there is one and prints the URL.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
import webbrowser
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyOauthError

from resources.budget import Ledger
from resources.clock import REAL_TIME
from resources.settings import Settings
from resources.spotify import SCOPES, HeadlessOAuth, app_credentials, counting_session, oauth_error
from resources.spotify_errors import SpotifyError
from resources.tokens import check_user_id, token_store_from_settings


class LoginFailed(Exception):
    """The authorization did not produce a code (denied, wrong state, timed out)."""


@dataclass(frozen=True)
class Callback:
    """What the redirect URI was called with."""

    code: str | None
    state: str | None
    error: str | None


def parse_callback(url: str) -> Callback:
    """The code, state and error of a redirect back to the loopback URI."""
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    return Callback(query.get("code"), query.get("state"), query.get("error"))


def code_from(callback: Callback, state: str) -> str:
    """The authorization code, once the callback is checked."""
    if callback.error:
        raise LoginFailed(f"Spotify did not authorize mixtape: {callback.error}")
    if callback.state != state:
        raise LoginFailed("the authorization answer does not match this login (state differs); try again")
    if not callback.code:
        raise LoginFailed("the authorization answer has no code")
    return callback.code


def authorize_url(accounts_base: str, client_id: str, redirect_uri: str, state: str) -> str:
    """The URL the user approves mixtape at."""
    query = urlencode({"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
                       "scope": SCOPES, "state": state})
    return f"{accounts_base.rstrip('/')}/authorize?{query}"


def follow_without_browser(session: requests.Session, url: str, redirect_uri: str) -> Callback | None:
    """Ask for the authorization directly; a redirect straight to `redirect_uri` means it is already granted."""
    answer = session.get(url, allow_redirects=False, timeout=10)
    location = answer.headers.get("Location", "")
    if answer.is_redirect and location.startswith(redirect_uri):
        return parse_callback(location)
    return None


def wait_for_browser(url: str, redirect_uri: str, open_browser: bool, timeout_s: float,
                     say=print, browser=webbrowser.open) -> Callback:
    """Listen once on the loopback redirect URI while the user approves in a browser."""
    target = urlsplit(redirect_uri)
    received: list[Callback] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if urlsplit(self.path).path != (target.path or "/"):
                self.send_error(404)
                return
            received.append(parse_callback(self.path))
            body = b"<!doctype html><p>mixtape is authorized. You can close this window.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:  # the callback URL carries the code: never log it
            pass

    with HTTPServer((target.hostname or "127.0.0.1", target.port or 80), Handler) as server:
        server.timeout = 0.5
        say(f"Open this URL to authorize mixtape:\n  {url}")
        if open_browser:
            browser(url)
        deadline = time.monotonic() + timeout_s
        while not received and time.monotonic() < deadline:
            server.handle_request()
    if not received:
        raise LoginFailed(f"no answer on {redirect_uri} within {timeout_s:.0f} s")
    return received[0]


def login(settings: Settings, user: str | None = None, open_browser: bool = True, timeout_s: float = 300,
          say=print, browser=webbrowser.open) -> str:
    """Run the flow, store the token under the user id (`user` or the profile's id); return the id."""
    if user is not None:
        check_user_id(user)
    secret = settings.spotify_client_secret.get_secret_value() if settings.spotify_client_secret else None
    client_id, client_secret = app_credentials(settings.spotify_client_id, secret)
    redirect_uri = settings.spotify_redirect_uri
    session = counting_session(Ledger.in_data_dir(settings.data_dir), client_id, user or "", lambda: ("login", ""),
                               REAL_TIME.time, None)
    state = secrets.token_urlsafe(16)
    url = authorize_url(settings.spotify_accounts_base, client_id, redirect_uri, state)
    callback = follow_without_browser(session, url, redirect_uri)
    if callback is None:
        callback = wait_for_browser(url, redirect_uri, open_browser, timeout_s, say, browser)
    code = code_from(callback, state)

    cache = MemoryCacheHandler()
    auth = HeadlessOAuth(user=user or "new user", token_url=settings.spotify_accounts_base.rstrip("/") + "/api/token",
                         clock=REAL_TIME.time, client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri,
                         scope=SCOPES, cache_handler=cache, requests_session=session, requests_timeout=10)
    try:
        access_token = auth.get_access_token(code, as_dict=False, check_cache=False)
    except SpotifyOauthError as error:
        raise oauth_error(user or "new user", error) from None
    client = spotipy.Spotify(auth=access_token, requests_session=session, requests_timeout=10, retries=0, status_retries=0)
    client.prefix = settings.spotify_api_base.rstrip("/") + "/v1/"
    profile = client.me()
    user_id = check_user_id(user or profile["id"])
    token_store_from_settings(settings).put(user_id, cache.get_cached_token())
    say(f"Logged in as {profile.get('display_name') or profile['id']}; token stored for user '{user_id}'.")
    return user_id


def register_partition(user: str) -> str:
    """Add the user's Dagster partition to the persistent instance; say what happened."""
    import dagster as dg  # slow to import: only when needed

    from assets.partitions import spotify_users
    from pipelines.home import ensure_dagster_home

    check_user_id(user)  # nothing invalid becomes a partition
    ensure_dagster_home()

    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(spotify_users.name, [user])
    return f"Dagster partition '{user}' of {spotify_users.name} is registered."


def run(args: argparse.Namespace) -> int:
    try:
        user = login(Settings.from_env(), args.user, open_browser=not args.no_browser, timeout_s=args.timeout)
    except (LoginFailed, SpotifyError, spotipy.SpotifyException, requests.RequestException,
            ValueError) as error:  # ValueError: a user id that is not valid
        print(f"mixtape login: {error}", file=sys.stderr)
        return 1
    print(register_partition(user))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("login", help="authorize mixtape for a Spotify user and store the token",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user", help="store the token under this name (default: the Spotify user id)")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL, do not open a browser")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the browser (default 300)")
    parser.set_defaults(func=run)
