"""The enrichment assets the factory makes: keys, tables, kinds, freshness and automation, per source,
all in one step that can run any subset of them."""

from datetime import timedelta

import dagster as dg
import pytest

from assets.automation import REFRESH_WHEN_STALE
from assets.enrichment import ENRICH_ASSETS
from assets.enrichment.factory import CATALOG_TRACKS, EnrichmentSource, enrichment_assets
from assets.enrichment.sources import SOURCES
from assets.kinds import storage_kind

EXPECTED = {  # asset name: (service, hit TTL, extra upstream)
    "musicbrainz_recordings": ("musicbrainz", timedelta(days=30), []),
    "deezer_tracks": ("deezer", timedelta(days=90), [dg.AssetKey(["enrichment", "musicbrainz_recordings"])]),
    "lastfm_tracks": ("lastfm", timedelta(days=7), []),
    "lastfm_artists": ("lastfm", timedelta(days=7), []),
}


(ENRICHMENT,) = ENRICH_ASSETS
SPECS = {spec.key.path[-1]: spec for spec in ENRICHMENT.specs}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_source_is_one_asset_in_the_enrichment_group_naming_its_table(name):
    spec = SPECS[name]
    service, hit_ttl, upstream = EXPECTED[name]
    assert spec.key == dg.AssetKey(["enrichment", name])
    assert spec.group_name == "enrichment"
    assert spec.metadata["dagster/table_name"] == f"enrich.{name}"
    assert spec.metadata["dagster/column_schema"].columns  # from its DDL
    assert spec.kinds == {service, storage_kind()}
    assert spec.description and "\n" not in spec.description
    assert [d.asset_key for d in spec.deps] == [CATALOG_TRACKS, *upstream]
    assert spec.freshness_policy.fail_window.to_timedelta() == hit_ttl
    assert spec.automation_condition == REFRESH_WHEN_STALE
    assert {"warehouse", service} <= ENRICHMENT.required_resource_keys


def test_every_source_has_its_asset_once_in_one_step_that_runs_any_subset():
    assert sorted(SPECS) == sorted(EXPECTED) == sorted(s.name for s in SOURCES)
    assert ENRICHMENT.can_subset


@pytest.mark.parametrize("storage, kind", [("duckdb", "duckdb"), ("data/lake", "parquet"), ("s3://bucket/mixtape", "parquet")])
def test_the_storage_kind_follows_the_configured_storage(monkeypatch, storage, kind):
    monkeypatch.setenv("MIXTAPE_STORAGE", storage)
    assert storage_kind() == kind
    source = EnrichmentSource(name="deezer_tracks", service="deezer", description="x", key_columns=("isrc",),
                              ttl=SOURCES[0].ttl, wanted=lambda tracks: {}, lookup=lambda client, ask: None)
    (spec,) = enrichment_assets([source]).specs
    assert spec.kinds == {"deezer", kind}
