"""The one CSV writer: every cell formula-free whatever separator a spreadsheet splits on."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from portal.exports import safe_cell, stream_csv, write_csv
from tests.csv_formulas import HOSTILE, assert_formula_free


def test_hostile_values_are_inert_for_every_separator():
    text = write_csv([["name", "note"], *([v, f"x {v}"] for v in HOSTILE)])
    assert_formula_free(text)
    # Read back with the separator it was written with, each value is still all there.
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert [r[0].replace("'", "") for r in rows] == [v.replace("'", "") for v in HOSTILE]


def test_brazilian_excel_line_is_neutralised_where_a_cell_would_start():
    assert safe_cell("Acme;=1+1;") == "Acme;'=1+1;"
    assert safe_cell("a; =1") == "a; '=1"
    assert safe_cell("\t=1") == "'\t'=1"
    assert safe_cell("x-y 2026-01-01T10:00+00:00") == "x-y 2026-01-01T10:00+00:00"


def test_numbers_stay_numbers_and_none_is_empty():
    assert write_csv([[-5, Decimal("-1.50"), 0, None]]) == "-5,-1.50,0,\r\n"


def test_stream_yields_one_line_per_row():
    assert list(stream_csv([["a"], ["=b"]])) == ["a\r\n", "'=b\r\n"]
    assert list(stream_csv([["a"]], bom=True)) == ["\ufeff", "a\r\n"]
