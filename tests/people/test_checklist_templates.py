"""HR edits the onboarding / offboarding checklist templates per position or department; a new
hire's checklist is built from the most specific one (steps, who is responsible, due days)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Department
from portal.models.people import ChecklistTask, ChecklistTemplate
from portal.services import people
from tests.people.conftest import login

HX = {"HX-Request": "true"}


def _form(**over):
    data = {
        "kind": "onboarding",
        "position": "Recepcionista",
        "department_id": "",
        "steps-0-title": "Entregar crachá",
        "steps-0-assignee": "hr",
        "steps-0-user_id": "",
        "steps-0-days": "0",
        "steps-1-title": "Treinar a central telefônica",
        "steps-1-assignee": "person",
        "steps-1-user_id": "",
        "steps-1-days": "3",
        "steps-2-title": "Ler o manual",
        "steps-2-assignee": "employee",
        "steps-2-user_id": "",
        "steps-2-days": "7",
        "steps-3-title": "",
        "steps-3-assignee": "hr",
        "steps-3-user_id": "",
        "steps-3-days": "0",
    }
    data.update(over)
    return data


def test_hr_creates_a_template_and_a_new_hire_gets_its_steps(
    app, client, hr, make_user, make_employee
):
    trainer = make_user(roles=["back_office", "staff"], name="Júlia Treina", email="j@example.com")
    login(client, hr)
    page = client.get("/people/checklists/new?kind=onboarding")
    assert page.status_code == 200 and 'id="checklist-template-form"' in page.get_data(True)
    response = client.post("/people/checklists", data=_form(**{"steps-1-user_id": str(trainer.id)}))
    assert response.status_code == 303
    template = db.session.scalar(select(ChecklistTemplate))
    assert template.position == "Recepcionista"
    assert [s["title"] for s in template.steps] == [
        "Entregar crachá",
        "Treinar a central telefônica",
        "Ler o manual",
    ]  # the empty row is dropped
    assert template.steps[1] == {
        "title": "Treinar a central telefônica",
        "days": 3,
        "assignee": "person",
        "user_id": trainer.id,
    }
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "people.checklist_template_created")
    )
    listing = client.get("/people/checklists").get_data(as_text=True)
    assert "Recepcionista" in listing

    newbie = make_user(roles=["staff"], name="Nova", email="nova@example.com")
    employee = make_employee(
        name="Nova Pessoa", position="recepcionista", user_id=newbie.id, start_date=date(2026, 5, 4)
    )
    with app.test_request_context():
        people.create_checklist(employee, "onboarding", actor=hr, start=employee.start_date)
        db.session.commit()
    tasks = db.session.scalars(select(ChecklistTask).order_by(ChecklistTask.position)).all()
    assert [(t.title, t.assignee_id, t.due_on) for t in tasks] == [
        ("Entregar crachá", hr.id, date(2026, 5, 4)),
        ("Treinar a central telefônica", trainer.id, date(2026, 5, 4) + timedelta(days=3)),
        ("Ler o manual", newbie.id, date(2026, 5, 4) + timedelta(days=7)),
    ]


def test_the_department_template_applies_when_no_position_matches(app, client, hr, make_employee):
    dept = Department(name="Financeiro")
    db.session.add(dept)
    db.session.commit()
    login(client, hr)
    response = client.post(
        "/people/checklists",
        data=_form(
            position="",
            department_id=str(dept.id),
            **{"steps-1-title": "", "steps-2-title": ""},
        ),
    )
    assert response.status_code == 303
    employee = make_employee(name="Caio", position="Analista", department_id=dept.id)
    with app.test_request_context():
        tasks = people.create_checklist(employee, "onboarding", actor=hr, start=date(2026, 5, 4))
    assert [t.title for t in tasks] == ["Entregar crachá"]


def test_bad_input_is_422_next_to_the_field_and_nothing_saved(client, hr):
    login(client, hr)
    dept = Department(name="Compras")
    db.session.add(dept)
    db.session.commit()
    cases = {
        "steps-0-title": _form(**{"steps-0-title": "", "steps-1-title": "", "steps-2-title": ""}),
        "steps-1-user_id": _form(),  # "a person" without choosing one
        "steps-0-days": _form(**{"steps-0-days": "999", "steps-1-assignee": "hr"}),
        "department_id": _form(department_id=str(dept.id), **{"steps-1-assignee": "hr"}),
    }
    for field_id, data in cases.items():
        response = client.post("/people/checklists", data=data, headers=HX)
        assert response.status_code == 422, field_id
        assert f'id="{field_id}-error"' in response.get_data(as_text=True), field_id
    assert db.session.scalar(select(ChecklistTemplate)) is None


def test_a_second_template_for_the_same_position_is_refused(client, hr):
    login(client, hr)
    data = _form(**{"steps-1-assignee": "hr"})
    assert client.post("/people/checklists", data=data).status_code == 303
    response = client.post("/people/checklists", data={**data, "position": "RECEPCIONISTA"})
    assert response.status_code == 422
    assert 'id="position-error"' in response.get_data(as_text=True)
    assert len(db.session.scalars(select(ChecklistTemplate)).all()) == 1


def test_hr_edits_a_template_and_the_change_is_audited(client, hr):
    login(client, hr)
    client.post("/people/checklists", data=_form(**{"steps-1-assignee": "hr"}))
    template = db.session.scalar(select(ChecklistTemplate))
    page = client.get(f"/people/checklists/{template.id}/edit").get_data(as_text=True)
    assert "Entregar crachá" in page and 'name="steps-5-title"' in page  # 3 saved + 3 empty
    response = client.post(
        f"/people/checklists/{template.id}",
        data=_form(kind="offboarding", **{"steps-1-assignee": "hr", "steps-0-days": "-2"}),
    )
    assert response.status_code == 303
    db.session.expire_all()
    template = db.session.get(ChecklistTemplate, template.id)
    assert template.kind == "offboarding" and template.steps[0]["days"] == -2
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "people.checklist_template_changed")
    )
    assert set(entry.changes) >= {"kind", "steps"}


def test_only_hr_manages_templates(client, make_user):
    staff = make_user(roles=["staff"], name="Outra", email="outra@example.com")
    login(client, staff)
    assert client.get("/people/checklists").status_code == 403
    assert client.post("/people/checklists", data=_form()).status_code == 403


def test_page_and_fragment(client, hr):
    login(client, hr)
    full = client.get("/people/checklists").get_data(as_text=True)
    fragment = client.get("/people/checklists", headers=HX).get_data(as_text=True)
    assert "<html" in full and 'id="checklist-templates"' in full
    assert "<html" not in fragment and 'id="checklist-templates"' in fragment
