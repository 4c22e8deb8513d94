"""How `mixtape sql` prints results: every format prints lists, structs, dates and nulls; the table fits
the terminal's width."""

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from pipelines.commands.sql import fetch
from pipelines.commands.sql_output import ELLIPSIS, FORMATS, Result, render

# One row of each kind of value DuckDB hands back, and a row of nulls.
MIXED = """
select * from (values
    (1, ['rock', 'indie rock'], {'bpm': 172.5, 'key': 'A'}, date '2025-03-01',
     timestamp '2025-03-01 12:30:00', 1.50::decimal(5, 2), 'a | b'),
    (null, null, null, null, null, null, null)
) as t(n, genres, audio, released, liked_at, price, note)
"""


@pytest.fixture(scope="module")
def mixed() -> Result:
    with duckdb.connect() as con:
        return fetch(con, MIXED)


def test_json_keeps_lists_structs_dates_and_nulls(mixed):
    rows = json.loads(render(mixed, "json"))
    assert rows[0] == {"n": 1, "genres": ["rock", "indie rock"], "audio": {"bpm": 172.5, "key": "A"},
                       "released": "2025-03-01", "liked_at": "2025-03-01T12:30:00", "price": 1.5, "note": "a | b"}
    assert set(rows[1].values()) == {None}


def test_csv_writes_lists_and_structs_as_readable_json_and_nulls_as_empty_fields(mixed):
    rows = list(csv.reader(io.StringIO(render(mixed, "csv"))))
    assert rows[0] == mixed.columns
    assert rows[1] == ["1", '["rock", "indie rock"]', '{"bpm": 172.5, "key": "A"}', "2025-03-01",
                       "2025-03-01 12:30:00", "1.50", "a | b"]
    assert rows[2] == [""] * 7


def test_markdown_is_one_table_row_per_result_row_with_pipes_escaped(mixed):
    lines = render(mixed, "markdown").splitlines()
    assert lines[0] == "| n | genres | audio | released | liked_at | price | note |"
    assert lines[1] == "| ---: | --- | --- | --- | --- | ---: | --- |"
    assert lines[2] == r"| 1 | [rock, indie rock] | {bpm: 172.5, key: A} | 2025-03-01 | 2025-03-01 12:30:00 | 1.50 | a \| b |"
    assert lines[3] == "| null | null | null | null | null | null | null |"


def test_the_table_prints_every_value_when_it_fits(mixed):
    lines = render(mixed, "table", width=200).splitlines()
    assert len(lines) == 4
    assert "[rock, indie rock]" in lines[2] and "{bpm: 172.5, key: A}" in lines[2] and "2025-03-01 12:30:00" in lines[2]
    assert lines[3].split(" │ ")[1].strip() == "null"
    assert ELLIPSIS not in "".join(lines)


def test_a_wide_table_is_cut_to_the_width_and_says_so():
    result = Result(["id", "title", "tags"], [(i, "a very long title " * 5, ["x"] * 30) for i in range(3)])
    lines = render(result, "table", width=80).splitlines()
    assert max(len(line) for line in lines) <= 80
    assert all(line.split(" │ ")[0].strip() == str(i) for i, line in enumerate(lines[2:5]))
    assert lines[2].count(ELLIPSIS) == 2
    assert "6 cells cut" in lines[5] and "80 columns" in lines[5]


def test_too_many_columns_for_the_width_print_one_block_per_row():
    result = Result([f"column_{i}" for i in range(17)], [tuple(range(17)), tuple(range(100, 117))])
    text = render(result, "table", width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "column_16  16" in text and "column_16  116" in text
    assert "17 columns do not fit 80 columns" in text


def test_the_table_takes_its_width_from_columns(monkeypatch):
    result = Result(["text"], [("x" * 150,)])
    monkeypatch.setenv("COLUMNS", "100")
    assert max(len(line) for line in render(result, "table").splitlines()[:3]) == 100
    monkeypatch.setenv("COLUMNS", "200")
    assert ELLIPSIS not in render(result, "table")


def test_wide_characters_count_twice():
    result = Result(["emoji"], [("🎧" * 50,)])
    cell = render(result, "table", width=40).splitlines()[2]
    assert cell.endswith(ELLIPSIS) and cell.count("🎧") == 19  # 38 cells + the ellipsis


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_statement_without_rows_prints_its_columns_or_nothing(fmt):
    with duckdb.connect() as con:
        result = fetch(con, "select 1 as n where false")
    assert render(result, fmt) in {"n\n─", "n", "[]", "| n |\n| --- |"}


def test_values_of_other_kinds_print_as_text():
    result = Result(["d", "i", "u"], [(Decimal("2.50"), date(2025, 1, 1) - date(2024, 12, 1), datetime(2025, 1, 1))])
    assert json.loads(render(result, "json")) == [{"d": 2.5, "i": "31 days, 0:00:00", "u": "2025-01-01T00:00:00"}]
