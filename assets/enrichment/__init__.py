"""Enrichment from Deezer, Last.fm and MusicBrainz: shared across users, cached with TTLs, one asset per source, all in one step whose sources run side by side; and MusicBrainz's genre list, an asset of its own."""

import dagster as dg

from assets.enrichment.checks import enrichment_coverage
from assets.enrichment.factory import enrichment_assets
from assets.enrichment.genres import musicbrainz_genres
from assets.enrichment.sources import SOURCES

ENRICH_ASSETS = [enrichment_assets(SOURCES)]

defs = dg.Definitions(assets=[*ENRICH_ASSETS, musicbrainz_genres], asset_checks=[enrichment_coverage])
