"""The one way mixtape reaches Spotify: per-user spotipy clients that are headless, frugal and safe.

- Base URLs are fields with production defaults (`pipelines/resources.py` feeds them from the
  environment), so the sandbox and Spotify share one code path.
- Auth is headless: a missing, scope-less or revoked token is a typed error telling to run
  `mixtape login`; spotipy's interactive prompt is never reached.
- Reads are retried on 429/5xx/timeouts with backoff, honouring Retry-After up to a cap; writes are
  sent exactly once (spotipy's own retry adapter would re-send a POST after a 502).
- Every request, token refreshes and retries included, is counted in the ledger before it is sent,
  under its run and asset, against a daily budget per developer account (`resources.budget`);
  QUOTA_EXCEEDED records a cooldown. Time comes from the clock resource.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator

import dagster as dg
import requests
import spotipy
from pydantic import Field, PrivateAttr
from requests.adapters import HTTPAdapter
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyOAuth

from resources.batching import chunks
from resources.budget import Ledger, RequestBudget, endpoint_of, next_utc_midnight, utc_naive
from resources.budget.attribution import current_step
from resources.clock import Clock, clock_or_real
from resources.environment import DATA_DIR
from resources.settings import SPOTIFY_ACCOUNTS_BASE, SPOTIFY_API_BASE, SPOTIFY_REDIRECT_URI
from resources.spotify_errors import (
    SpotifyAppRejected,
    SpotifyAuthMissing,
    SpotifyAuthRevoked,
    SpotifyBadRequest,
    SpotifyForbidden,
    SpotifyNotFound,
    SpotifyQuotaExceeded,
    SpotifyRateLimited,
    SpotifyUnavailable,
    SpotifyWriteUncertain,
)
from resources.tokens import StoreCacheHandler, TokenStore, check_user_id, token_store

# What mixtape asks a user to grant: read the library, playlists and listening (recently played, top items),
# write the playlists it manages.
SCOPES = " ".join(sorted([
    "playlist-modify-private", "playlist-modify-public", "playlist-read-collaborative",
    "playlist-read-private", "user-library-read", "user-read-private", "user-read-recently-played", "user-top-read",
]))

# The sandbox's app: used when no SPOTIFY_CLIENT_ID is configured.
TOP_PAGE = 50  # the most GET /v1/me/top/{type} gives per page
SANDBOX_CLIENT_ID = "mixtape-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"

# An artist id that exists on Spotify; only used to ask whether the batch endpoint exists.
_PROBE_ARTIST_ID = "0OdUWJ0sBjDrqHygGUXeCF"


def app_credentials(client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    """The app's client id and secret; the sandbox app when no client id is configured."""
    if client_id is None:
        return SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
    if not client_secret:
        raise SpotifyAppRejected(f"SPOTIFY_CLIENT_ID is set ({client_id}) but SPOTIFY_CLIENT_SECRET is not")
    return client_id, client_secret


# --- keep tokens and the secret out of logs -------------------------------------------------------

_REDACTIONS = [
    (re.compile(r"\b(Bearer|Basic)\s+[^\s'\",}]+"), r"\1 [redacted]"),
    (re.compile(r"((?:access_token|refresh_token|code|client_secret)['\"]?\s*[:=]\s*['\"]?)[^'\"&\s,}]+"), r"\1[redacted]"),
]


class _RedactSecrets(logging.Filter):
    """spotipy logs request headers and token bodies at DEBUG; blank the secrets out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern, replacement in _REDACTIONS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _install_redaction() -> None:
    for name in ("spotipy", "spotipy.client", "spotipy.oauth2", "spotipy.util", "spotipy.cache_handler"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
            logger.addFilter(_RedactSecrets())


_install_redaction()
log = logging.getLogger(__name__)


# --- pure decisions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt: an HTTP status (None = timeout/connection) and its hints."""

    status: int | None
    reason: str | None = None
    retry_after: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class Step:
    """What to do next: retry after `wait_s`, refresh the token, or stop with `action`."""

    action: str  # retry | refresh | quota | rate_limited | revoked | uncertain | unavailable | forbidden | not_found | bad_request
    wait_s: float = 0.0


def decide(failure: Failure, *, write: bool, attempt: int, max_attempts: int, refreshed: bool,
           backoff_s: float, max_backoff_s: float, max_retry_after_s: float) -> Step:
    """The retry policy: reads retry transient failures; a write is re-sent only after a 401 (refused
    unread, so nothing was applied); long waits, quota and exhausted retries stop with a typed error."""
    status = failure.status
    if status == 401:
        return Step("revoked") if refreshed else Step("refresh")
    if status == 429 and failure.reason == "QUOTA_EXCEEDED":
        return Step("quota", failure.retry_after or 0.0)
    transient = status is None or status == 429 or status >= 500
    if not transient:
        return Step({403: "forbidden", 404: "not_found"}.get(status, "bad_request"))
    if write:
        return Step("rate_limited", failure.retry_after or 0.0) if status == 429 else Step("uncertain")
    wait = failure.retry_after if failure.retry_after is not None else min(max_backoff_s, backoff_s * 2 ** (attempt - 1))
    if wait > max_retry_after_s:
        return Step("rate_limited", wait)
    if attempt >= max_attempts:
        return Step("rate_limited", wait) if status == 429 else Step("unavailable")
    return Step("retry", wait)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds: an integer, or an HTTP date relative to `now`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


# --- HTTP plumbing ----------------------------------------------------------------------------------


class _LedgerSession(requests.Session):
    """A session that counts each request in the ledger before sending it, and never re-sends."""

    def __init__(self, count: Callable[[str], None]):
        super().__init__()
        adapter = HTTPAdapter(max_retries=0)  # urllib3 retries off: no request is ever sent twice by it
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self._count = count

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self._count(endpoint_of(request.method or "GET", request.url or ""))
        return super().send(request, **kwargs)


def counting_session(ledger: Ledger, client_id: str, user: str, step: Callable[[], tuple[str, str]],
                     clock: Callable[[], float], budget_per_day: int | None, spent: Counter | None = None) -> requests.Session:
    """A requests session whose every request is counted (and budget-checked) in the ledger, under the
    (run id, asset) `step` names at the time it is sent."""

    def count(endpoint: str) -> None:
        run_id, asset = step()
        ledger.reserve(client_id=client_id, user=user, endpoint=endpoint, run_id=run_id, asset=asset, now=clock(),
                       budget_per_day=budget_per_day)
        if spent is not None:
            spent[(user, endpoint)] += 1

    return _LedgerSession(count)


class HeadlessOAuth(SpotifyOAuth):
    """SpotifyOAuth that never prompts and tells time by an injected clock."""

    def __init__(self, *, user: str, token_url: str, clock: Callable[[], float], **kwargs: Any):
        super().__init__(open_browser=False, **kwargs)
        self.user = user
        self.OAUTH_TOKEN_URL = token_url
        self.clock = clock

    def get_auth_response(self, open_browser: bool | None = None) -> str:
        raise SpotifyAuthMissing(self.user, "no usable token (none stored, or it lacks a scope mixtape needs)")

    def is_token_expired(self, token_info: dict) -> bool:  # type: ignore[override]
        return token_info["expires_at"] - self.clock() < 60

    def _add_custom_values_to_token_info(self, token_info: dict) -> dict:
        token_info["expires_at"] = int(self.clock()) + token_info["expires_in"]
        # keep what was granted (spotipy would claim what was asked for)
        token_info["scope"] = " ".join(sorted((token_info.get("scope") or self.scope or "").replace(",", " ").split()))
        return token_info


def oauth_error(user: str, error: SpotifyOauthError) -> Exception:
    """A token-endpoint failure as a typed error (no token or secret in it)."""
    if error.error == "invalid_grant":
        return SpotifyAuthRevoked(user)
    if error.error == "invalid_client":
        return SpotifyAppRejected(error.error_description or "invalid_client")
    return SpotifyUnavailable("POST /api/token", f"{str(error.error)[:120]}: {str(error.error_description)[:120]}")


@dataclass(frozen=True)
class Capabilities:
    """What the app may do: `devmode` (the 2026 development-mode API) or `extended`."""

    profile: str

    @property
    def batch_endpoints(self) -> bool:
        """GET /tracks|artists|albums?ids= exist."""
        return self.profile == "extended"


# --- the resource -----------------------------------------------------------------------------------


class SpotifyResource(dg.ConfigurableResource):
    """Spotify for every asset: per-user clients, headless auth, retries, request ledger and budget."""

    client_id: str | None = Field(default=None, description="the developer app's client id; None: the sandbox app")
    client_secret: str | None = Field(default=None, description="the app's secret: configure it as an EnvVar")
    api_base: str = SPOTIFY_API_BASE
    accounts_base: str = SPOTIFY_ACCOUNTS_BASE
    redirect_uri: str = SPOTIFY_REDIRECT_URI
    data_dir: str = Field(default=DATA_DIR, description="holds the token files and the request ledger")
    token_store: str = Field(default="file", description="where tokens live: file or secretsmanager")
    secrets_prefix: str | None = Field(default=None, description="Secrets Manager name prefix of the tokens")
    aws_endpoint_url: str | None = Field(default=None, description="Secrets Manager endpoint (tests: moto)")
    aws_region: str | None = None
    clock: Clock | None = Field(default=None, description="the time it goes by; None: real time")
    requests_timeout_s: float = 10.0
    max_get_attempts: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 60.0
    budget_per_day: int | None = 900
    capabilities_ttl_s: float = 86400.0
    run_id: str | None = None  # None: the Dagster run id, else "adhoc"

    _clients: dict = PrivateAttr(default_factory=dict)
    _spent: Counter = PrivateAttr(default_factory=Counter)
    _resolved: dict = PrivateAttr(default_factory=dict)
    _run: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run = context.run.run_id if context.run else None

    # --- configuration, resolved once -------------------------------------------------------------

    def _conf(self) -> dict:
        if not self._resolved:
            client_id, client_secret = app_credentials(self.client_id, self.client_secret)
            self._resolved.update(
                client_id=client_id,
                client_secret=client_secret,
                ledger=Ledger.in_data_dir(self.data_dir),
                store=token_store(self.token_store, self.data_dir, self.secrets_prefix,
                                  endpoint_url=self.aws_endpoint_url, region_name=self.aws_region),
            )
        return self._resolved

    @property
    def time_source(self) -> Clock:
        """The clock this resource goes by (the configured one, else real time)."""
        return clock_or_real(self.clock)

    @property
    def budget(self) -> RequestBudget:
        """Today's request budget of this resource's developer account."""
        return RequestBudget(self.ledger, self.app_client_id, self.budget_per_day, self.time_source.time)

    @property
    def ledger(self) -> Ledger:
        """The request ledger this resource writes to."""
        return self._conf()["ledger"]

    @property
    def store(self) -> TokenStore:
        """The token store this resource reads tokens from."""
        return self._conf()["store"]

    @property
    def app_client_id(self) -> str:
        """The developer account's client id (not a secret); the ledger's key."""
        return self._conf()["client_id"]

    def _step(self) -> tuple[str, str]:
        """(run id, asset) a request is sent for: the configured run id, else the running step's."""
        run_id, asset = current_step()
        return self.run_id or run_id or self._run or "adhoc", asset

    def users(self) -> list[str]:
        """Every user with a stored token."""
        return self.store.users()

    # --- clients -----------------------------------------------------------------------------------

    def _client(self, user: str) -> spotipy.Spotify:
        if user not in self._clients:
            conf = self._conf()
            check_user_id(user)
            clock = self.time_source.time
            session = counting_session(conf["ledger"], conf["client_id"], user, self._step, clock,
                                       self.budget_per_day, self._spent)
            auth = HeadlessOAuth(
                user=user, token_url=self.accounts_base.rstrip("/") + "/api/token", clock=clock,
                client_id=conf["client_id"], client_secret=conf["client_secret"], redirect_uri=self.redirect_uri,
                scope=SCOPES, cache_handler=StoreCacheHandler(conf["store"], user), requests_session=session,
                requests_timeout=self.requests_timeout_s,
            )
            client = spotipy.Spotify(auth_manager=auth, requests_session=session, requests_timeout=self.requests_timeout_s,
                                     retries=0, status_retries=0)
            client.prefix = self.api_base.rstrip("/") + "/v1/"
            self._clients[user] = client
        return self._clients[user]

    def _usable_token(self, user: str, auth: HeadlessOAuth, force_refresh: bool = False) -> None:
        """Make sure the user's access token is valid, refreshing it when expired (or when told)."""
        token = auth.cache_handler.get_cached_token()
        if token is None:
            raise SpotifyAuthMissing(user)
        missing = set(SCOPES.split()) - set((token.get("scope") or "").split())
        if missing:
            raise SpotifyAuthMissing(user, f"the stored token lacks the scopes {', '.join(sorted(missing))}")
        if not token.get("refresh_token"):
            raise SpotifyAuthMissing(user, "the stored token has no refresh token")
        if force_refresh or auth.is_token_expired(token):
            try:
                auth.refresh_access_token(token["refresh_token"])
            except SpotifyOauthError as error:
                raise oauth_error(user, error) from None

    # --- the call loop -------------------------------------------------------------------------------

    def _call(self, user: str, method: str, endpoint: str, send: Callable[[spotipy.Spotify], Any]) -> Any:
        """Send one API call with the retry policy: reads retried, writes sent once."""
        client = self._client(user)
        refreshed = force_refresh = False
        attempt = 0
        while True:
            attempt += 1
            write, failure = False, None
            try:
                self._usable_token(user, client.auth_manager, force_refresh)
                force_refresh, write = False, method != "GET"
                return send(client)
            except SpotifyException as error:
                headers = error.headers or {}
                failure = Failure(error.http_status, error.reason,
                                  retry_after_seconds(headers.get("Retry-After"), self.time_source.time()), error.msg.split("\n")[-1].strip())
            except (requests.Timeout, requests.ConnectionError) as error:
                failure = Failure(None, detail=type(error).__name__)
            except SpotifyUnavailable as error:  # the token endpoint failed: nothing was written yet
                failure = Failure(503, detail=str(error))
            step = decide(failure, write=write, attempt=attempt, max_attempts=self.max_get_attempts, refreshed=refreshed,
                          backoff_s=self.backoff_s, max_backoff_s=self.max_backoff_s, max_retry_after_s=self.max_retry_after_s)
            if step.action == "retry":
                log.warning("Spotify %s for user %s: %s; retry %d in %.1f s", endpoint, user,
                            failure.status or failure.detail, attempt, step.wait_s)
                self.time_source.sleep(step.wait_s)
            elif step.action == "refresh":
                client.auth_manager.cache_handler.forget()
                refreshed = force_refresh = True
            else:
                error = self._stop(step, failure, user, endpoint)
                log.warning("%s", error)
                raise error

    def _stop(self, step: Step, failure: Failure, user: str, endpoint: str) -> Exception:
        now = self.time_source.time()
        if step.action == "quota":
            resume = now + step.wait_s if step.wait_s else next_utc_midnight(now)
            self.budget.cool_down(resume, "quota")
            return SpotifyQuotaExceeded(utc_naive(resume), f"{endpoint} for user '{user}'")
        if step.action == "rate_limited":
            if step.wait_s > self.max_retry_after_s:
                self.budget.cool_down(now + step.wait_s, "rate_limit")
            return SpotifyRateLimited(utc_naive(now + step.wait_s), f"{endpoint}: Retry-After {step.wait_s:.0f} s")
        if step.action == "revoked":
            return SpotifyAuthRevoked(user)
        if step.action == "uncertain":
            return SpotifyWriteUncertain(endpoint, f"status {failure.status or failure.detail}")
        if step.action == "unavailable":
            return SpotifyUnavailable(endpoint, f"last status {failure.status or failure.detail}")
        if step.action == "forbidden":
            return SpotifyForbidden(endpoint, failure.detail if failure.detail != "None" else "")
        if step.action == "not_found":
            return SpotifyNotFound(endpoint)
        return SpotifyBadRequest(endpoint, failure.status or 0, failure.detail)

    def _get(self, user: str, endpoint: str, send: Callable[[spotipy.Spotify], Any]) -> Any:
        return self._call(user, "GET", endpoint, send)

    # --- reads ------------------------------------------------------------------------------------------

    def me(self, user: str) -> dict:
        """The user's profile (GET /v1/me)."""
        return self._get(user, "GET /v1/me", lambda sp: sp.me())

    def saved_tracks_page(self, user: str, offset: int, limit: int = 50) -> dict:
        """One page of the user's liked songs, newest first (GET /v1/me/tracks)."""
        return self._get(user, "GET /v1/me/tracks", lambda sp: sp.current_user_saved_tracks(limit=limit, offset=offset))

    def my_playlists_page(self, user: str, offset: int, limit: int = 50) -> dict:
        """One page of the playlists in the user's library (GET /v1/me/playlists)."""
        return self._get(user, "GET /v1/me/playlists", lambda sp: sp.current_user_playlists(limit=limit, offset=offset))

    def playlist(self, user: str, playlist_id: str, fields: str | None = None) -> dict:
        """One playlist's object, optionally filtered by `fields` (GET /v1/playlists/{id})."""
        return self._get(user, "GET /v1/playlists/{playlist_id}",
                         lambda sp: sp.playlist(playlist_id, fields=fields, additional_types=("track", "episode")))

    def playlist_items_page(self, user: str, playlist_id: str, offset: int, limit: int = 50, fields: str | None = None) -> dict:
        """One page of a playlist's entries, tracks and episodes (GET /v1/playlists/{id}/items)."""
        return self._get(user, "GET /v1/playlists/{playlist_id}/items",
                         lambda sp: sp.playlist_items(playlist_id, fields=fields, limit=limit, offset=offset))

    def track(self, user: str, track_id: str) -> dict:
        """One catalog track's full object (GET /v1/tracks/{id}: development mode has no batch lookup)."""
        return self._get(user, "GET /v1/tracks/{track_id}", lambda sp: sp.track(track_id))

    def recently_played(self, user: str, after_ms: int | None = None, limit: int = 50) -> dict:
        """The user's plays after `after_ms` (epoch milliseconds), oldest cursor first; Spotify keeps
        only the last 50 (GET /v1/me/player/recently-played)."""
        return self._get(user, "GET /v1/me/player/recently-played",
                         lambda sp: sp.current_user_recently_played(limit=limit, after=after_ms))

    def top_items(self, user: str, kind: str, time_range: str) -> list[dict]:
        """The user's top `kind` ("tracks" or "artists") in `time_range`, best first: every page of 50
        (GET /v1/me/top/{type})."""
        def first_page(sp: spotipy.Spotify) -> dict:
            read = sp.current_user_top_tracks if kind == "tracks" else sp.current_user_top_artists
            return read(limit=TOP_PAGE, offset=0, time_range=time_range)

        first = self._get(user, f"GET /v1/me/top/{kind}", first_page)
        return [item for page in self.pages(user, first) for item in page["items"]]

    def next_page(self, user: str, page: dict) -> dict | None:
        """The page after `page` (following its absolute `next` URL), or None at the end."""
        url = page.get("next")
        if not url:
            return None
        return self._get(user, endpoint_of("GET", url), lambda sp: sp.next(page))

    def pages(self, user: str, first: dict) -> Iterator[dict]:
        """`first` and every page after it."""
        page: dict | None = first
        while page is not None:
            yield page
            page = self.next_page(user, page)

    def capabilities(self, user: str) -> Capabilities:
        """The app's access profile, probed with one request per app per `capabilities_ttl_s`."""
        cached = self.known_capabilities()
        if cached:
            return cached
        try:
            self._get(user, "GET /v1/artists", lambda sp: sp.artists([_PROBE_ARTIST_ID]))
            profile = "extended"
        except SpotifyForbidden:
            profile = "devmode"
        self.ledger.save_profile(self.app_client_id, profile, self.time_source.time())
        return Capabilities(profile)

    def artists(self, user: str, ids: list[str], one_by_one: bool = False) -> list[dict | None]:
        """Full artist objects: batches of 50 when extended; in devmode one request each only if `one_by_one`, else SpotifyForbidden."""
        if self.capabilities(user).batch_endpoints:
            found: list[dict | None] = []
            for batch in chunks(list(ids), 50):
                found += self._get(user, "GET /v1/artists", lambda sp, b=batch: sp.artists(b))["artists"]
            return found
        if not one_by_one:
            raise SpotifyForbidden("GET /v1/artists", "batch lookups are unavailable to a development-mode app; "
                                   "pass one_by_one=True to spend one request per artist")
        return [self._get(user, "GET /v1/artists/{artist_id}", lambda sp, a=artist: sp.artist(a)) for artist in ids]

    # --- writes: each sent exactly once ------------------------------------------------------------

    def _write(self, user: str, method: str, endpoint: str, send: Callable[[spotipy.Spotify], Any]) -> Any:
        return self._call(user, method, endpoint, send)

    @staticmethod
    def _at_most_100(values: list, what: str) -> list:
        if len(values) > 100:
            raise ValueError(f"{what}: at most 100 per request, got {len(values)}; split the change")
        return list(values)

    def create_playlist(self, user: str, name: str, description: str, public: bool = False) -> dict:
        """Create a playlist owned by the user (POST /v1/me/playlists); returns the playlist object."""
        return self._write(user, "POST", "POST /v1/me/playlists",
                           lambda sp: sp.current_user_playlist_create(name, public=public, collaborative=False, description=description))

    def add_items(self, user: str, playlist_id: str, uris: list[str], position: int | None = None) -> str:
        """Add up to 100 items at `position` (end when None); returns the new snapshot_id."""
        uris = self._at_most_100(uris, "add_items")
        result = self._write(user, "POST", "POST /v1/playlists/{playlist_id}/items",
                             lambda sp: sp.playlist_add_items(playlist_id, uris, position=position))
        return result["snapshot_id"]

    def replace_items(self, user: str, playlist_id: str, uris: list[str]) -> str:
        """Replace the whole playlist with up to 100 items (PUT); returns the new snapshot_id."""
        uris = self._at_most_100(uris, "replace_items")
        result = self._write(user, "PUT", "PUT /v1/playlists/{playlist_id}/items",
                             lambda sp: sp.playlist_replace_items(playlist_id, uris))
        return result["snapshot_id"]

    def remove_items(self, user: str, playlist_id: str, items: list, snapshot_id: str | None = None) -> str:
        """Remove up to 100 items: URIs (every occurrence) or {"uri", "positions"} dicts; returns the new snapshot_id."""
        items = self._at_most_100(items, "remove_items")
        if all(isinstance(item, dict) for item in items):
            send = lambda sp: sp.playlist_remove_specific_occurrences_of_items(playlist_id, items, snapshot_id=snapshot_id)  # noqa: E731
        else:
            send = lambda sp: sp.playlist_remove_all_occurrences_of_items(playlist_id, items, snapshot_id=snapshot_id)  # noqa: E731
        return self._write(user, "DELETE", "DELETE /v1/playlists/{playlist_id}/items", send)["snapshot_id"]

    def reorder_items(self, user: str, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1,
                      snapshot_id: str | None = None) -> str:
        """Move `range_length` items from `range_start` to before `insert_before` (PUT); returns the new snapshot_id."""
        result = self._write(user, "PUT", "PUT /v1/playlists/{playlist_id}/items",
                             lambda sp: sp.playlist_reorder_items(playlist_id, range_start, insert_before,
                                                                  range_length=range_length, snapshot_id=snapshot_id))
        return result["snapshot_id"]

    def change_details(self, user: str, playlist_id: str, name: str, description: str) -> None:
        """Rename a playlist and set its description (PUT /v1/playlists/{id}; Spotify answers without a body)."""
        self._write(user, "PUT", "PUT /v1/playlists/{playlist_id}",
                    lambda sp: sp.playlist_change_details(playlist_id, name=name, description=description))

    # --- accounting -------------------------------------------------------------------------------------

    def requests_spent(self, user: str | None = None) -> dict[str, int]:
        """Requests this resource instance sent, by endpoint (optionally for one user)."""
        spent: Counter = Counter()
        for (who, endpoint), n in self._spent.items():
            if user is None or who == user:
                spent[endpoint] += n
        return dict(spent)

    def known_capabilities(self) -> Capabilities | None:
        """The app's access profile if probed within the TTL, without sending anything."""
        profile = self.ledger.cached_profile(self.app_client_id, self.time_source.time(), self.capabilities_ttl_s)
        return Capabilities(profile) if profile else None
