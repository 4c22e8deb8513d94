"""The sandbox's Spotify accounts service: `/authorize` and `/api/token`.

`/authorize` approves at once as the signed-in sandbox user (as Spotify does for an app the user
already approved) and redirects to the loopback redirect URI with a code. `/api/token` exchanges
codes and refresh tokens as the real service does, errors included.
"""

from __future__ import annotations

import base64
import binascii
import html
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from sandbox.harness import Fault, Request, Response
from sandbox.world import World

CODE_SECONDS = 600


@dataclass
class _Code:
    user: str
    client_id: str
    scope: str
    redirect_uri: str
    expires_at: float


def _token_error(error: str, description: str, status: int = 400) -> Response:
    return Response(status, {"error": error, "error_description": description})


def _page(status: int, text: str) -> Response:
    body = f"<!doctype html><title>Spotify accounts (sandbox)</title><p>{html.escape(text)}</p>"
    return Response(status, body, {"Content-Type": "text/html; charset=utf-8"})


def is_loopback_redirect(uri: str) -> bool:
    """Spotify's 2025 rule: http only on the loopback IP literal, with a port (no `localhost`)."""
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1") and port is not None


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


class AccountsService:
    """Spotify's accounts host, counted with the Web API under the service name "spotify"."""

    name = "spotify"

    def __init__(self, world: World):
        self.world = world
        self.codes: dict[str, _Code] = {}

    def routes(self):
        return [("GET", "/authorize", self.authorize), ("POST", "/api/token", self.token)]

    def before(self, request: Request) -> Response | None:
        return None

    def fault_response(self, fault: Fault, request: Request) -> Response:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        error = "server_error" if fault.status >= 500 else "temporarily_unavailable"
        return Response(fault.status, {"error": error, "error_description": f"sandbox fault {fault.status}"}, headers)

    def _client_known(self, client_id: str | None) -> bool:
        return self.world.client_id is None or client_id == self.world.client_id

    def authorize(self, request: Request) -> Response:
        q = request.query
        if not q.get("client_id") or not self._client_known(q["client_id"]):
            return _page(400, "INVALID_CLIENT: Invalid client")
        redirect_uri = q.get("redirect_uri", "")
        if not is_loopback_redirect(redirect_uri):
            return _page(400, "INVALID_CLIENT: Insecure redirect URI")
        if q.get("response_type") != "code":
            return self._redirect(redirect_uri, {"error": "unsupported_response_type", "state": q.get("state")})
        user = self.world.session_user
        if user is None:
            return _page(200, "Log in to Spotify: no sandbox user is signed in (POST /_sandbox/session).")
        code = "sbx-code-" + secrets.token_urlsafe(24)
        self.codes[code] = _Code(user, q["client_id"], " ".join(sorted(q.get("scope", "").split())),
                                 redirect_uri, self.world.clock.now() + CODE_SECONDS)
        return self._redirect(redirect_uri, {"code": code, "state": q.get("state")})

    @staticmethod
    def _redirect(redirect_uri: str, params: dict[str, str | None]) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return Response(302, b"", {"Location": f"{redirect_uri}{separator}{query}"})

    def token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        client_id, secret = _client_credentials(request, form)
        if not client_id:
            return _token_error("invalid_client", "Invalid client", 400)
        if self.world.client_id is not None and (client_id, secret) != (self.world.client_id, self.world.client_secret):
            return _token_error("invalid_client", "Invalid client secret" if client_id == self.world.client_id else "Invalid client")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(client_id, form)
        if grant_type == "refresh_token":
            return self._refresh(client_id, form)
        return _token_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")

    def _exchange_code(self, client_id: str, form: dict[str, str]) -> Response:
        code = self.codes.pop(form.get("code", ""), None)  # single use, as Spotify's are
        if code is None or code.expires_at <= self.world.clock.now() or code.client_id != client_id:
            return _token_error("invalid_grant", "Invalid authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            return _token_error("invalid_grant", "Invalid redirect URI")
        self.world.tokens.revoked.discard(code.user)  # the user approved the app again
        token = self.world.tokens.issue(code.user, client_id, code.scope, self.world.clock.now())
        return Response(200, token)

    def _refresh(self, client_id: str, form: dict[str, str]) -> Response:
        refresh_token = form.get("refresh_token", "")
        grant = self.world.tokens.refresh.get(refresh_token)
        if grant is None or grant.user in self.world.tokens.revoked:
            return _token_error("invalid_grant", "Refresh token revoked")
        if grant.client_id != client_id:
            return _token_error("invalid_grant", "Invalid refresh token")
        # Like Spotify, the answer keeps the old refresh token valid and omits it.
        token = self.world.tokens.issue(grant.user, client_id, grant.scope, self.world.clock.now(),
                                        refresh_token=refresh_token)
        return Response(200, token)
