"""One factory for the enrichment assets: sources described as data become one multi-asset, a cached
table per source, whose sources run side by side.

A source says which keys it wants, how to ask its client for one and which table holds the cache.
The step reads the catalog and every cache, then runs each selected source in a thread of its own,
paced only by its own service's limiter (the two Last.fm sources share Last.fm's), so a run takes
about as long as its slowest service alone. A source fed by another (Deezer by MusicBrainz: the ISRCs
it finds for tracks that have none) first asks what it wants already, then, once its feeder is done,
what the feeder's fresh answers add. Each source fetches the keys that are missing, expired or in error
(the rules of `cache.py`), writes its table back (only when something was fetched), records the
requests it spent and reports coverage as metadata.
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl
from pydantic import Field

from assets.automation import REFRESH_WHEN_STALE, ttl_policy
from assets.enrichment.cache import ERROR, PENDING, Ttl, coverage, fetch_all, keys_to_fetch, merge
from assets.kinds import storage_kind
from assets.tables import table_metadata
from assets.progress import counted
from assets.spend import record_spend
from resources.http import JsonApi, ServiceError, ServiceUnavailable, requests_for
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

    `wanted` takes the catalog tracks (dicts), and for a source `fed_by` another, that source's cache
    rows too, and returns key -> what to ask with, a key being a tuple with one value per
    `key_columns`. `lookup` takes the client of the `service` resource and one such question and
    returns the cached columns, or None when the service does not know it (a miss); a `ServiceError`
    is recorded as an error, a `ServiceUnavailable` (the service could not be reached) leaves the key
    pending, uncached."""

    name: str  # the asset `enrichment/<name>` and the table `enrich.<name>`
    service: str  # the client resource's key; also the `source` column and the asset's kind
    description: str
    key_columns: tuple[str, ...]
    ttl: Ttl
    wanted: Callable[..., dict[tuple, Any]]
    lookup: Callable[[Any, Any], dict[str, Any] | None]
    fed_by: str | None = None  # the name of the source whose answers add keys to this one's

    @property
    def key(self) -> dg.AssetKey:
        return enrichment_key(self.name)

    @property
    def table(self) -> str:
        return f"{SCHEMA}.{self.name}"

    @property
    def deps(self) -> list[dg.AssetKey]:
        return [CATALOG_TRACKS, *([enrichment_key(self.fed_by)] if self.fed_by else [])]

    def spec(self) -> dg.AssetSpec:
        return dg.AssetSpec(
            key=self.key, description=self.description, deps=self.deps, group_name=GROUP,
            kinds={self.service, storage_kind()}, metadata=table_metadata(self.table),
            freshness_policy=ttl_policy(self.ttl.hit), automation_condition=REFRESH_WHEN_STALE,
        )


class EnrichConfig(dg.Config):
    """Run config of the enrichment step: TTL overrides and the time to judge them by."""

    hit_ttl_hours: float | None = Field(default=None, description="override the sources' hit TTL")
    miss_ttl_minutes: float | None = Field(default=None, description="override the wait after a first miss (default 5; "
                                                                     "later misses in a row wait longer)")
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


@dataclass
class Refreshed:
    """What one source's run leaves: the merged cache rows, what was fetched, the keys wanted and
    those left pending (the service could not be reached)."""

    rows: dict[tuple, dict]
    wanted: list[tuple] = field(default_factory=list)
    fetched: list = field(default_factory=list)
    pending: list[tuple] = field(default_factory=list)


def enrichment_assets(sources: list[EnrichmentSource]) -> dg.AssetsDefinition:
    """One multi-asset keeping `enrich.<name>` fresh for every source, each from its `service` resource."""
    @dg.multi_asset(
        name=GROUP,
        specs=[source.spec() for source in sources],
        can_subset=True,
        pool=POOL,
        required_resource_keys={"warehouse", *(source.service for source in sources)},
    )
    def enrichment(context: dg.AssetExecutionContext, config: EnrichConfig):
        warehouse: Warehouse = context.resources.warehouse
        tracks, *caches = read_queries(warehouse, CATALOG_SQL, *(f"select * from {s.table}" for s in sources))
        cached = {s.name: cache_rows(s, frame) for s, frame in zip(sources, caches)}
        selected = [s for s in sources if s.key in context.selected_asset_keys]
        catalog = tracks.to_dicts()
        clients = {s.name: getattr(context.resources, s.service).client() for s in selected}
        with ThreadPoolExecutor(max_workers=len(selected), thread_name_prefix="enrich") as pool:
            running: dict[str, Future] = {}
            for source in selected:  # a feeder comes before the sources it feeds (SOURCES' order)
                feeder = running.get(source.fed_by) if source.fed_by else None
                fed_rows = cached.get(source.fed_by, {}) if source.fed_by else None
                work = (context, source, config, clients[source.name], cached[source.name], catalog, fed_rows, feeder)
                # a copy of this thread's context: the requests count under the run (and the source's asset)
                running[source.name] = pool.submit(copy_context().run, refresh_source, *work)
            done = {name: future.result() for name, future in running.items()}
        for source in selected:
            yield write_and_report(context, warehouse, source, caches[sources.index(source)], done[source.name],
                                   clients[source.name].api)

    return enrichment


def cache_rows(source: EnrichmentSource, frame: pl.DataFrame) -> dict[tuple, dict]:
    return {tuple(row[c] for c in source.key_columns): row for row in frame.to_dicts()}


def read_queries(warehouse: Warehouse, *queries: str) -> list[pl.DataFrame]:
    """Several reads on one connection (opening one is the slow part)."""
    with warehouse.connect() as con:
        return [con.sql(query).pl() for query in queries]


def refresh_source(context: dg.AssetExecutionContext, source: EnrichmentSource, config: EnrichConfig, client: Any,
                   cached: dict[tuple, dict], catalog: list[dict], fed_rows: dict | None,
                   feeder: Future | None) -> Refreshed:
    """One source's run, in its own thread: the keys it wants now, then (fed by a source running
    alongside) the keys that source's fresh answers add."""
    with requests_for(source.key.to_user_string()):
        wanted = source.wanted(catalog, list(fed_rows.values())) if fed_rows is not None else source.wanted(catalog)
        done = refresh(context, source, config, Refreshed(cached), wanted, client)
        if feeder is not None:
            more = source.wanted(catalog, list(feeder.result().rows.values()))
            added = {k: v for k, v in more.items() if k not in wanted}
            context.log.info(f"{source.name}: {len(added)} more keys from {source.fed_by}")
            done = refresh(context, source, config, done, added, client)
        return done


def refresh(context: dg.AssetExecutionContext, source: EnrichmentSource, config: EnrichConfig, before: Refreshed,
            wanted: dict[tuple, Any], client: Any) -> Refreshed:
    """Fetch the wanted keys that are missing, expired or in error; `before` with them merged in."""
    now, ttl, cached = config.now(), config.ttl(source.ttl), before.rows
    due = keys_to_fetch(wanted, {k: (r["status"], r["expires_at"]) for k, r in cached.items()}, now)
    context.log.info(f"{source.name}: {len(wanted)} keys wanted, {len(due)} due")
    fetched = fetch_all(counted(due, f"enrichment {source.name}", "lookups", context.log.info),
                        lambda key: source.lookup(client, wanted[key]), now, ttl,
                        is_error=lambda e: isinstance(e, ServiceError),
                        is_transient=lambda e: isinstance(e, ServiceUnavailable),
                        misses_before={k: cached[k].get("misses") or 0 for k in due if k in cached})
    pending = [f for f in fetched if f.status == PENDING]
    if pending:
        context.log.warning(f"{source.name}: {source.service} could not be reached; {len(pending)} keys stay "
                            f"pending and are asked again next run ({pending[0].error})")
    fetched = [f for f in fetched if f.status != PENDING]
    for f in fetched:
        f.values.update(zip(source.key_columns, f.key))
    return Refreshed(merge(cached, fetched, source.service), before.wanted + list(wanted),
                     before.fetched + fetched, before.pending + [f.key for f in pending])


def write_and_report(context: dg.AssetExecutionContext, warehouse: Warehouse, source: EnrichmentSource,
                     cache: pl.DataFrame, done: Refreshed, api: JsonApi) -> dg.MaterializeResult:
    """Write a source's table back (when it fetched anything) and say what it did."""
    if done.fetched:
        warehouse.replace_table(source.table, pl.from_dicts(list(done.rows.values()), schema=cache.schema))
    spent = record_spend(context, api.ledger, service=api.service, asset=source.key.to_user_string())
    return dg.MaterializeResult(asset_key=source.key, metadata={
        **report(done.rows, done.wanted, done.fetched, api), "keys_pending": len(done.pending), **spent})


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
