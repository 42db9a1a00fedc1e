"""The call export stays formula-free in a spreadsheet that splits on ",", ";" or a tab
(issue 10, item 7)."""

from __future__ import annotations

import csv
import io

from tests.csv_formulas import HOSTILE, assert_formula_free


def test_call_export_is_formula_free_for_both_separators(
    client, login_as, desk_user, ana, log_call
):
    for value in HOSTILE:
        log_call(caller_name=f"{value} caller", company=value, message=f"{value} message")
    login_as(desk_user)
    resp = client.get("/frontdesk/calls.csv?view=all")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    body = resp.get_data(as_text=True)
    assert_formula_free(body)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))
    assert len(rows) == len(HOSTILE)
    assert {r["For"] for r in rows} == {"Ana Santos"}
