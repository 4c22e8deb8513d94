"""State the sandbox services share: the library, who is signed in, issued tokens, the clock."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sandbox.harness import Clock
from sandbox.library import Library

ACCESS_TOKEN_SECONDS = 3600


@dataclass
class Grant:
    user: str
    client_id: str
    scope: str
    expires_at: float = 0.0


@dataclass
class TokenRegistry:
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    def issue(self, user: str, client_id: str, scope: str, now: float, refresh_token: str | None = None) -> dict:
        access_token = "sbx-at-" + secrets.token_urlsafe(24)
        self.access[access_token] = Grant(user, client_id, scope, now + ACCESS_TOKEN_SECONDS)
        token = {"access_token": access_token, "token_type": "Bearer", "scope": scope, "expires_in": ACCESS_TOKEN_SECONDS}
        if refresh_token is None:
            refresh_token = "sbx-rt-" + secrets.token_urlsafe(24)
            self.refresh[refresh_token] = Grant(user, client_id, scope)
            token["refresh_token"] = refresh_token
        return token

    def lookup(self, access_token: str, now: float) -> Grant | None:
        """The grant behind a live access token, or None when unknown, expired or revoked."""
        grant = self.access.get(access_token)
        if grant is None or grant.expires_at <= now or grant.user in self.revoked:
            return None
        return grant

    def revoke_user(self, user: str) -> None:
        self.revoked.add(user)
        self.refresh = {k: g for k, g in self.refresh.items() if g.user != user}


class World:
    """Everything the services read and write; guarded by the harness lock."""

    def __init__(self, library: Library, clock: Clock, client_id: str | None = None, client_secret: str | None = None):
        self.clock = clock
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens = TokenRegistry()
        self.playlist_writes: dict[str, int] = {}  # per playlist, kept across reloads: snapshot ids follow writes
        self.generation = 0
        self.load(library)

    def load(self, library: Library) -> None:
        self.library = library
        self.session_user = library.users[0].id if library.users else None
        self.generation += 1  # services rebuild their indexes when this moves

    @property
    def profile(self) -> str:
        return self.library.profile
