"""How `mixtape sql` prints a result: a table that fits the terminal, CSV, JSON or Markdown.

Plain data in, text out: column names and rows of the Python values DuckDB returns (lists, structs as
dicts, dates, decimals, intervals, nulls). Every format prints every value: nested values as readable
text (JSON in CSV cells), dates in ISO form, a null as `null` where people read it and as an empty
field in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

FORMATS = ("table", "csv", "json", "markdown")
NULL = "null"
ELLIPSIS = "…"
SEPARATOR = " │ "
MIN_WIDTH = 6  # a column narrower than this says too little: rows are then printed one block each


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple]


def render(result: Result, fmt: str, width: int | None = None) -> str:
    """`result` in one of FORMATS; the table fits `width` columns (default: the terminal's, or COLUMNS)."""
    if fmt == "json":
        return to_json(result)
    if fmt == "csv":
        return to_csv(result)
    if fmt == "markdown":
        return to_markdown(result)
    return to_table(result, width or shutil.get_terminal_size((80, 24)).columns)


# -- values --------------------------------------------------------------------------------------------

def plain(value):
    """The value as JSON data: dates and times in ISO form, decimals as numbers, NaN and infinities as null."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return text(value)  # intervals, uuids, blobs


def text(value) -> str:
    """The value as people read it: lists as `[a, b]`, structs as `{key: value}`, dates in ISO form."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6)) if math.isfinite(value) else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _csv_field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(plain(value), ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return text(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _numeric_columns(result: Result) -> list[bool]:
    """Columns whose values are all numbers (nulls aside): printed right-aligned."""
    return [any(row[i] is not None for row in result.rows)
            and all(row[i] is None or _is_number(row[i]) for row in result.rows)
            for i in range(len(result.columns))]


# -- formats -------------------------------------------------------------------------------------------

def to_json(result: Result) -> str:
    return json.dumps([{c: plain(v) for c, v in zip(result.columns, row)} for row in result.rows],
                      ensure_ascii=False)


def to_csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_csv_field(v) for v in row] for row in result.rows)
    return out.getvalue().rstrip("\n")


def to_markdown(result: Result) -> str:
    """A GitHub-flavoured Markdown table, every value whole."""
    def cell(value) -> str:
        return text(value).replace("|", r"\|").replace("\r\n", "<br>").replace("\n", "<br>")

    rule = ["---:" if numeric else "---" for numeric in _numeric_columns(result)]
    lines = [[cell(c) for c in result.columns], rule, *([cell(v) for v in row] for row in result.rows)]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def to_table(result: Result, width: int) -> str:
    """Aligned columns within `width` characters: the widest columns are cut (with an ellipsis) first; when
    even narrow columns do not fit side by side, each row is printed as a block of `column  value` lines.
    A closing note says what was cut."""
    if not result.columns:
        return ""
    header = [_one_line(c) for c in result.columns]
    body = [[_one_line(text(v)) for v in row] for row in result.rows]
    natural = [max(_width(s) for s in column) for column in zip(header, *body)]
    widths = _shrunk(natural, width - len(SEPARATOR) * (len(natural) - 1))
    if widths is None:
        return _blocks(header, body, width)
    numeric = _numeric_columns(result)
    cut = sum(_width(s) > w for row in [header, *body] for s, w in zip(row, widths))

    def line(cells: list[str], align_numbers: bool) -> str:
        return SEPARATOR.join(_pad(_fit(s, w), w, right=align_numbers and n)
                              for s, w, n in zip(cells, widths, numeric)).rstrip()

    lines = [line(header, False), "─┼─".join("─" * w for w in widths),
             *(line(row, True) for row in body)]
    return "\n".join(lines + _cut_note(cut, width))


def _blocks(header: list[str], body: list[list[str]], width: int) -> str:
    name_width = min(max(_width(h) for h in header), width // 3)
    value_width = max(width - name_width - 2, MIN_WIDTH)
    lines, cut = [], 0
    for number, row in enumerate(body, 1):
        lines.append((f"── row {number} " + "─" * width)[:width])
        for name, value in zip(header, row):
            cut += (_width(name) > name_width) + (_width(value) > value_width)
            lines.append(f"{_pad(_fit(name, name_width), name_width)}  {_fit(value, value_width)}".rstrip())
    note = [f"({len(header)} columns do not fit {width} columns side by side: one block per row)"]
    return "\n".join(lines + note + _cut_note(cut, width))


def _cut_note(cut: int, width: int) -> list[str]:
    if not cut:
        return []
    return [f"({cut} cell{'s' if cut > 1 else ''} cut at {ELLIPSIS} to fit {width} columns (COLUMNS sets the width);",
            " --format csv, json or markdown prints every value whole)"]


def _shrunk(natural: list[int], room: int) -> list[int] | None:
    """Column widths within `room`: the widest capped at one common width, none below MIN_WIDTH (or its
    own width); None when even that does not fit."""
    if sum(natural) <= room:
        return natural
    floor = [min(n, MIN_WIDTH) for n in natural]
    if sum(floor) > room:
        return None
    cap = MIN_WIDTH
    while sum(min(n, cap + 1) for n in natural) <= room:
        cap += 1
    widths = [min(n, cap) for n in natural]
    spare = room - sum(widths)
    for i, n in enumerate(natural):  # what the common cap leaves over goes to the first cut columns
        if n > widths[i] and spare:
            widths[i] += 1
            spare -= 1
    return widths


# -- text that takes its real width on a terminal ------------------------------------------------------

def _one_line(value: str) -> str:
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\t", " ")


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _width(value: str) -> int:
    return sum(_char_width(c) for c in value)


def _fit(value: str, width: int) -> str:
    """`value` cut to `width` terminal cells, ending in an ellipsis when cut."""
    if _width(value) <= width:
        return value
    kept, used = [], 0
    for char in value:
        if used + _char_width(char) > width - 1:
            break
        kept.append(char)
        used += _char_width(char)
    return "".join(kept) + ELLIPSIS


def _pad(value: str, width: int, right: bool = False) -> str:
    space = " " * (width - _width(value))
    return space + value if right else value + space
