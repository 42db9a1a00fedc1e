"""Employee records: HR-only, CPF checked, history kept, salary for HR alone, documents checked
like CVs, the hired candidate's account opened with an e-mailed invitation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEntry, OutboundMessage, User
from portal.models.people import Employee, EmployeeChange, EmployeeDocument
from tests.people.conftest import VALID_CPF, login

FORM = {
    "name": "Maria Eduarda Souza",
    "preferred_name": "Duda",
    "cpf": VALID_CPF,
    "birth_date": "1990-05-04",
    "email": "duda@example.org",
    "phone": "+5511988887777",
    "position": "Analista financeira",
    "department_id": "",
    "manager_id": "",
    "contract_type": "clt",
    "working_hours": "Seg–Sex 08:00–17:00",
    "salary": "5432.10",
    "start_date": "2025-03-03",
}
SALARY_SHOWN = "5,432.10"


def test_hr_creates_a_record_and_sees_the_salary(client, hr):
    login(client, hr)
    response = client.post("/people/employees", data=FORM)
    assert response.status_code == 303
    employee = db.session.scalar(select(Employee))
    assert employee.cpf == "52998224725"
    assert employee.salary == Decimal("5432.10")
    assert employee.search_key.startswith("maria eduarda souza duda analista")
    page = client.get(f"/people/employees/{employee.id}").get_data(as_text=True)
    assert "529.982.247-25" in page and SALARY_SHOWN in page
    # who opened which record: the access log
    assert db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "people.record_viewed")
    )


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("cpf", "529.982.247-24", "cpf"),
        ("cpf", "111.111.111-11", "cpf"),
        ("name", "", "name"),
        ("birth_date", "2030-01-01", "birth_date"),
        ("contract_type", "freela", "contract_type"),
        ("start_date", "", "start_date"),
    ],
)
def test_bad_input_is_422_next_to_the_field_and_nothing_saved(
    client, hr, field, value, error_field
):
    login(client, hr)
    for headers, template_marker in (
        ({}, "<html"),
        ({"HX-Request": "true"}, 'id="employee-form-panel"'),
    ):
        response = client.post("/people/employees", data={**FORM, field: value}, headers=headers)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert f'id="{error_field}-error"' in body
        assert template_marker in body
    assert db.session.scalar(select(func.count(Employee.id))) == 0


def test_a_cpf_is_on_one_record_only(client, hr, salaried):
    login(client, hr)
    response = client.post("/people/employees", data={**FORM, "cpf": "52998224725"})
    assert response.status_code == 422
    assert "Another employee record has this CPF" in response.get_data(as_text=True)


def test_changes_are_kept_in_the_history_and_salary_only_for_hr(client, hr, salaried, make_user):
    login(client, hr)
    data = {
        **FORM,
        "name": salaried.name,
        "cpf": VALID_CPF,
        "position": "Coordenador financeiro",
        "salary": "9100.00",
        "effective_on": "2025-06-01",
    }
    assert client.post(f"/people/employees/{salaried.id}", data=data).status_code == 303
    changes = db.session.scalars(
        select(EmployeeChange).where(EmployeeChange.employee_id == salaried.id)
    ).all()
    assert {(c.field, c.old_value, c.new_value) for c in changes} >= {
        ("position", "Analista", "Coordenador financeiro"),
        ("salary", "7654.32", "9100.00"),
    }
    assert all(c.effective_on == date(2025, 6, 1) for c in changes)
    # the audit log (read by admins) says the salary changed, never the amounts
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "people.updated")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.changes["salary"] == "changed"
    assert "9100" not in str(entry.changes)

    hr_page = client.get(f"/people/employees/{salaried.id}").get_data(as_text=True)
    assert "9,100.00" in hr_page and "7654.32" in hr_page  # current and the history line

    # admin holds hr.employees.view (support) but not the salary
    admin = make_user(roles=["admin"], email="admin@example.com")
    admin_client = login(client.application.test_client(), admin)
    page = admin_client.get(f"/people/employees/{salaried.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "9,100.00" not in body and "7654.32" not in body and "9100" not in body
    assert "Coordenador financeiro" in body
    assert admin_client.get(f"/people/employees/{salaried.id}/edit").status_code == 403
    assert admin_client.post(f"/people/employees/{salaried.id}", data=data).status_code == 403


@pytest.mark.parametrize("role", ["staff", "back_office", "office_manager"])
def test_other_roles_never_reach_a_record(client, salaried, make_user, role):
    user = make_user(roles=[role], email=f"{role}@example.com")
    login(client, user)
    for url in (
        f"/people/employees/{salaried.id}",
        f"/people/employees/{salaried.id}/edit",
        "/people/employees",
        "/people/employees/new",
    ):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 403, url
            body = response.get_data(as_text=True)
            assert "7,654.32" not in body and "52998224725" not in body
    response = client.post(f"/people/employees/{salaried.id}", data=FORM)
    assert response.status_code == 403
    assert db.session.get(Employee, salaried.id).salary == Decimal("7654.32")


def test_anonymous_htmx_gets_401_with_hx_redirect(client, salaried):
    response = client.get(f"/people/employees/{salaried.id}", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n163\n%%EOF\n"
)


def test_documents_are_checked_like_cvs(client, hr, salaried):
    import io

    login(client, hr)
    hostile = PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(x)>>")
    for data, name in ((hostile, "contrato.pdf"), (b"MZ\x90\x00", "contrato.exe"), (b"", "x.pdf")):
        response = client.post(
            f"/people/employees/{salaried.id}/documents",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, name
        assert 'id="file-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(EmployeeDocument.id))) == 0
    response = client.post(
        f"/people/employees/{salaried.id}/documents",
        data={"file": (io.BytesIO(PDF), "contrato.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    document = db.session.scalar(select(EmployeeDocument))
    download = client.get(f"/people/employees/{salaried.id}/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Cache-Control"] == "no-store"


def test_hired_candidate_gets_an_account_by_invitation(app, client, hr, make_user):
    """Hire (recruiting) -> employee with what was known -> account -> e-mail -> password set."""
    from portal.models.recruiting import Application, Candidate, Opening
    from portal.services import recruiting

    opening = Opening(title="Analista de RH", requirements=[], status="open")
    db.session.add(opening)
    candidate = Candidate(name="Júlia Nogueira", email="julia@example.org", phone="+5511912340000")
    db.session.add(candidate)
    db.session.flush()
    application = Application(opening_id=opening.id, candidate_id=candidate.id, stage="offer")
    db.session.add(application)
    db.session.commit()
    with app.test_request_context():
        employee = recruiting.hire(application, actor=hr, start_date=date(2026, 1, 5))
        db.session.commit()
    assert (employee.name, employee.email, employee.phone, employee.position) == (
        "Júlia Nogueira",
        "julia@example.org",
        "+5511912340000",
        "Analista de RH",
    )
    assert "julia nogueira" in employee.search_key

    login(client, hr)
    page = client.get(f"/people/employees/{employee.id}").get_data(as_text=True)
    assert 'id="account-form"' in page  # the offer to open the account
    response = client.post(
        f"/people/employees/{employee.id}/account", data={"email": "julia@empresa.example.com"}
    )
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "julia@empresa.example.com"))
    assert db.session.get(Employee, employee.id).user_id == user.id
    message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "invitation"))
    assert message.recipients == ["julia@empresa.example.com"]
    link = next(w for w in message.text_body.split() if "/people/welcome/" in w)
    path = link.replace("http://portal.test", "")

    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 200
    weak = newcomer.post(path, data={"password": "julia"})
    assert weak.status_code == 422 and 'id="password-error"' in weak.get_data(as_text=True)
    assert newcomer.post(path, data={"password": "Quarto-Azul-Mesa-77x"}).status_code == 303
    signed = newcomer.post(
        "/login", data={"email": "julia@empresa.example.com", "password": "Quarto-Azul-Mesa-77x"}
    )
    assert signed.status_code in (302, 303)
    # the link works once
    assert app.test_client().get(path).status_code == 404
