"""Every example query in README.md runs on the demo warehouse and returns rows."""

import re
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "README.md"


def example_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", EXAMPLES.read_text(), re.DOTALL)


def test_the_examples_are_found():
    assert len(example_queries()) >= 10


@pytest.mark.parametrize("query", example_queries(), ids=lambda q: " ".join(q.split())[:60])
def test_example_returns_rows(demo_warehouse, query):
    with demo_warehouse.connect() as con:
        rows = con.sql(query).fetchall()
    assert rows, f"no rows:\n{query}"
