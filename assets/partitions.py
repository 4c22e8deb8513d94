"""The one partitioning of per-user assets: a Dagster partition per Spotify user."""

import dagster as dg

spotify_users = dg.DynamicPartitionsDefinition(name="spotify_users")
