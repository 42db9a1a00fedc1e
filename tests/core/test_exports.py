"""The one CSV writer: every cell formula-free whatever separator a spreadsheet splits on."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from portal.exports import read_csv_rows, safe_cell, stream_csv, write_csv, write_xlsx
from tests.csv_formulas import HOSTILE, assert_formula_free


def test_hostile_values_are_inert_for_every_separator():
    text = write_csv([["name", "note"], *([v, f"x {v}"] for v in HOSTILE)], bom=False, locale="en")
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
    assert write_csv([[-5, Decimal("-1.50"), 0, None]], locale="en") == "\ufeff-5,-1.50,0,\r\n"
    assert write_csv([[-5, Decimal("-1.50"), 0, None]], locale="pt_BR", bom=False) == (
        "-5;-1,50;0;\r\n"
    )


def test_stream_yields_one_line_per_row_after_the_bom():
    assert list(stream_csv([["a"], ["=b"]], locale="en")) == ["\ufeff", "a\r\n", "'=b\r\n"]
    assert list(stream_csv([["a"]], bom=False, locale="en")) == ["a\r\n"]


ROWS = [
    ["Nome", "Valor", "Quando", "Dia", "Situação"],
    [
        "Conceição; Ltda",
        Decimal("1234.50"),
        datetime(2026, 12, 3, 13, 5, 42, 123456, tzinfo=UTC),
        date(2026, 12, 24),
        _l("In progress"),
    ],
    ['=HYPERLINK("x")', 199.8, None, None, -3],
]


def test_portuguese_csv_opens_in_a_brazilian_excel(app):
    """BOM, ``;`` between cells, decimal comma, local time to the minute, labels translated:
    read back with ``;`` and checked cell by cell."""
    with force_locale("pt_BR"):
        text = write_csv(ROWS)
    assert text.startswith("\ufeffNome;Valor;")
    header, first, second = read_csv_rows(text)
    assert header == ["Nome", "Valor", "Quando", "Dia", "Situação"]
    assert first == ["Conceição; Ltda", "1234,50", "03/12/2026 10:05", "24/12/2026", "Em andamento"]
    assert second == ['\'=HYPERLINK("x")', "199,8", "", "", "-3"]


def test_english_csv_keeps_commas_and_dots(app):
    with force_locale("en"):
        text = write_csv(ROWS)
    assert text.startswith("\ufeffNome,Valor,")
    _, first, _ = read_csv_rows(text)
    assert first == ["Conceição; Ltda", "1234.50", "2026-12-03 10:05", "2026-12-24", "In progress"]


def test_xlsx_has_typed_cells_and_no_formulas(app):
    with force_locale("pt_BR"):
        data = write_xlsx(ROWS, title="Chamadas: dezembro")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Chamadas  dezembro"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Nome" and sheet["A1"].font.bold
    assert values[1][1] == Decimal("1234.50") or values[1][1] == 1234.5
    assert values[1][2] == datetime(2026, 12, 3, 10, 5)  # local, to the minute
    assert sheet["C2"].number_format == "DD/MM/YYYY HH:MM"
    assert values[1][4] == "Em andamento"
    assert values[2][0] == '=HYPERLINK("x")' and sheet["A3"].data_type == "s"
    assert values[2][4] == -3


def test_calls_csv_has_a_bom_and_follows_the_readers_language(client, login_as, make_user):
    from portal.extensions import db
    from portal.models.frontdesk import Call

    desk = login_as(make_user(roles=["back_office", "staff"], locale="pt_BR"))
    db.session.add(
        Call(
            direction="in",
            caller_name="Zé; Silva",
            phone="+5511987654321",
            outcome="message",
            status="open",
            logged_by_id=desk.id,
            message="Ligar de volta",
        )
    )
    db.session.commit()
    response = client.get("/frontdesk/calls.csv?view=all")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = read_csv_rows(body)
    assert len(rows[0]) > 5 and ";" in body.splitlines()[0]
    assert any("Zé; Silva" in row for row in rows[1:])
