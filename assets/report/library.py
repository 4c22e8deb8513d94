"""The library report: charts of one user's library and one HTML page under `<data_dir>/report/<user>/`.

Charts are drawn with matplotlib's object API (no pyplot, so no global state and no GUI backend)
from the marts; the page inlines them, and each is also written next to it as an SVG file.
"""

import base64
import html
import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: never a GUI backend in a run
import polars as pl
from matplotlib.figure import Figure

from assets.automation import EAGER
from assets.partitions import spotify_users
from resources.warehouse import Warehouse

ACCENT = "#1db954"
MARTS = ["library_overview", "genre_breakdown", "decade_breakdown", "bpm_distribution", "likes_per_month", "playlist_overlap"]


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    figure: Figure
    rows: int  # data points drawn; 0 means the chart says "no data yet"

    def svg(self) -> str:
        return _save(self.figure, "svg").decode()

    def png(self) -> bytes:
        return _save(self.figure, "png")


# -- data ----------------------------------------------------------------------------------------

REPORT_QUERIES = {
    "overview": "select * from marts.library_overview where user_id = ?",
    "genres": """select genre, max(tracks) as tracks from marts.genre_breakdown where user_id = ?
                 group by genre order by tracks desc, genre limit 15""",
    "decades": "select decade_label, tracks, liked_tracks from marts.decade_breakdown where user_id = ? order by decade",
    "bpm": "select bpm_from, tracks from marts.bpm_distribution where user_id = ? order by bpm_from",
    "likes": "select month, likes, unlikes, liked_at_month_end from marts.likes_per_month where user_id = ? order by month",
    "overlap": """select playlist_a_name, playlist_b_name, shared_tracks, jaccard
                  from marts.playlist_overlap where user_id = ? order by jaccard desc, shared_tracks desc limit 12""",
}


def report_data(warehouse: Warehouse, user: str) -> dict[str, pl.DataFrame]:
    """Every frame the report draws, read on one connection."""
    with warehouse.connect() as con:
        return {name: con.sql(sql, params=[user]).pl() for name, sql in REPORT_QUERIES.items()}


# -- charts (pure: frames in, figures out) --------------------------------------------------------

def genres_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        rows = frame.reverse()
        ax.barh(rows["genre"].to_list(), rows["tracks"].to_list(), color=ACCENT)
        ax.set_xlabel("tracks")
    return _chart("genres", "Top genres and tags", fig, ax, frame.height)


def decades_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        labels = frame["decade_label"].to_list()
        ax.bar(labels, frame["tracks"].to_list(), color="#b3b3b3", label="in the library")
        ax.bar(labels, frame["liked_tracks"].to_list(), color=ACCENT, label="liked")
        ax.set_ylabel("tracks")
        ax.legend(frameon=False)
    return _chart("decades", "Tracks by release decade", fig, ax, frame.height)


def bpm_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        ax.bar(frame["bpm_from"].to_list(), frame["tracks"].to_list(), width=9, align="edge", color=ACCENT)
        ax.set_xlabel("BPM (Deezer)")
        ax.set_ylabel("tracks")
    return _chart("bpm", "Tempo distribution", fig, ax, frame.height)


def likes_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        months = frame["month"].to_list()
        ax.bar(months, frame["likes"].to_list(), width=20, color=ACCENT, label="liked that month")
        ax.set_ylabel("likes")
        total = ax.twinx()
        total.plot(months, frame["liked_at_month_end"].to_list(), color="#333333", label="Liked Songs size")
        total.set_ylabel("Liked Songs")
        fig.autofmt_xdate()
        ax.yaxis.get_major_locator().set_params(integer=True)
        handles = [h for a in (ax, total) for h in a.get_legend_handles_labels()[0]]
        ax.legend(handles, [h.get_label() for h in handles], loc="upper left", frameon=False, fontsize=8)
        ax.set_ylim(top=max(frame["likes"].to_list()) * 1.3)
    return _chart("likes", "Likes per month", fig, ax, frame.height)


def overlap_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        rows = frame.reverse()
        labels = [f"{a} × {b}" for a, b in zip(rows["playlist_a_name"].to_list(), rows["playlist_b_name"].to_list())]
        ax.barh(labels, rows["jaccard"].to_list(), color=ACCENT)
        for y, shared in enumerate(rows["shared_tracks"].to_list()):
            ax.annotate(f" {shared} shared", (0, y), va="center", fontsize=8)
        ax.set_xlabel("Jaccard similarity of track sets")
        ax.set_xlim(0, 1)
    return _chart("overlap", "Most overlapping playlists", fig, ax, frame.height)


def build_charts(data: dict[str, pl.DataFrame]) -> list[Chart]:
    return [genres_chart(data["genres"]), decades_chart(data["decades"]), bpm_chart(data["bpm"]),
            likes_chart(data["likes"]), overlap_chart(data["overlap"])]


def main_chart(charts: list[Chart]) -> Chart:
    """The one shown in the Dagster UI: the first with data (genres need extended access or tags)."""
    return next((c for c in charts if c.rows), charts[0])


# -- the page ----------------------------------------------------------------------------------

def render_html(user: str, overview: pl.DataFrame, charts: list[Chart], generated_at: datetime) -> str:
    figures = "\n".join(
        # the chart's title is drawn in the image; the alt text repeats it for screen readers
        f'<figure id="{c.name}"><img alt="{html.escape(c.title)}" src="data:image/svg+xml;base64,'
        f'{base64.b64encode(c.svg().encode()).decode()}"></figure>'
        for c in charts
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mixtape · {html.escape(user)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #191414; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1.5rem; }}
figure {{ margin: 0; }} figure img {{ width: 100%; height: auto; }}
table {{ border-collapse: collapse; }}
td, th {{ padding: .2rem .8rem; text-align: left; border-bottom: 1px solid #eee; }}
</style></head>
<body>
<h1>{html.escape(user)}'s library</h1>
<p>Generated {generated_at:%Y-%m-%d %H:%M} UTC by mixtape.</p>
{_overview_table(overview)}
<div class="grid">
{figures}
</div>
</body></html>
"""


def write_report(directory: Path, page: str, charts: list[Chart]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        (directory / f"{chart.name}.svg").write_text(chart.svg())
    index = directory / "index.html"
    index.write_text(page)
    return index


def _overview_table(overview: pl.DataFrame) -> str:
    if overview.is_empty():
        return "<p>No library data yet.</p>"
    shown = ["liked_tracks", "playlists", "library_tracks", "artists", "albums", "hours", "mean_release_year", "first_like_at"]
    row = overview.to_dicts()[0]
    cells = "".join(f"<tr><th>{k.replace('_', ' ')}</th><td>{html.escape(str(row.get(k)))}</td></tr>" for k in shown)
    return f'<table id="overview">{cells}</table>'


def _figure() -> tuple[Figure, "matplotlib.axes.Axes"]:
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _chart(name: str, title: str, fig: Figure, ax, rows: int) -> Chart:
    ax.set_title(title, loc="left")
    if not rows:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No data yet", ha="center", va="center", transform=ax.transAxes, color="#888888")
    return Chart(name=name, title=title, figure=fig, rows=rows)


def _save(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # playlist names carry emoji the bundled font lacks: drawn as boxes, not worth a warning per chart
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buffer, format=fmt, dpi=80 if fmt == "png" else None)
    return buffer.getvalue()


# -- the asset -----------------------------------------------------------------------------------

@dg.asset(
    key_prefix=["report"],
    name="library",
    group_name="report",
    kinds={"python", "html"},
    partitions_def=spotify_users,
    deps=[dg.AssetKey(["marts", m]) for m in MARTS],
    automation_condition=EAGER,
    pool="duckdb_write",
)
def library_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Charts of one user's library (genres, decades, tempo, likes, playlist overlap) on one HTML page."""
    user = context.partition_key
    data = report_data(warehouse, user)
    charts = build_charts(data)
    page = render_html(user, data["overview"], charts, datetime.now(UTC).replace(tzinfo=None))
    index = write_report(Path(warehouse.data_dir) / "report" / user, page, charts)
    main = main_chart(charts)
    image = base64.b64encode(main.png()).decode()
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.path(str(index.resolve())),
        "main_chart": dg.MetadataValue.md(f"![{main.title}](data:image/png;base64,{image})"),
        "charts": len(charts),
        "charts_with_data": sum(1 for c in charts if c.rows),
    })
