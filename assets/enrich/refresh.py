"""What every enrichment asset does: fetch the due keys, merge them into the cached table, report.

The assets only say which keys they want, how to look one up and which table holds the cache; this
module reads the cache, applies the rules of `cache.py`, writes the table back (only when something
was fetched), records the requests into `ops.api_requests` and returns coverage as metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl
from pydantic import Field

from assets.enrich.cache import DEFAULT_TTLS, ERROR, Ttl, coverage, fetch_all, keys_to_fetch, merge
from assets.normalise import normalise
from assets.spend import record_spend
from resources.http import JsonApi, ServiceError
from resources.warehouse import Warehouse

CATALOG_TRACKS = dg.AssetKey(["raw", "tracks"])


class EnrichConfig(dg.Config):
    """Run config of an enrichment asset: TTL overrides and the time to judge them by."""

    hit_ttl_hours: float | None = Field(default=None, description="override the source's hit TTL (default: seed 004)")
    miss_ttl_minutes: float | None = Field(default=None, description="override the source's miss TTL (default 5)")
    as_of: str | None = Field(default=None, description="naive-UTC ISO time to judge TTLs by and stamp rows with; default now")

    def ttl(self, source: str) -> Ttl:
        default = DEFAULT_TTLS[source]
        return Ttl(
            hit=timedelta(hours=self.hit_ttl_hours) if self.hit_ttl_hours is not None else default.hit,
            miss=timedelta(minutes=self.miss_ttl_minutes) if self.miss_ttl_minutes is not None else default.miss,
        )

    def now(self) -> datetime:
        if self.as_of:
            return datetime.fromisoformat(self.as_of).replace(tzinfo=None)
        return datetime.now(UTC).replace(tzinfo=None)


CATALOG_SQL = "select track_id, name, isrc, artist_names from tracks order by track_id"


def read_queries(warehouse: Warehouse, *queries: str) -> list[pl.DataFrame]:
    """Several reads on one connection (opening one is the slow part)."""
    with warehouse.connect() as con:
        return [con.sql(query).pl() for query in queries]


def read_catalog_and_cache(warehouse: Warehouse, table: str) -> tuple[list[dict], pl.DataFrame]:
    """Every catalog track of every user once (id, title, ISRC, artist names), and the cache table."""
    tracks, cache = read_queries(warehouse, CATALOG_SQL, f"select * from {table}")
    return tracks.to_dicts(), cache


def track_key(track: dict) -> tuple[str, str] | None:
    """(normalised primary artist, normalised title), or None when either is empty."""
    artists = track.get("artist_names") or []
    key = (normalise(artists[0] if artists else ""), normalise(track.get("name")))
    return key if all(key) else None


def refresh_cache(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    table: str,
    cache: pl.DataFrame,
    key_columns: list[str],
    wanted: Iterable[Hashable],
    lookup: Callable[[Any], dict[str, Any] | None],
    api: JsonApi,
    config: EnrichConfig,
    source: str,
) -> dg.MaterializeResult:
    """Fetch the wanted keys that are missing, expired or in error; write the merged `cache` as `table`; report."""
    now, ttl = config.now(), config.ttl(source)
    wanted = list(dict.fromkeys(wanted))
    cached = {tuple(row[c] for c in key_columns): row for row in cache.to_dicts()}
    due = keys_to_fetch(wanted, {k: (r["status"], r["expires_at"]) for k, r in cached.items()}, now)
    context.log.info(f"{source}: {len(wanted)} keys wanted, {len(due)} due")
    fetched = fetch_all(due, lookup, now, ttl, is_error=lambda e: isinstance(e, ServiceError))
    for f in fetched:
        f.values.update(zip(key_columns, f.key))
    rows = merge(cached, fetched, source)
    if fetched:
        warehouse.replace_table(table, pl.from_dicts(list(rows.values()), schema=cache.schema))
    spent = record_spend(warehouse, context, dict(sorted(api.calls.items())), service=api.service)  # shared: no user
    return dg.MaterializeResult(metadata={**report(rows, wanted, fetched, api), **spent})


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
