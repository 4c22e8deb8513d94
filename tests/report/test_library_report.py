"""The library report: charts from the marts, one HTML page per user, the main chart in the UI metadata."""

from datetime import date, datetime

import dagster as dg
import polars as pl
import pytest

from assets.enrichment.genres import KEY as GENRE_LIST_KEY
from assets.report.fonts import drawable
from assets.report.genres import top_genres
from assets.report.library import (
    build_charts, clock_chart, clock_grid, genres_chart, library_report, likes_chart, main_chart, overlap_chart,
    plays_chart, render_html,
)
from resources.warehouse import Warehouse
from tests.sql.conftest import materialize_marts
from tests.sql.demo import seed_raw_tables
from tests.sql.library import small_library

CHART_NAMES = ["genres", "decades", "bpm", "likes", "overlap", "plays", "clock"]
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """alice's report, materialized through Dagster on the hand-made library."""
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path_factory.mktemp("report")))
    library = small_library()
    users = [u.id for u in library.users]
    seed_raw_tables(warehouse, library, users)
    materialize_marts(warehouse, users)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", users)
    result = dg.materialize([library_report], partition_key="alice", instance=instance, resources={"warehouse": warehouse})
    assert result.success
    return result.asset_materializations_for_node("report__library")[0].metadata


def test_the_report_page_is_written_under_the_data_dir_and_linked(report):
    url = report["report"].value  # a link the UI opens
    assert url.startswith("file:///") and url.endswith("/report/alice/index.html")
    path = url.removeprefix("file://")
    page = open(path).read()
    assert page.count("<figure") == len(CHART_NAMES)
    assert "alice's library" in page
    for name in CHART_NAMES:
        svg = open(path.replace("index.html", f"{name}.svg")).read()
        assert "<svg" in svg


def test_the_main_chart_shows_inline_in_the_metadata(report):
    markdown = report["main_chart"].value
    # the UI shows Markdown under 1,000 characters inline, and drops images that are not http(s)
    assert markdown.startswith("**Top genres**") and len(markdown) < 1000 and "![" not in markdown
    assert "█" in markdown
    # the hand-made library has tempo data in no chart (no enrichment): four of five have data
    assert report["charts_with_data"].value == 4


def test_charts_without_data_say_so_and_are_not_the_main_chart():
    empty = {
        "genres": pl.DataFrame(schema={"genre": pl.String, "tracks": pl.Int64}),
        "decades": pl.DataFrame({"decade_label": ["1990s"], "tracks": [3], "liked_tracks": [2]}),
        "bpm": pl.DataFrame(schema={"bpm_from": pl.Int32, "tracks": pl.Int64}),
        "likes": pl.DataFrame(schema={"month": pl.Date, "likes": pl.Int32, "unlikes": pl.Int32, "liked_at_month_end": pl.Int32}),
        "overlap": pl.DataFrame(schema={"playlist_a_name": pl.String, "playlist_b_name": pl.String,
                                        "shared_tracks": pl.Int64, "jaccard": pl.Float64}),
        "plays": pl.DataFrame(schema={"month": pl.Date, "plays": pl.Int32, "skipped": pl.Int32}),
        "clock": pl.DataFrame(schema={"weekday": pl.Int32, "hour": pl.Int32, "plays": pl.Int32}),
    }
    charts = build_charts(empty)
    assert [c.name for c in charts] == CHART_NAMES
    assert [c.rows for c in charts] == [0, 1, 0, 0, 0, 0, 0]
    assert "No data yet" in charts[0].svg and "No data yet" not in charts[1].svg
    assert main_chart(charts).name == "decades"


def test_likes_chart_draws_every_month():
    frame = pl.DataFrame({"month": [date(2024, 1, 1), date(2024, 2, 1)], "likes": [3, 5], "unlikes": [0, 1],
                          "liked_at_month_end": [3, 7]})
    chart = likes_chart(frame)
    assert chart.rows == 2
    assert chart.png().startswith(b"\x89PNG")


def test_the_page_escapes_names():
    page = render_html("<bob>", pl.DataFrame(), [], datetime(2026, 1, 1))
    assert "&lt;bob&gt;" in page and "<bob>" not in page


def test_the_page_inlines_each_chart_with_its_text_as_text():
    frame = pl.DataFrame({"genre": ["hip hop"], "tracks": [3]})
    page = render_html("alice", pl.DataFrame(), [genres_chart(frame)], datetime(2026, 1, 1))
    assert '<figure id="genres"><svg role="img" aria-label="Top genres"' in page
    assert ">hip hop</text>" in page and "<?xml" not in page and "<img" not in page


def test_genres_are_spotify_genres_and_the_tags_musicbrainz_lists():
    breakdown = pl.DataFrame({
        "genre": ["happy", "hip-hop", "beautiful", "k-pop girl group", "indie", "favorites", "hip hop", "sad", "80s"],
        "source": ["lastfm", "lastfm", "lastfm", "spotify", "lastfm", "lastfm", "spotify", "lastfm", "lastfm"],
        "tracks": [30, 9, 25, 4, 6, 20, 7, 12, 11],
    })
    top = top_genres(breakdown, known=["hip hop", "indie", "pop"])
    # mood and personal tags, and decades, are not genres; "hip-hop" is MusicBrainz's "hip hop"
    assert top.rows() == [("hip hop", 9), ("indie", 6), ("k-pop girl group", 4)]
    assert top_genres(breakdown, known=[], limit=1).rows() == [("hip hop", 7)]


def test_characters_no_font_draws_are_left_out_cleanly():
    covered = {ord(c) for c in "Gold ★"}
    assert drawable("★ Gold 🎧", covered) == "★ Gold"
    assert drawable("Gold 🎧 🎧 Gold", covered) == "Gold Gold"


def test_the_overlap_axis_ends_near_the_largest_value_and_labels_follow_the_bars():
    frame = pl.DataFrame({"playlist_a_name": ["A", "B"], "playlist_b_name": ["C", "D"],
                          "shared_tracks": [47, 2], "jaccard": [0.155, 0.02]})
    ax = overlap_chart(frame).figure.axes[0]
    assert ax.get_xlim() == (0, pytest.approx(0.155 * 1.3))
    assert sorted(t.xy[0] for t in ax.texts) == [0.02, 0.155]  # each count at its bar's end


def test_the_report_waits_for_the_genre_list():
    assert GENRE_LIST_KEY in library_report.asset_deps[library_report.key]


@pytest.mark.browser
def test_chromium_renders_every_chart(report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(report['report'].value)
            charts = page.locator("figure svg")
            assert charts.count() == len(CHART_NAMES)
            for i in range(charts.count()):
                box = charts.nth(i).bounding_box()
                assert box["width"] > 100 and box["height"] > 50, charts.nth(i).get_attribute("aria-label")
            assert page.locator("#overview th").count() > 0
        finally:
            browser.close()


def test_the_listening_clock_puts_each_play_at_its_weekday_and_hour():
    frame = pl.DataFrame({"weekday": [1, 7, 3], "hour": [0, 23, 18], "plays": [4, 2, 9]})
    grid = clock_grid(frame)
    assert (len(grid), len(grid[0])) == (7, 24)
    assert (grid[0][0], grid[6][23], grid[2][18]) == (4, 2, 9)
    assert sum(map(sum, grid)) == 15
    chart = clock_chart(frame)
    assert chart.rows == 3 and "Listening clock" in chart.svg and "Sun" in chart.svg


def test_plays_per_month_axis_fits_the_busiest_month():
    frame = pl.DataFrame({"month": [date(2026, 10, 1), date(2026, 11, 1)], "plays": [120, 300], "skipped": [10, 40]})
    chart = plays_chart(frame)
    assert chart.rows == 2
    assert chart.figure.axes[0].get_ylim()[1] == pytest.approx(300 * 1.3)
