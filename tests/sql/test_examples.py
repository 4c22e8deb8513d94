"""Every example query in README.md runs on the demo warehouse, returns rows and prints in every output
format of `mixtape sql` (the queries are read from README, so the test follows its edits)."""

import csv
import io
import json
import re
from pathlib import Path

import pytest

from pipelines.commands.sql import fetch
from pipelines.commands.sql_output import ELLIPSIS, FORMATS, render

EXAMPLES = Path(__file__).resolve().parents[2] / "README.md"
WIDTH = 80


def example_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", EXAMPLES.read_text(), re.DOTALL)


def test_the_examples_are_found():
    assert len(example_queries()) >= 10


@pytest.mark.parametrize("query", example_queries(), ids=lambda q: " ".join(q.split())[:60])
def test_example_returns_rows(demo_warehouse, query):
    with demo_warehouse.connect() as con:
        rows = con.sql(query).fetchall()
    assert rows, f"no rows:\n{query}"


def printed_rows(text: str, fmt: str, columns: int) -> int:
    """How many result rows the printed text holds, checked against the format's own rules."""
    if fmt == "json":
        rows = json.loads(text)
        assert all(len(row) == columns for row in rows)
        return len(rows)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert all(len(row) == columns for row in rows)
        return len(rows) - 1
    lines = text.splitlines()
    if fmt == "markdown":
        assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
        return len(lines) - 2
    assert all(len(line) <= WIDTH for line in lines), "the table is wider than the terminal"
    if " side by side" in text:
        return sum(line.startswith("── row ") for line in lines)
    notes = sum(line.startswith("(") or line.startswith(" --format") for line in lines)
    assert (notes > 0) == (ELLIPSIS in text)
    return len(lines) - 2 - notes


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", example_queries(), ids=lambda q: " ".join(q.split())[:60])
def test_example_prints_in_every_format(demo_warehouse, query, fmt):
    with demo_warehouse.connect() as con:
        result = fetch(con, query)
    text = render(result, fmt, width=WIDTH)
    assert printed_rows(text, fmt, len(result.columns)) == len(result.rows)
