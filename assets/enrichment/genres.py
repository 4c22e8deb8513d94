"""MusicBrainz's genre list, cached like the other lookups: the names MusicBrainz curates as genres.

Last.fm's tags mix genres with moods and personal labels ("beautiful", "favorites", "seen live");
the list tells them apart. It is read whole (a few pages of `GET /ws/2/genre/all`) when the cached
copy has expired (MusicBrainz's hit TTL, 30 days) and kept as it is when MusicBrainz cannot be reached.
"""

from datetime import datetime

import dagster as dg
import polars as pl

from assets.automation import REFRESH_WHEN_STALE, ttl_policy
from assets.enrichment.cache import DEFAULT_TTLS, HIT, Ttl, expires_at, is_due
from assets.enrichment.factory import POOL, SCHEMA, EnrichConfig, enrichment_key
from assets.kinds import storage_kind
from assets.tables import table_metadata
from assets.spend import record_spend
from resources.http import ServiceUnavailable
from resources.musicbrainz import MusicbrainzResource
from resources.warehouse import Warehouse

NAME = "musicbrainz_genres"
TABLE = f"{SCHEMA}.{NAME}"
KEY = enrichment_key(NAME)
TTL = DEFAULT_TTLS["musicbrainz"]


def list_is_due(cached: pl.DataFrame, now: datetime) -> bool:
    """Whether the cached list must be read again: none yet, or expired."""
    if cached.is_empty():
        return True
    return is_due(HIT, cached["expires_at"].min(), now)


def genre_rows(names: list[str], now: datetime, ttl: Ttl) -> pl.DataFrame:
    """The table's rows for a list read at `now`, once per name."""
    return pl.DataFrame({"genre": list(dict.fromkeys(names))}, schema={"genre": pl.String}).with_columns(
        status=pl.lit(HIT), source=pl.lit("musicbrainz"), fetched_at=pl.lit(now),
        expires_at=pl.lit(expires_at(HIT, now, ttl)))


@dg.asset(
    key=KEY,
    group_name="enrichment",
    kinds={"musicbrainz", storage_kind()},
    metadata=table_metadata(TABLE),
    freshness_policy=ttl_policy(TTL.hit),
    automation_condition=REFRESH_WHEN_STALE,
    pool=POOL,
)
def musicbrainz_genres(context: dg.AssetExecutionContext, config: EnrichConfig, warehouse: Warehouse,
                       musicbrainz: MusicbrainzResource) -> dg.MaterializeResult:
    """MusicBrainz's genre list (one row per genre), which tells genres from mood and personal tags."""
    now, ttl = config.now(), config.ttl(TTL)
    cached = warehouse.read(TABLE)
    client = musicbrainz.client()
    fetched = False
    if list_is_due(cached, now):
        try:
            names = client.genres()
        except ServiceUnavailable as error:
            context.log.warning(f"{NAME}: MusicBrainz could not be reached; the cached list stays ({error})")
        else:
            cached = genre_rows(names, now, ttl)
            warehouse.replace_table(TABLE, cached)
            fetched = True
    return dg.MaterializeResult(metadata={
        "dagster/row_count": cached.height,
        "fetched": fetched,
        "expires_at": str(cached["expires_at"].min()) if cached.height else "never read",
        **record_spend(context, client.api.ledger, service="musicbrainz"),
    })
