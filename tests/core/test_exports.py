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


# --- every list exports with its filters, as CSV or XLSX (issue 17) ---------------------------


def _xlsx(response):
    from portal.exports import XLSX_MIMETYPE

    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def _csv(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return read_csv_rows(body), body


def _desk_data(desk, staff):
    from portal.extensions import db
    from portal.models.frontdesk import Fax, StaffRequest, Visit

    db.session.add_all(
        [
            Visit(visitor_name="Joana Araújo", company="Acme", badge_number="V-1", host=staff),
            Visit(visitor_name="Pedro Lima", company="Beta", badge_number="V-2", host=staff),
            Fax(
                direction="in", correspondent="Cartório", pages=3, status="received", logged_by=desk
            ),
            StaffRequest(
                type="general",
                title="Cadeira quebrada",
                description="x",
                requester=staff,
                status="in_progress",
            ),
            StaffRequest(type="general", title="Luz", description="y", requester=staff),
        ]
    )
    db.session.commit()


def test_front_desk_registers_export_with_their_filters(client, login_as, make_user):
    staff = make_user(roles=["staff"], name="Ana Souza")
    desk = login_as(make_user(roles=["back_office", "staff"], locale="pt_BR"))
    _desk_data(desk, staff)

    # Visitors: the register's search applies to the export; CSV read back cell by cell.
    rows, body = _csv(client.get("/frontdesk/visitors/export?q=araujo"))
    assert ";" in body.splitlines()[0].lstrip("\ufeff")
    assert rows[0][:4] == ["Visitante", "Empresa", "Anfitrião", "Crachá"]
    assert [r[0] for r in rows[1:]] == ["Joana Araújo"]
    assert rows[1][1:4] == ["Acme", "Ana Souza", "V-1"]
    assert len(rows[1][4]) == len("03/12/2026 10:05") and rows[1][4][2] == "/"
    values, sheet = _xlsx(client.get("/frontdesk/visitors/export?q=araujo&format=xlsx"))
    assert values[1][0] == "Joana Araújo" and isinstance(values[1][4], datetime)
    assert sheet["E2"].number_format == "DD/MM/YYYY HH:MM"

    # Faxes: labels, not codes; pages a number in XLSX.
    rows, _body = _csv(client.get("/frontdesk/faxes/export"))
    assert rows[1][2:5] == ["Cartório", "", "3"]
    assert rows[1][1] not in ("in", "") and rows[1][6] not in ("received", "")
    values, _sheet = _xlsx(client.get("/frontdesk/faxes/export?format=xlsx"))
    assert values[1][4] == 3 and values[1][6] == rows[1][6]

    # Requests: the status filter applies; the status is a label.
    rows, _body = _csv(client.get("/frontdesk/requests/export?status=in_progress"))
    assert [r[2] for r in rows[1:]] == ["Cadeira quebrada"]
    assert rows[1][7] == "Em andamento"
    values, _sheet = _xlsx(client.get("/frontdesk/requests/export?format=xlsx"))
    assert {v[2] for v in values[1:]} == {"Cadeira quebrada", "Luz"}
    assert all(isinstance(v[0], int) for v in values[1:])

    # The pages link to their exports with the current filters, in both formats.
    page = client.get("/frontdesk/visitors?q=araujo").get_data(as_text=True)
    assert "/frontdesk/visitors/export?q=araujo" in page
    assert "/frontdesk/visitors/export?format=xlsx&amp;q=araujo" in page


def test_staff_export_only_their_own_requests(client, login_as, make_user):
    staff = make_user(roles=["staff"])
    other = make_user(roles=["staff"])
    desk = make_user(roles=["back_office", "staff"])
    _desk_data(desk, other)
    login_as(staff)
    rows, _body = _csv(client.get("/frontdesk/requests/export"))
    assert rows[1:] == []
    assert client.get("/frontdesk/visitors/export").status_code == 403


def test_orders_and_suppliers_export_as_xlsx_with_typed_cells(client, login_as, make_user):
    from portal.extensions import db
    from portal.models.supplies import Supplier

    db.session.add(
        Supplier(name="Kalunga", order_email="p@kalunga.test", min_order_value=Decimal("150.5"))
    )
    db.session.add(Supplier(name="Café do Ponto", order_email="v@cafe.test", lead_time_days=5))
    db.session.commit()
    login_as(make_user(roles=["back_office", "staff"], locale="pt_BR"))
    values, _sheet = _xlsx(client.get("/supplies/suppliers/export?q=kal&format=xlsx"))
    assert values[0][:2] == ["name", "order_email"]  # the import's column names
    assert [v[0] for v in values[1:]] == ["Kalunga"]
    assert values[1][5] == Decimal("150.50") or values[1][5] == 150.5
    rows, _body = _csv(client.get("/supplies/suppliers/export"))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["Kalunga"][5] == "150,50" and by_name["Café do Ponto"][4] == "5"
    assert by_name["Kalunga"][8] == "Sim"
    values, _sheet = _xlsx(client.get("/supplies/orders.csv?format=xlsx"))
    assert values[0][:2] == ["Pedido", "Situação"]


def test_supplier_import_is_all_or_nothing_naming_each_bad_row(client, login_as, make_user):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models.supplies import Supplier

    login_as(make_user(roles=["back_office", "staff"]))
    bad = (
        "name;order_email;lead_time_days;min_order_value\n"
        "Kalunga;p@kalunga.test;2;150,00\n"
        ";x@y.test;1;0\n"
        "Papelaria;not-an-address;1;0\n"
        "Kalunga;other@kalunga.test;1;0\n"
    )
    resp = client.post(
        "/supplies/suppliers/import",
        data={"file": (io.BytesIO(bad.encode()), "s.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Nothing was imported" in page
    for row, problem in (
        ("3", "Enter a name."),
        ("4", "Enter the e-mail"),
        ("5", "This supplier appears twice"),
    ):
        assert f'<td class="num">{row}</td><td>{problem}' in page, row
    assert db.session.scalar(select(func.count(Supplier.id))) == 0
    good = (
        "\ufeffname;order_email;lead_time_days;min_order_value;active\n"
        "Kalunga;p@k.test;2;150,00;Não\n"
    )
    resp = client.post(
        "/supplies/suppliers/import",
        data={"file": (io.BytesIO(good.encode()), "s.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    kalunga = db.session.scalar(select(Supplier))
    assert (kalunga.name, kalunga.min_order_value, kalunga.active) == (
        "Kalunga",
        Decimal("150.00"),
        False,
    )


def test_audit_log_reads_in_words_filters_and_exports(client, login_as, make_user):
    from portal.extensions import db
    from portal.models.audit import AuditEntry

    admin = login_as(make_user(roles=["admin"], locale="pt_BR", name="Alice Admin"))
    other = make_user(roles=["staff"], name="Bruno")
    db.session.add_all(
        [
            AuditEntry(
                actor_id=admin.id,
                action="recruiting.hired",
                target_type="Application",
                target_id=19,
                at=datetime(2026, 12, 3, 13, 0, tzinfo=UTC),
            ),
            AuditEntry(
                actor_id=other.id,
                action="supplies.item.create",
                target_type="SupplyItem",
                target_id=4,
                at=datetime(2026, 11, 2, 13, 0, tzinfo=UTC),
            ),
        ]
    )
    db.session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Contratação de candidato" in page and "Candidatura #19" in page
    assert "recruiting.hired" not in page.replace('value="recruiting.hired"', "")
    assert "&lt;Application" not in page
    only_recruiting = client.get("/admin/audit?area=recruiting").get_data(as_text=True)
    assert "Candidatura #19" in only_recruiting and "Item #4" not in only_recruiting
    by_bruno = client.get(f"/admin/audit?actor={other.id}").get_data(as_text=True)
    assert "Item #4" in by_bruno and "Candidatura #19" not in by_bruno
    december = client.get("/admin/audit?from=2026-12-01&to=2026-12-31").get_data(as_text=True)
    assert "Candidatura #19" in december and "Item #4" not in december
    assert "/admin/audit/export?area=recruiting" in only_recruiting
    rows, _body = _csv(client.get("/admin/audit/export?from=2026-12-01&to=2026-12-31"))
    assert rows[0][:4] == ["Quando", "Quem", "Área", "Ação"]
    assert rows[1][1:5] == [
        "Alice Admin",
        "Recrutamento",
        "Contratação de candidato",
        "Candidatura #19",
    ]
    assert rows[1][0] == "03/12/2026 10:00"  # local time (UTC-3), to the minute
    values, _sheet = _xlsx(client.get("/admin/audit/export?format=xlsx&area=supplies"))
    assert [v[3] for v in values[1:]] == ["Criação de item"]
    assert values[1][0] == datetime(2026, 11, 2, 10, 0)


def test_outbox_shows_and_exports_kinds_in_words(client, login_as, make_user):
    from portal.extensions import db
    from portal.services import outbox

    login_as(make_user(roles=["admin"], locale="pt_BR"))
    outbox.queue_email(
        "fornecedor@example.com",
        "outbox_test",
        {"requested_by": "x", "requested_at": "now", "backend": "dev"},
        dedupe_key="t-1",
        kind="supplier_order",
    )
    db.session.commit()
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Pedido a um fornecedor" in page and "[supplier_order]" not in page
    rows, _body = _csv(client.get("/admin/outbox/export?status=pending"))
    assert rows[1][2] == "Pedido a um fornecedor" and rows[1][5] == "Pendente"
    values, _sheet = _xlsx(client.get("/admin/outbox/export?format=xlsx&status=sent"))
    assert values[1:] == []
