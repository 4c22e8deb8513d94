"""Checks on the enrichment caches: how much of the catalog each source answers."""

import dagster as dg

from assets.enrichment.sources import DEEZER_TRACKS, LASTFM_ARTISTS, LASTFM_TRACKS, MUSICBRAINZ_RECORDINGS
from resources.warehouse import Warehouse, mart_queries

# Below this share of what a source is asked about, the rules that read it see too little: warn.
MIN_COVERAGE = 0.5
# The source names of marts.enrichment_coverage (its select is the one definition of coverage).
COVERAGE_SOURCES = {"deezer": DEEZER_TRACKS, "lastfm_tracks": LASTFM_TRACKS, "lastfm_artists": LASTFM_ARTISTS,
                    "musicbrainz": MUSICBRAINZ_RECORDINGS}
CHECK_NAME = "enrichment_coverage"


def coverage_result(source, found: dict | None) -> dg.AssetCheckResult:
    """Passes when the source answers at least MIN_COVERAGE of what it is asked about (or is asked nothing)."""
    wanted = (found or {}).get("wanted") or 0
    coverage = (found or {}).get("coverage") or 0.0
    passed = wanted == 0 or coverage >= MIN_COVERAGE
    return dg.AssetCheckResult(
        asset_key=source.key, check_name=CHECK_NAME, passed=passed, severity=dg.AssetCheckSeverity.WARN,
        description=None if passed else f"{source.name} answers {coverage:.0%} of {wanted} lookups, "
                                        f"under the {MIN_COVERAGE:.0%} expected",
        metadata={"coverage": float(coverage), "wanted": int(wanted), "hits": int((found or {}).get("hits") or 0),
                  "threshold": MIN_COVERAGE})


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(CHECK_NAME, asset=source.key,
                             description=f"{source.name} answers at least {MIN_COVERAGE:.0%} of the catalog's lookups "
                                         "(warns below)")
           for source in COVERAGE_SOURCES.values()],
    pool="duckdb_write",
)
def enrichment_coverage(warehouse: Warehouse):
    rows = warehouse.query(mart_queries()["marts.enrichment_coverage"])
    by_source = {row["source"]: row for row in rows.to_dicts()}
    for name, source in COVERAGE_SOURCES.items():
        yield coverage_result(source, by_source.get(name))
