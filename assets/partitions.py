"""The one partitioning of per-user assets: a Dagster partition per Spotify user."""

import dagster as dg

spotify_users = dg.DynamicPartitionsDefinition(name="spotify_users")

# Every run for one user carries this tag; dagster.yaml lets one such run go at a time per user.
USER_TAG = "spotify_user"


def user_tags(user: str, reason: str) -> dict[str, str]:
    """The tags of a run for one user: the per-user limit's tag, and why it was requested."""
    return {USER_TAG: user, "mixtape/reason": reason}


def syncable_users(instance: dg.DagsterInstance, spotify) -> list[str]:
    """Users with a partition and a token in `spotify`'s store (without a token a run could only fail)."""
    tokens = set(spotify.users())
    return [u for u in instance.get_dynamic_partitions(spotify_users.name) if u in tokens]
