"""The SQL marts over the warehouse: one asset per `sql/marts/*.sql` select."""

import dagster as dg

from assets.enrichment import ENRICH_ASSETS
from assets.marts.sql_marts import build_mart_assets
from assets.playlists import PLAYLISTS_ASSETS
from assets.spotify import SPOTIFY_ASSETS
from assets.tables import keys_by_table

MART_ASSETS = build_mart_assets(keys_by_table([*SPOTIFY_ASSETS, *ENRICH_ASSETS, *PLAYLISTS_ASSETS]))

defs = dg.Definitions(assets=MART_ASSETS)
