"""Where Spotify tokens live: private files under the data directory, or AWS Secrets Manager.

A token is spotipy's whole token dict (access_token, refresh_token, scope, expires_at, ...),
stored under the Spotify user id.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any, Protocol

from spotipy.cache_handler import CacheHandler

from resources.spotify_errors import SpotifyAuthMissing

_USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def valid_user_id(user: object) -> bool:
    """Whether the whole text is a user id that is safe as a file, secret and partition name
    (fullmatch: `$` would let a trailing newline through)."""
    return isinstance(user, str) and _USER_ID.fullmatch(user) is not None and ".." not in user


def check_user_id(user: str) -> str:
    """The user id, when it is safe as a file or secret name; else a clear error."""
    if not valid_user_id(user):
        raise ValueError(f"user id {user!r} is not valid: use letters, digits, '.', '_' or '-' (up to 128)")
    return user


def _parsed_token(user: str, text: str | bytes, where: str) -> dict[str, Any]:
    """A stored token, or an authentication error naming the user when it is not a token."""
    try:
        token = json.loads(text)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise SpotifyAuthMissing(user, f"the stored token ({where}) is corrupt ({type(error).__name__})") from None
    if not isinstance(token, dict):
        raise SpotifyAuthMissing(user, f"the stored token ({where}) is not a token object")
    return token


class TokenStore(Protocol):
    def get(self, user: str) -> dict[str, Any] | None:
        """The stored token of a user, or None."""

    def put(self, user: str, token_info: dict[str, Any]) -> None:
        """Store (replace) a user's token."""

    def users(self) -> list[str]:
        """Every user with a stored token, sorted."""

    def delete(self, user: str) -> None:
        """Forget a user's token (no error when there is none)."""


class FileTokenStore:
    """One JSON file per user, mode 0600, in a directory of mode 0700."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)

    def _path(self, user: str) -> Path:
        return self.directory / f"{check_user_id(user)}.json"

    def get(self, user: str) -> dict[str, Any] | None:
        """The stored token of a user, or None."""
        path = self._path(user)
        if not path.exists():
            return None
        try:
            text = path.read_bytes()
        except OSError as error:
            raise SpotifyAuthMissing(user, f"the stored token ({path}) cannot be read: {error.strerror}") from None
        return _parsed_token(user, text, str(path))

    def put(self, user: str, token_info: dict[str, Any]) -> None:
        """Write atomically: a private temp file renamed over the old one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        path = self._path(user)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(token_info, handle)
        os.chmod(temp, 0o600)
        os.replace(temp, path)

    def users(self) -> list[str]:
        """Every user with a stored token, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.json") if valid_user_id(p.stem))

    def delete(self, user: str) -> None:
        """Forget a user's token (no error when there is none)."""
        self._path(user).unlink(missing_ok=True)


class SecretsManagerTokenStore:
    """One secret per user, named `<prefix><user>`, through dagster-aws's Secrets Manager client."""

    def __init__(self, prefix: str = "mixtape/spotify-token/", client: Any = None, **boto_config: Any):
        self.prefix = prefix
        self._client = client if client is not None else self._make_client(boto_config)

    @staticmethod
    def _make_client(boto_config: dict[str, Any]) -> Any:
        import dagster as dg
        from dagster_aws.secretsmanager import SecretsManagerResource  # lazy: boto3 is heavy

        config = {k: v for k, v in boto_config.items() if v is not None}
        with warnings.catch_warnings():  # the class is marked beta; we use only its boto3 client
            warnings.simplefilter("ignore", dg.BetaWarning)
            return SecretsManagerResource(**config).get_client()

    def _name(self, user: str) -> str:
        return self.prefix + check_user_id(user)

    def get(self, user: str) -> dict[str, Any] | None:
        """The stored token of a user, or None."""
        try:
            value = self._client.get_secret_value(SecretId=self._name(user))
        except self._client.exceptions.ResourceNotFoundException:
            return None
        return _parsed_token(user, value.get("SecretString") or "", f"secret {self._name(user)}")

    def put(self, user: str, token_info: dict[str, Any]) -> None:
        """Store (replace) a user's token, creating the secret the first time."""
        body = json.dumps(token_info)
        try:
            self._client.put_secret_value(SecretId=self._name(user), SecretString=body)
        except self._client.exceptions.ResourceNotFoundException:
            self._client.create_secret(Name=self._name(user), SecretString=body,
                                       Description="mixtape: a Spotify user's OAuth token")

    def users(self) -> list[str]:
        """Every user with a stored token, sorted."""
        names: list[str] = []
        for page in self._client.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [self.prefix]}]
        ):
            names += [s["Name"] for s in page["SecretList"] if s["Name"].startswith(self.prefix)]
        return sorted(n[len(self.prefix):] for n in names if valid_user_id(n[len(self.prefix):]))

    def delete(self, user: str) -> None:
        """Forget a user's token (no error when there is none)."""
        try:
            self._client.delete_secret(SecretId=self._name(user), ForceDeleteWithoutRecovery=True)
        except self._client.exceptions.ResourceNotFoundException:
            pass


def token_store(kind: str, data_dir: Path | str, secrets_prefix: str | None = None,
                endpoint_url: str | None = None, region_name: str | None = None) -> TokenStore:
    """The token store a setting names: `file` (default) or `secretsmanager`."""
    if kind == "file":
        return FileTokenStore(Path(data_dir) / "tokens")
    if kind == "secretsmanager":
        return SecretsManagerTokenStore(secrets_prefix or "mixtape/spotify-token/",
                                        endpoint_url=endpoint_url, region_name=region_name)
    raise ValueError(f"MIXTAPE_TOKEN_STORE={kind!r} is not valid: use 'file' or 'secretsmanager'")


class StoreCacheHandler(CacheHandler):
    """spotipy's token cache over a TokenStore for one user; keeps the token in memory between reads."""

    def __init__(self, store: TokenStore, user: str):
        self.store, self.user = store, user
        self._token: dict[str, Any] | None = None

    def get_cached_token(self) -> dict[str, Any] | None:
        if self._token is None:
            self._token = self.store.get(self.user)
        return self._token

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        self.store.put(self.user, token_info)
        self._token = dict(token_info)

    def forget(self) -> None:
        """Read the store again next time (another process may have logged the user in anew)."""
        self._token = None


def token_store_from_settings(settings) -> TokenStore:
    """The token store the command-line settings name (MIXTAPE_TOKEN_STORE, MIXTAPE_SECRETS_PREFIX,
    AWS_ENDPOINT_URL, AWS_REGION); Dagster runs get theirs from the Spotify resource's fields."""
    return token_store(settings.mixtape_token_store, settings.data_dir, settings.mixtape_secrets_prefix,
                       endpoint_url=settings.aws_endpoint_url,
                       region_name=settings.aws_region or settings.aws_default_region)
