"""The demo user's library report, built as `make demo` builds it (the sandbox's demo library ingested
and enriched over HTTP, the marts, then the report) and opened in chromium: every character of the
rendered text is drawn by a font (no missing-glyph box), every value axis ends at most twice above the
largest value, and no label covers a bar."""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from assets.enrichment import ENRICH_ASSETS
from assets.enrichment.genres import musicbrainz_genres
from assets.report.library import library_report
from pipelines.home import PROJECT_ROOT
from resources.warehouse import Warehouse
from sandbox import start_sandbox
from sandbox.generator import demo_library
from tests.enrich.sandbox_library import enrich_resources, sandbox_now
from tests.sql.conftest import ingest, listen, materialize_marts

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "report"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USERS = ["demo", "friend"]
CHARTS = ["genres", "decades", "bpm", "likes", "overlap", "plays"]
# An unassigned code point: no font has it, so the browser draws it as the missing-glyph box.
NO_GLYPH = "\u0378"

# Every character of every text node, drawn alone in its element's font, against the box NO_GLYPH draws
# in that font: a character drawn exactly as the box has no glyph in any font the browser found.
MISSING_GLYPHS_JS = """
(noGlyph) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 96;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const drawn = (ch, family) => {
    ctx.clearRect(0, 0, 96, 96);
    ctx.font = `48px ${family}`;
    ctx.fillText(ch, 8, 64);
    return ctx.getImageData(0, 0, 96, 96).data.join(',');
  };
  const blank = drawn(' ', 'sans-serif');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const missing = [], boxes = {};
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const family = getComputedStyle(node.parentElement).fontFamily;
    boxes[family] ??= drawn(noGlyph, family);
    for (const ch of new Set(node.textContent)) {
      if (ch.trim() && drawn(ch, family) === boxes[family]) missing.push([ch, node.textContent, family]);
    }
  }
  return {missing, boxDrawn: Object.values(boxes).every(box => box !== blank)};
}
"""

# Per chart: the page boxes of its texts, its bars, its plot area, and its value axis's tick labels.
CHART_PARTS_JS = """
(figure) => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const svg = figure.querySelector('svg');
  return {
    svg: box(svg),
    texts: [...svg.querySelectorAll('text')].map(t => ({text: t.textContent, ...box(t)})),
    bars: [...svg.querySelectorAll(`[id^="${figure.id}-bar-"]`)].map(box),
    axes: box(svg.querySelector(`[id="${figure.id}-axes"]`)),
    ticks: [...svg.querySelectorAll(`[id="${figure.id}-value-axis"] text`)].map(t => ({text: t.textContent, ...box(t)})),
  };
}
"""


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> str:
    """The file:// address of the demo user's report page."""
    warehouse = Warehouse(storage="duckdb", data_dir=str(tmp_path_factory.mktemp("demo-report")))
    with start_sandbox(demo_library(date(2026, 12, 1))) as sandbox:
        ingest(sandbox, warehouse, USERS)
        listen(sandbox, warehouse, USERS)
        as_of = {"config": {"as_of": sandbox_now(sandbox).isoformat()}}
        enrichment = [*ENRICH_ASSETS, musicbrainz_genres]
        assert dg.materialize(enrichment, resources=enrich_resources(sandbox, warehouse),
                              run_config={"ops": {a.op.name: as_of for a in enrichment}}).success
    materialize_marts(warehouse, USERS)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("spotify_users", USERS)
    assert dg.materialize([library_report], partition_key="demo", instance=instance, resources={"warehouse": warehouse}).success
    return (Path(warehouse.data_dir) / "report" / "demo" / "index.html").resolve().as_uri()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(browser, report_page):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(report_page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "library.png"), full_page=True)  # for people to look at
    return page


def chart_parts(page) -> dict[str, dict]:
    return {name: page.locator(f"figure#{name}").evaluate(CHART_PARTS_JS) for name in CHARTS}


def number(text: str) -> float | None:
    try:
        return float(text.replace("\u2212", "-").replace(",", ""))
    except ValueError:
        return None


def value_axis_span(parts: dict) -> tuple[float, float]:
    """(the value at the plot's far end, the largest bar's value), read off the rendered tick labels."""
    ticks = [(number(t["text"]), t) for t in parts["ticks"] if number(t["text"]) is not None]
    (low, a), (high, b) = ticks[0], ticks[-1]
    centre = {"x": lambda box: (box["left"] + box["right"]) / 2, "y": lambda box: (box["top"] + box["bottom"]) / 2}
    axis = "x" if abs(centre["x"](a) - centre["x"](b)) > abs(centre["y"](a) - centre["y"](b)) else "y"
    at = lambda px: low + (px - centre[axis](a)) * (high - low) / (centre[axis](b) - centre[axis](a))
    if axis == "x":
        return at(parts["axes"]["right"]), at(max(bar["right"] for bar in parts["bars"]))
    return at(parts["axes"]["top"]), at(min(bar["top"] for bar in parts["bars"]))


def overlap(a: dict, b: dict) -> float:
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return width * height if width > 0 and height > 0 else 0.0


def test_every_character_on_the_page_has_a_glyph(page):
    # the charts' text is text (a name drawn as shapes could hide a box), emoji included
    overlap_text = " ".join(t["text"] for t in chart_parts(page)["overlap"]["texts"])
    assert "Gold 🎧" in overlap_text
    found = page.evaluate(MISSING_GLYPHS_JS, NO_GLYPH)
    assert found["boxDrawn"]  # the box is drawn at all, so a character drawn as it would be seen
    assert found["missing"] == []


def test_the_check_finds_a_missing_glyph(browser):
    """The glyph check fails on a box: a character no font has, in the charts' font stack."""
    page = browser.new_page()
    page.set_content(f"<svg><text style=\"font-family: 'DejaVu Sans', 'Symbola'\" y='40'>Gold {NO_GLYPH}\u0379</text></svg>")
    found = page.evaluate(MISSING_GLYPHS_JS, NO_GLYPH)
    assert [ch for ch, *_ in found["missing"]] == [NO_GLYPH, "\u0379"]
    page.close()


def test_every_value_axis_ends_at_most_twice_the_largest_value(page):
    for name, parts in chart_parts(page).items():
        assert parts["bars"], f"{name} drew no bars"
        top, largest = value_axis_span(parts)
        assert 0 < largest <= top <= 2 * largest, (name, top, largest)


def test_no_label_covers_a_bar_or_leaves_its_chart(page):
    for name, parts in chart_parts(page).items():
        for text in parts["texts"]:
            assert [bar for bar in parts["bars"] if overlap(text, bar) > 0.5] == [], (name, text["text"])
            assert overlap(text, parts["svg"]) == pytest.approx(overlap(text, text)), (name, text["text"])
