"""HR's exports: an opening's candidates and the employee records, with the list's filters,
in the reader's spreadsheet conventions (``;`` and decimal comma in Portuguese), HR only."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from portal.extensions import db
from portal.models.people import Employee
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK


def _csv(response, delimiter=","):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=delimiter))


def _portuguese(client):
    with client.session_transaction() as sess:
        sess["locale"] = "pt_BR"


def test_candidates_export_follows_the_ranked_lists_filters_in_portuguese(
    client, login_as, hr, opening, add_application
):
    mariana = add_application(CV_PT, email="mariana@example.com", phone="+5511987654321")
    james = add_application(CV_EN, name="James O'Connor", email="james@example.com")
    pedro = add_application(CV_WEAK, name="Pedro Henrique Lima", email="pedro@example.com")
    login_as(hr)
    client.post(
        f"/recruiting/applications/{pedro.id}/stage", data={"stage": "rejected", "reason": "x"}
    )
    _portuguese(client)

    page = client.get(f"/recruiting/openings/{opening.id}").get_data(as_text=True)
    assert f"/recruiting/openings/{opening.id}/export?stage=active" in page

    rows = _csv(client.get(f"/recruiting/openings/{opening.id}/export"), delimiter=";")
    header, *body = rows
    assert header[:6] == ["Posição", "Candidato", "E-mail", "Telefone", "Etapa", "Pontuação"]
    names = [r[1] for r in body]
    assert set(names) == {"Mariana Conceição Araújo", "James O'Connor"}  # active only
    assert [r[0] for r in body] == ["1", "2"]
    by_name = {r[1]: r for r in body}
    assert by_name["Mariana Conceição Araújo"][2] == "mariana@example.com"
    assert by_name["Mariana Conceição Araújo"][4] == "Novo"  # the label, not "new"
    years = by_name["Mariana Conceição Araújo"][6]
    assert "," in years and "." not in years  # the decimal comma
    assert "/" in by_name["James O'Connor"][8] and "T" not in by_name["James O'Connor"][8]

    everyone = _csv(
        client.get(f"/recruiting/openings/{opening.id}/export", query_string={"stage": "all"}),
        delimiter=";",
    )
    assert {r[1] for r in everyone[1:]} == {
        "Mariana Conceição Araújo",
        "James O'Connor",
        "Pedro Henrique Lima",
    }
    rejected = _csv(
        client.get(f"/recruiting/openings/{opening.id}/export", query_string={"stage": "rejected"}),
        delimiter=";",
    )
    assert [r[1] for r in rejected[1:]] == ["Pedro Henrique Lima"]
    assert rejected[1][4] == "Reprovado"

    blind = _csv(
        client.get(f"/recruiting/openings/{opening.id}/export", query_string={"blind": "1"}),
        delimiter=";",
    )
    flat = ";".join(";".join(r) for r in blind)
    assert "Mariana" not in flat and "mariana@example.com" not in flat and "98765" not in flat
    assert f"Candidato nº {james.id}" in flat and f"Candidato nº {mariana.id}" in flat

    xlsx = client.get(f"/recruiting/openings/{opening.id}/export", query_string={"format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Posição" and values[1][0] == 1  # typed: a number, not "1"
    assert isinstance(values[1][5], int)
    assert client.get("/recruiting/openings/999999/export").status_code == 404


def test_employees_export_follows_the_search_and_status(app, client, login_as, hr):
    db.session.add_all(
        [
            Employee(
                name="Ana Beatriz Souza",
                position="Analista financeira",
                start_date=date(2025, 3, 10),
                status="active",
                contract_type="clt",
                email="ana@example.com",
                search_key="ana beatriz souza analista financeira",
            ),
            Employee(
                name="Bruno Carvalho",
                position="Recepcionista",
                start_date=date(2024, 1, 8),
                status="left",
                contract_type="pj",
                search_key="bruno carvalho recepcionista",
            ),
        ]
    )
    db.session.commit()
    login_as(hr)
    _portuguese(client)
    page = client.get("/people/employees", query_string={"status": "left"})
    assert "/people/employees/export?status=left" in page.get_data(as_text=True)
    fragment = client.get(
        "/people/employees", query_string={"q": "ana"}, headers={"HX-Request": "true"}
    )
    assert "/people/employees/export?q=ana" in fragment.get_data(as_text=True)

    header, *rows = _csv(client.get("/people/employees/export"), delimiter=";")
    assert header[0] == "Nome" and "Situação" in header
    assert [r[0] for r in rows] == ["Ana Beatriz Souza", "Bruno Carvalho"]
    ana = dict(zip(header, rows[0], strict=True))
    assert ana["Data de início"] == "10/03/2025"
    assert ana["Situação"] != "active"
    (left,) = _csv(
        client.get("/people/employees/export", query_string={"status": "left"}), delimiter=";"
    )[1:]
    assert left[0] == "Bruno Carvalho"
    (found,) = _csv(
        client.get("/people/employees/export", query_string={"q": "analista"}), delimiter=";"
    )[1:]
    assert found[0] == "Ana Beatriz Souza"


def test_exports_are_hr_only(client, login_as, make_user, opening):
    for roles in (["staff"], ["back_office"], ["manager"]):
        login_as(make_user(roles=roles))
        assert client.get(f"/recruiting/openings/{opening.id}/export").status_code == 403
        assert client.get("/people/employees/export").status_code == 403
