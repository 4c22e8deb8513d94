"""The one partitioning of per-user assets: a Dagster partition per Spotify user."""

import dagster as dg

spotify_users = dg.DynamicPartitionsDefinition(name="spotify_users")

# Every run for one user carries this tag; dagster.yaml lets one such run go at a time per user.
USER_TAG = "spotify_user"
