"""Enrichment from Deezer, Last.fm and MusicBrainz: shared across users, cached with TTLs, one asset per source."""

import dagster as dg

from assets.enrichment.factory import enrichment_asset
from assets.enrichment.sources import SOURCES

ENRICH_ASSETS = [enrichment_asset(source) for source in SOURCES]

defs = dg.Definitions(assets=ENRICH_ASSETS)
