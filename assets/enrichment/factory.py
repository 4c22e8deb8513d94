"""One factory for every enrichment asset: a source described as data becomes a cached table asset.

A source says which keys it wants, how to ask its client for one and which table holds the cache;
every asset then does the same: read the catalog and the cache, fetch the keys that are missing,
expired or in error (the rules of `cache.py`), write the table back (only when something was
fetched), record the requests spent and report coverage as metadata.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl
from pydantic import Field

from assets.automation import REFRESH_WHEN_STALE, ttl_policy
from assets.enrichment.cache import ERROR, PENDING, Ttl, coverage, fetch_all, keys_to_fetch, merge
from assets.kinds import storage_kind
from assets.spend import record_spend
from resources.http import JsonApi, ServiceError, ServiceUnavailable
from resources.warehouse import Warehouse

CATALOG_TRACKS = dg.AssetKey(["spotify", "tracks"])
# Every catalog track of every user once: id, title, ISRC, artist names.
CATALOG_SQL = "select track_id, name, isrc, artist_names from tracks order by track_id"
GROUP = "enrichment"
SCHEMA = "enrich"
POOL = "duckdb_write"


def enrichment_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([GROUP, name])


@dataclass(frozen=True)
class EnrichmentSource:
    """One enrichment asset as data.

    `wanted` takes the catalog tracks (dicts), then the rows of each `also_reads` query, and returns
    key -> what to ask with, a key being a tuple with one value per `key_columns`. `lookup` takes the
    client of the `service` resource and one such question and returns the cached columns, or None
    when the service does not know it (a miss); a `ServiceError` is recorded as an error, a
    `ServiceUnavailable` (the service could not be reached) leaves the key pending, uncached."""

    name: str  # the asset `enrichment/<name>` and the table `enrich.<name>`
    service: str  # the client resource's key; also the `source` column and the asset's kind
    description: str
    key_columns: tuple[str, ...]
    ttl: Ttl
    wanted: Callable[..., dict[tuple, Any]]
    lookup: Callable[[Any, Any], dict[str, Any] | None]
    also_reads: tuple[str, ...] = ()
    deps: tuple[dg.AssetKey, ...] = (CATALOG_TRACKS,)

    @property
    def key(self) -> dg.AssetKey:
        return enrichment_key(self.name)

    @property
    def table(self) -> str:
        return f"{SCHEMA}.{self.name}"


class EnrichConfig(dg.Config):
    """Run config of an enrichment asset: TTL overrides and the time to judge them by."""

    hit_ttl_hours: float | None = Field(default=None, description="override the source's hit TTL")
    miss_ttl_minutes: float | None = Field(default=None, description="override the source's miss TTL (default 5)")
    as_of: str | None = Field(default=None, description="naive-UTC ISO time to judge TTLs by and stamp rows with; default now")

    def ttl(self, default: Ttl) -> Ttl:
        return Ttl(
            hit=timedelta(hours=self.hit_ttl_hours) if self.hit_ttl_hours is not None else default.hit,
            miss=timedelta(minutes=self.miss_ttl_minutes) if self.miss_ttl_minutes is not None else default.miss,
        )

    def now(self) -> datetime:
        if self.as_of:
            return datetime.fromisoformat(self.as_of).replace(tzinfo=None)
        return datetime.now(UTC).replace(tzinfo=None)


def enrichment_asset(source: EnrichmentSource) -> dg.AssetsDefinition:
    """The asset `enrichment/<name>` that keeps `enrich.<name>` fresh from the `service` resource."""

    @dg.asset(
        key=source.key,
        description=source.description,
        deps=list(source.deps),
        group_name=GROUP,
        kinds={source.service, storage_kind()},
        metadata={"dagster/table_name": source.table},
        pool=POOL,
        freshness_policy=ttl_policy(source.ttl.hit),
        automation_condition=REFRESH_WHEN_STALE,
        required_resource_keys={"warehouse", source.service},
    )
    def _enrichment(context: dg.AssetExecutionContext, config: EnrichConfig) -> dg.MaterializeResult:
        warehouse: Warehouse = context.resources.warehouse
        client = getattr(context.resources, source.service).client()
        tracks, *extra, cache = read_queries(warehouse, CATALOG_SQL, *source.also_reads, f"select * from {source.table}")
        wanted = source.wanted(tracks.to_dicts(), *(frame.to_dicts() for frame in extra))
        rows, fetched = refresh(context, source, config, cache, wanted, lambda key: source.lookup(client, wanted[key]))
        pending = [k for k in wanted if k not in rows]
        if fetched:
            warehouse.replace_table(source.table, pl.from_dicts(list(rows.values()), schema=cache.schema))
        spent = record_spend(context, client.api.ledger, service=client.api.service)
        return dg.MaterializeResult(metadata={**report(rows, list(wanted), fetched, client.api),
                                              "keys_pending": len(pending), **spent})

    return _enrichment


def read_queries(warehouse: Warehouse, *queries: str) -> list[pl.DataFrame]:
    """Several reads on one connection (opening one is the slow part)."""
    with warehouse.connect() as con:
        return [con.sql(query).pl() for query in queries]


def refresh(context: dg.AssetExecutionContext, source: EnrichmentSource, config: EnrichConfig, cache: pl.DataFrame,
            wanted: dict[tuple, Any], lookup: Callable[[Hashable], dict[str, Any] | None]) -> tuple[dict, list]:
    """Fetch the wanted keys that are missing, expired or in error; the merged cache rows and what was fetched."""
    now, ttl = config.now(), config.ttl(source.ttl)
    cached = {tuple(row[c] for c in source.key_columns): row for row in cache.to_dicts()}
    due = keys_to_fetch(wanted, {k: (r["status"], r["expires_at"]) for k, r in cached.items()}, now)
    context.log.info(f"{source.name}: {len(wanted)} keys wanted, {len(due)} due")
    fetched = fetch_all(due, lookup, now, ttl, is_error=lambda e: isinstance(e, ServiceError),
                        is_transient=lambda e: isinstance(e, ServiceUnavailable))
    pending = [f for f in fetched if f.status == PENDING]
    if pending:
        context.log.warning(f"{source.name}: {source.service} could not be reached; {len(pending)} keys stay "
                            f"pending and are asked again next run ({pending[0].error})")
    fetched = [f for f in fetched if f.status != PENDING]
    for f in fetched:
        f.values.update(zip(source.key_columns, f.key))
    return merge(cached, fetched, source.service), fetched


def report(rows: dict, wanted: list, fetched: list, api: JsonApi) -> dict[str, Any]:
    cover = coverage(rows[k] for k in wanted if k in rows)
    errors = [f"{f.key}: {f.error}" for f in fetched if f.status == ERROR][:5]
    return {
        "dagster/row_count": len(rows),
        "keys_wanted": len(wanted),
        "keys_fetched": len(fetched),
        **{f"coverage_{name}": value for name, value in cover.items()},
        "rate_limit_wait_s": round(api.waited_s, 3),
        "errors_sample": dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none"),
    }
