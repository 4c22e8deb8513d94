"""The SQL marts: parsed into assets, materialized per user, and answering with the right figures."""

from datetime import date

import pytest

from assets.marts import MART_ASSETS
from assets.marts.sql_marts import mart_files, parse_mart, reshape_if_changed
from resources.warehouse import SQL_DIR, Warehouse

import dagster as dg


def test_a_mart_file_gives_its_description_and_deps(tmp_path):
    path = tmp_path / "example.sql"
    path.write_text("-- Per user: a thing.\n-- deps: raw.tracks, Enrich.deezer_tracks\nselect 1 as x;\n")
    mart = parse_mart(path)
    assert mart.description == "Per user: a thing."
    assert mart.deps == ("raw.tracks", "enrich.deezer_tracks")
    assert mart.sql.endswith("select 1 as x")


def test_every_mart_file_has_a_description_and_known_deps():
    tables = {p.stem.replace("_", ".", 1) for p in (SQL_DIR / "tables").glob("*.sql")}
    marts = {f"marts.{p.stem}" for p in (SQL_DIR / "marts").glob("*.sql")}
    for mart in mart_files():
        assert mart.description != mart.name, f"{mart.name}.sql: first line should be a -- comment"
        assert mart.deps, f"{mart.name}.sql: no -- deps: line"
        assert set(mart.deps) <= tables | marts, f"{mart.name}.sql: unknown deps {set(mart.deps) - tables - marts}"


def test_mart_assets_are_per_user_when_they_have_a_user_id():
    keys = {a.key: a for a in MART_ASSETS}
    overview = keys[dg.AssetKey(["marts", "library_overview"])]
    assert overview.partitions_def is not None
    spec = overview.specs_by_key[overview.key]
    assert spec.group_name == "marts" and set(spec.kinds) == {"duckdb", "sql"}
    assert dg.AssetKey(["spotify", "liked_songs"]) in {d.asset_key for d in spec.deps}
    assert "select" in spec.metadata["sql"].value


def test_every_view_returns_rows(demo_warehouse):
    views = [p.stem for p in sorted((SQL_DIR / "views").glob("*.sql"))]
    with demo_warehouse.connect() as con:
        empty = [v for v in views if con.sql(f"select count(*) from {v}").fetchall()[0][0] == 0]
    assert not empty, f"views without rows on the demo warehouse: {empty}"


def test_playlist_overlap_is_jaccard_of_track_sets(small_warehouse):
    rows = small_warehouse.query(
        "select playlist_a_name, playlist_b_name, shared_tracks, jaccard from playlist_overlap "
        "where user_id = 'alice' order by jaccard desc").rows()
    # Road trip {0..4} and Focus {3,4,5,6}: 2 shared of 7.
    assert ("Road trip", "Focus", 2, round(2 / 7, 4)) in rows
    # alice collaborates on Shared {4,6,8,10}: it overlaps Focus in 4 and 6 (2 of 6).
    assert ("Focus", "Shared", 2, round(2 / 6, 4)) in rows or ("Shared", "Focus", 2, round(2 / 6, 4)) in rows


def test_bob_cannot_see_overlap_with_a_playlist_he_only_follows(small_warehouse):
    names = small_warehouse.query("select playlist_a_name, playlist_b_name from playlist_overlap where user_id = 'bob'").rows()
    assert all("Road trip" not in pair for pair in names)


def test_decades_and_months(small_warehouse):
    decades = dict(small_warehouse.query(
        "select decade_label, tracks from decade_breakdown where user_id = 'alice'").rows())
    # alice has t0..t8 liked plus t10 via Shared; album al(n%4+1): 1969 and 1965 for n%4 in {0, 2}.
    assert decades == {"1960s": 6, "2000s": 2, "1990s": 2}
    months = small_warehouse.query(
        "select month, likes, liked_at_month_end from likes_per_month where user_id = 'bob' order by month").rows()
    assert months == [(date(2025, 1, 1), 2, 2), (date(2025, 2, 1), 3, 5), (date(2025, 3, 1), 3, 8)]


def test_overview_and_genres(small_warehouse):
    overview = small_warehouse.query("select * from library_overview where user_id = 'alice'").to_dicts()[0]
    assert overview["liked_tracks"] == 9
    assert overview["playlists"] == 3 and overview["readable_playlists"] == 3
    assert overview["unavailable_items"] == 1
    assert overview["library_tracks"] == 10 and overview["artists"] == 4
    genres = dict(small_warehouse.query("select genre, tracks from genre_breakdown where user_id = 'alice'").rows())
    assert genres["rock"] == 5  # The Beatles (t0, t4, t8) and Radiohead (t3, t7)


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_each_partition_holds_only_its_user(small_warehouse, user):
    users = small_warehouse.query("select distinct user_id from marts.library_overview").to_series().to_list()
    assert sorted(users) == ["alice", "bob"]
    assert small_warehouse.read("marts.library_overview", user).height == 1


def test_genres_come_from_lastfm_tags_in_development_mode(demo_warehouse):
    """Development-mode apps get no Spotify genres: Last.fm artist tags fill the breakdown."""
    sources = demo_warehouse.query("select distinct source from genre_breakdown").to_series().to_list()
    assert sources == ["lastfm"]


def test_enrichment_coverage_is_a_share(demo_warehouse):
    rows = demo_warehouse.query("select source, wanted, hits, coverage from enrichment_coverage").to_dicts()
    assert {r["source"] for r in rows} == {"deezer", "lastfm_tracks", "lastfm_artists", "musicbrainz"}
    assert all(0 < r["coverage"] <= 1 and r["hits"] <= r["wanted"] for r in rows)


def test_a_mart_whose_columns_changed_is_recreated(tmp_path):
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path))
    with warehouse.connect() as con:  # as an older version of the mart left it
        con.execute("create or replace table marts.likes_per_month (user_id varchar, month date, likes integer)")
    mart = next(m for m in mart_files() if m.name == "likes_per_month")
    assert reshape_if_changed(warehouse, mart)
    assert not reshape_if_changed(warehouse, mart)
    assert "liked_at_month_end" in warehouse.read("marts.likes_per_month").columns
