"""Every error the Spotify resource raises, typed so callers decide without parsing messages.

Messages name the user and what to do; they never carry tokens or the client secret.
None of these subclass ValueError: spotipy swallows ValueError raised while it sends a request.
"""

from __future__ import annotations

from datetime import datetime


def _login_hint(user: str) -> str:
    return f"run `mixtape login --user {user}`"


class SpotifyError(Exception):
    """Base of every error the Spotify resource raises."""


class SpotifyAuthMissing(SpotifyError):
    """No usable token for the user (none stored, or stored without the scopes mixtape needs)."""

    def __init__(self, user: str, why: str = "no Spotify token is stored"):
        self.user = user
        super().__init__(f"Spotify user '{user}': {why}; {_login_hint(user)}")


class SpotifyAuthRevoked(SpotifyError):
    """The user's refresh token was revoked (or the app's access removed)."""

    def __init__(self, user: str):
        self.user = user
        super().__init__(f"Spotify user '{user}': access was revoked or has expired; {_login_hint(user)}")


class SpotifyAppRejected(SpotifyError):
    """The accounts service rejected the app's client id or secret."""

    def __init__(self, detail: str):
        super().__init__(f"Spotify rejected the app credentials ({detail}); check SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET")


class _Paused(SpotifyError):
    """An error that says when requests may resume."""

    what = "paused"

    def __init__(self, resume_at: datetime, detail: str = ""):
        self.resume_at = resume_at
        extra = f" ({detail})" if detail else ""
        super().__init__(f"Spotify {self.what}{extra}; resume after {resume_at:%Y-%m-%d %H:%M:%S} UTC")


class SpotifyRateLimited(_Paused):
    """A 429 whose Retry-After is beyond the configured cap (or a 429 on a write, which is never re-sent)."""

    what = "rate limit hit"


class SpotifyQuotaExceeded(_Paused):
    """The developer account's daily quota is used up (429 QUOTA_EXCEEDED, or a recorded cooldown)."""

    what = "daily quota exceeded"


class SpotifyBudgetSpent(_Paused):
    """mixtape's own daily request budget for the developer account is spent."""

    what = "request budget for today is spent"


class SpotifyWriteUncertain(SpotifyError):
    """A write got no clear answer (5xx, timeout): it may or may not be applied; re-read state, never re-send blindly."""

    def __init__(self, endpoint: str, detail: str):
        self.endpoint = endpoint
        super().__init__(f"Spotify write {endpoint} may or may not have been applied ({detail}); re-read the playlist before retrying")


class SpotifyForbidden(SpotifyError):
    """403: the endpoint is not available to this app or user (devmode, not the owner, missing scope)."""

    def __init__(self, endpoint: str, detail: str = ""):
        self.endpoint = endpoint
        super().__init__(f"Spotify refused {endpoint} (403){': ' + detail if detail else ''}")


class SpotifyNotFound(SpotifyError):
    """404: the resource does not exist."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        super().__init__(f"Spotify has no such resource: {endpoint} (404)")


class SpotifyUnavailable(SpotifyError):
    """A read still failed (5xx or timeout) after every retry."""

    def __init__(self, endpoint: str, detail: str):
        self.endpoint = endpoint
        super().__init__(f"Spotify {endpoint} kept failing after retries ({detail})")


class SpotifyBadRequest(SpotifyError):
    """Any other 4xx: the request itself was wrong."""

    def __init__(self, endpoint: str, status: int, detail: str):
        self.endpoint, self.status = endpoint, status
        super().__init__(f"Spotify rejected {endpoint} ({status}): {detail}")
