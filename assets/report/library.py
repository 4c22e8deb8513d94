"""The library report: charts of one user's library and one HTML page under `<data_dir>/report/<user>/`.

Charts are drawn with matplotlib's object API (no pyplot, so no GUI backend) from the marts, in the
font stack of `assets.report.fonts`; the page inlines them as SVG whose text stays text (the browser
draws it, and it can be selected and searched), and each is also written next to it as an SVG file.
Value axes end a little above the largest value, and value labels sit beyond the bar they name.
The genre chart keeps genres apart from mood and personal tags by MusicBrainz's genre list
(`assets.report.genres`). Each chart's SVG names its parts: `<chart>-axes`, `<chart>-value-axis`,
`<chart>-bar-<n>`.
"""

import functools
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: never a GUI backend in a run
import polars as pl
from matplotlib.figure import Figure

from assets.automation import EAGER
from assets.enrichment.genres import KEY as GENRE_LIST_KEY, TABLE as GENRE_LIST_TABLE
from assets.listening.plays import PLAYS_KEY
from assets.partitions import spotify_users
from assets.report.inline import chart_markdown
from assets.report.fonts import chart_fonts, label
from assets.report.genres import top_genres
from resources.warehouse import Warehouse

ACCENT = "#1db954"
MARTS = ["library_overview", "genre_breakdown", "decade_breakdown", "bpm_distribution", "likes_per_month", "playlist_overlap"]
# Room above the largest value on a value axis, for the labels placed beyond the bars.
HEADROOM = 1.3
# Playlist names longer than this are cut (with an ellipsis) in the overlap chart's labels.
NAME_CHARS = 28


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    figure: Figure
    rows: int  # data points drawn; 0 means the chart says "no data yet"

    @functools.cached_property
    def svg(self) -> str:  # drawn once: the page inlines it and its file is written beside the page
        return _save(self.figure, "svg").decode()

    def png(self) -> bytes:
        return _save(self.figure, "png")


# -- data ----------------------------------------------------------------------------------------

REPORT_QUERIES = {
    "overview": "select * from marts.library_overview where user_id = ?",
    "genres": "select genre, source, tracks from marts.genre_breakdown where user_id = ?",
    "decades": "select decade_label, tracks, liked_tracks from marts.decade_breakdown where user_id = ? order by decade",
    "bpm": "select bpm_from, tracks from marts.bpm_distribution where user_id = ? order by bpm_from",
    "likes": "select month, likes, unlikes, liked_at_month_end from marts.likes_per_month where user_id = ? order by month",
    "overlap": """select playlist_a_name, playlist_b_name, shared_tracks, jaccard
                  from marts.playlist_overlap where user_id = ? order by jaccard desc, shared_tracks desc limit 12""",
    # weekday 1 = Monday; hours in UTC, as the plays are stamped
    "clock": """select isodow(played_at)::integer as weekday, hour(played_at)::integer as hour, count(*)::integer as plays
                from marts.plays where user_id = ? group by all""",
    "plays": """select date_trunc('month', played_at)::date as month, count(*)::integer as plays,
                       count(*) filter (where skipped)::integer as skipped
                from marts.plays where user_id = ? group by 1 order by 1""",
}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def report_data(warehouse: Warehouse, user: str) -> dict[str, pl.DataFrame]:
    """Every frame the report draws, read on one connection; genres are the top genres only."""
    with warehouse.connect() as con:
        data = {name: con.sql(sql, params=[user]).pl() for name, sql in REPORT_QUERIES.items()}
        known = con.sql(f"select genre from {GENRE_LIST_TABLE}").pl()["genre"].to_list()
    return {**data, "genres": top_genres(data["genres"], known)}


# -- charts (pure: frames in, figures out) --------------------------------------------------------

def in_chart_style(draw: Callable[[pl.DataFrame], Chart]) -> Callable[[pl.DataFrame], Chart]:
    """Draw a chart in the report's style (its texts take their font when made)."""
    @functools.wraps(draw)
    def styled(frame: pl.DataFrame) -> Chart:
        with matplotlib.rc_context(_style()):
            return draw(frame)
    return styled


@in_chart_style
def genres_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        rows = frame.reverse()
        _bars_by_row(ax, [label(g) for g in rows["genre"].to_list()], rows["tracks"].to_list())
        ax.set_xlabel("tracks")
    return _chart("genres", "Top genres", fig, ax, frame.height, value_axis=ax.xaxis)


@in_chart_style
def decades_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        labels = frame["decade_label"].to_list()
        ax.bar(labels, frame["tracks"].to_list(), color="#b3b3b3", label="in the library")
        ax.bar(labels, frame["liked_tracks"].to_list(), color=ACCENT, label="liked")
        ax.set_ylabel("tracks")
        _legend_above(fig, ax.get_legend_handles_labels()[0])
    return _chart("decades", "Tracks by release decade", fig, ax, frame.height, value_axis=ax.yaxis)


@in_chart_style
def bpm_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        ax.bar(frame["bpm_from"].to_list(), frame["tracks"].to_list(), width=9, align="edge", color=ACCENT)
        ax.set_xlabel("BPM (Deezer)")
        ax.set_ylabel("tracks")
    return _chart("bpm", "Tempo distribution", fig, ax, frame.height, value_axis=ax.yaxis)


@in_chart_style
def likes_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        months = frame["month"].to_list()
        ax.bar(months, frame["likes"].to_list(), width=20, color=ACCENT, label="liked that month")
        ax.set_ylabel("likes")
        total = ax.twinx()
        total.plot(months, frame["liked_at_month_end"].to_list(), color="#333333", label="Liked Songs size")
        total.set_ylabel("Liked Songs")
        total.spines[["top"]].set_visible(False)
        fig.autofmt_xdate()
        ax.yaxis.get_major_locator().set_params(integer=True)
        _legend_above(fig, [h for a in (ax, total) for h in a.get_legend_handles_labels()[0]])
    return _chart("likes", "Likes per month", fig, ax, frame.height, value_axis=ax.yaxis)


@in_chart_style
def overlap_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        rows = frame.reverse()
        labels = [f"{_short(a)} × {_short(b)}"
                  for a, b in zip(rows["playlist_a_name"].to_list(), rows["playlist_b_name"].to_list())]
        jaccard = rows["jaccard"].to_list()
        _bars_by_row(ax, labels, jaccard)
        for y, (value, shared) in enumerate(zip(jaccard, rows["shared_tracks"].to_list())):
            # beyond the bar's end, never on it
            ax.annotate(f"{shared} shared", (value, y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
        ax.set_xlabel("Jaccard similarity of track sets")
        ax.set_xlim(0, max(jaccard) * HEADROOM or 1)
    return _chart("overlap", "Most overlapping playlists", fig, ax, frame.height, value_axis=ax.xaxis)


@in_chart_style
def plays_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        months = frame["month"].to_list()
        ax.bar(months, frame["plays"].to_list(), width=20, color=ACCENT, label="plays")
        ax.bar(months, frame["skipped"].to_list(), width=20, color="#b3b3b3", label="skipped")
        ax.set_ylabel("plays")
        ax.set_ylim(0, max(frame["plays"]) * HEADROOM)
        fig.autofmt_xdate()
        _legend_above(fig, ax.get_legend_handles_labels()[0])
    return _chart("plays", "Plays per month", fig, ax, frame.height, value_axis=ax.yaxis)


def clock_grid(frame: pl.DataFrame) -> list[list[int]]:
    """Plays per weekday (rows, Monday first) and hour of the day (columns, UTC)."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    for weekday, hour, plays in frame.select("weekday", "hour", "plays").iter_rows():
        grid[weekday - 1][hour] = plays
    return grid


@in_chart_style
def clock_chart(frame: pl.DataFrame) -> Chart:
    fig, ax = _figure()
    if frame.height:
        image = ax.imshow(clock_grid(frame), aspect="auto", cmap="Greens", interpolation="nearest")
        ax.set_yticks(range(len(WEEKDAYS)), WEEKDAYS)
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)])
        ax.set_xlabel("hour of the day (UTC)")
        fig.colorbar(image, ax=ax, label="plays")
    return _chart("clock", "Listening clock", fig, ax, frame.height, value_axis=None)


def build_charts(data: dict[str, pl.DataFrame]) -> list[Chart]:
    return [genres_chart(data["genres"]), decades_chart(data["decades"]), bpm_chart(data["bpm"]),
            likes_chart(data["likes"]), overlap_chart(data["overlap"]), plays_chart(data["plays"]),
            clock_chart(data["clock"])]


def main_chart(charts: list[Chart]) -> Chart:
    """The one shown in the Dagster UI: the first with data (genres need extended access or tags)."""
    return next((c for c in charts if c.rows), charts[0])


# -- the page ----------------------------------------------------------------------------------

def render_html(user: str, overview: pl.DataFrame, charts: list[Chart], generated_at: datetime) -> str:
    figures = "\n".join(f'<figure id="{c.name}">{_inline(c)}</figure>' for c in charts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mixtape · {html.escape(user)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #191414; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1.5rem; }}
figure {{ margin: 0; }} figure svg {{ width: 100%; height: auto; }}
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
        (directory / f"{chart.name}.svg").write_text(chart.svg)
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


def _inline(chart: Chart) -> str:
    """The chart's SVG as an element of the page (without its XML prolog), named for screen readers."""
    svg = chart.svg
    return '<svg role="img" aria-label="' + html.escape(chart.title) + '"' + svg[svg.index("<svg") + 4:]


def _style() -> dict:
    # text in the SVG stays text, in the stack matplotlib draws with
    return {"font.family": list(chart_fonts()), "svg.fonttype": "none"}


def _figure() -> tuple[Figure, "matplotlib.axes.Axes"]:
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _legend_above(fig: Figure, handles: list) -> None:
    """The legend above the plot, right of the title: on the plot it would cover bars."""
    fig.legend(handles, [h.get_label() for h in handles], loc="outside upper right", ncols=len(handles),
               frameon=False, fontsize=8)


def _bars_by_row(ax, labels: list[str], values: list) -> None:
    """One horizontal bar per row, bottom up; rows by position, so two labels cut to the same text stay two rows."""
    rows = range(len(labels))
    ax.barh(rows, values, color=ACCENT)
    ax.set_yticks(rows, labels)


def _short(name: str) -> str:
    name = label(name)
    return name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1].rstrip() + "…"


def _chart(name: str, title: str, fig: Figure, ax, rows: int, value_axis) -> Chart:
    ax.set_title(title, loc="left")
    ax.patch.set_gid(f"{name}-axes")
    if value_axis is not None:  # a heatmap has none: its values are colours
        value_axis.set_gid(f"{name}-value-axis")
    for n, bar in enumerate(ax.patches):
        bar.set_gid(f"{name}-bar-{n}")
    if not rows:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No data yet", ha="center", va="center", transform=ax.transAxes, color="#888888")
    return Chart(name=name, title=title, figure=fig, rows=rows)


def _save(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_style()):  # tick labels are made as the figure is drawn
        fig.savefig(buffer, format=fmt, dpi=80 if fmt == "png" else None)
    return buffer.getvalue()


# -- the asset -----------------------------------------------------------------------------------

@dg.asset(
    key_prefix=["report"],
    name="library",
    group_name="report",
    kinds={"python", "html"},
    partitions_def=spotify_users,
    deps=[*(dg.AssetKey(["marts", m]) for m in MARTS), GENRE_LIST_KEY, PLAYS_KEY],
    automation_condition=EAGER,
    pool="duckdb_write",
)
def library_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Charts of one user's library (genres, decades, tempo, likes, playlist overlap, plays) on one HTML page."""
    user = context.partition_key
    data = report_data(warehouse, user)
    charts = build_charts(data)
    page = render_html(user, data["overview"], charts, datetime.now(UTC).replace(tzinfo=None))
    index = write_report(Path(warehouse.data_dir) / "report" / user, page, charts)
    main = main_chart(charts)
    return dg.MaterializeResult(metadata={
        "report": dg.MetadataValue.url(index.resolve().as_uri()),
        "main_chart": dg.MetadataValue.md(chart_markdown(main.title, main.figure.axes[0])),
        "charts": len(charts),
        "charts_with_data": sum(1 for c in charts if c.rows),
    })
