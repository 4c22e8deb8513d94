"""A chart of the report as text bars in Markdown: the Dagster UI shows Markdown under 1,000 characters
inline in an asset's metadata, and strips images whose source is not http(s) (a data URI, a local file)."""

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

BAR_WIDTH = 20  # characters of the longest bar
MAX_ROWS = 12
LABEL_CHARS = 24


def chart_markdown(title: str, ax: Axes) -> str:
    """The first bar series of `ax` as a Markdown table of text bars, in the order it reads on the chart."""
    bars: list[Rectangle] = list(ax.containers[0]) if ax.containers else []
    if not bars:
        return f"**{title}**: no data yet"
    horizontal = all(b.get_x() == 0 for b in bars) and any(b.get_width() != bars[0].get_width() for b in bars)
    rows = [(_label(ax, b, horizontal), b.get_width() if horizontal else b.get_height()) for b in bars]
    if horizontal:
        rows.reverse()  # barh draws its first bar at the bottom
    rows = rows[:MAX_ROWS]
    top = max(value for _, value in rows) or 1
    lines = [f"**{title}**", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {'█' * max(1, round(BAR_WIDTH * value / top)) if value else ''} {value:g} |"
              for label, value in rows]
    return "\n".join(lines)


def _label(ax: Axes, bar: Rectangle, horizontal: bool) -> str:
    """The bar's category as its axis shows it: the tick label at its centre, else the axis's formatter."""
    axis = ax.yaxis if horizontal else ax.xaxis
    centre = bar.get_y() + bar.get_height() / 2 if horizontal else bar.get_x() + bar.get_width() / 2
    ticks = dict(zip(axis.get_majorticklocs(), (t.get_text() for t in axis.get_majorticklabels())))
    text = ticks.get(centre) or axis.get_major_formatter().format_data_short(bar.get_y() if horizontal else bar.get_x())
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
