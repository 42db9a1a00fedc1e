"""LGPD: one export of everything held about a person; anonymisation leaves nothing personal."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

from sqlalchemy import String, Text, select

from portal.extensions import db
from portal.models.people import DataRequest, Employee
from tests.people.conftest import login
from tests.people.test_records import PDF


def test_export_holds_everything_about_the_person(client, hr, salaried):
    login(client, hr)
    client.post(
        f"/people/employees/{salaried.id}/documents",
        data={"file": (io.BytesIO(PDF), "rg.pdf")},
        content_type="multipart/form-data",
    )
    client.post(
        f"/people/employees/{salaried.id}/warnings",
        data={"level": "verbal", "occurred_on": "2025-01-10", "facts": "Fatos do registro."},
    )
    response = client.post(f"/people/employees/{salaried.id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert "data.json" in names
    assert any(n.startswith("documents/") and n.endswith("rg.pdf") for n in names)
    data = json.loads(archive.read("data.json"))
    assert data["employee"]["cpf"] == "52998224725"
    assert data["employee"]["salary"] == "7654.32"
    assert data["account"]["email"] == "joao@example.com"
    assert data["warnings"][0]["facts"] == "Fatos do registro."
    assert data["access_log"]  # who opened the record
    request = db.session.scalar(select(DataRequest))
    assert request.action == "export" and request.employee_id == salaried.id
    assert "52998224725" not in json.dumps(request.summary)


def test_anonymise_only_after_exit_and_leaves_no_personal_data(client, hr, salaried):
    login(client, hr)
    assert client.post(f"/people/employees/{salaried.id}/anonymise").status_code == 409
    employee = db.session.get(Employee, salaried.id)
    employee.status = "left"
    employee.last_day = date(2025, 1, 1)
    db.session.commit()
    assert client.post(f"/people/employees/{salaried.id}/anonymise").status_code == 303
    secrets = [
        "João Araújo",
        "joao@example.com",
        "joao.pessoal@example.org",
        "52998224725",
        "987650001",
    ]
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for value in row:
                if isinstance(value, str) and any(s in value for s in secrets):
                    found.append((table.name, value[:80]))
    assert found == []
    assert client.get(f"/people/employees/{salaried.id}").status_code == 404
