"""Warnings: HR records, the employee reads and acknowledges in the portal, all audited."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Notification
from portal.models.people import DisciplinaryWarning
from tests.people.conftest import login

FACTS = "Chegou atrasado cinco vezes em duas semanas sem justificativa."


def _issue(client, employee, **over):
    data = {
        "level": "written",
        "occurred_on": (date.today() - timedelta(days=2)).isoformat(),
        "facts": FACTS,
        "policy": "Regulamento interno 4.2",
        "witness": "Marcos Oliveira",
        **over,
    }
    return client.post(f"/people/employees/{employee.id}/warnings", data=data)


def _trail(warning_id):
    db.session.expire_all()
    return [
        e.action
        for e in db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.target_type == "DisciplinaryWarning", AuditEntry.target_id == warning_id
            )
            .order_by(AuditEntry.id)
        )
    ]


def test_warning_acknowledged_by_the_employee_with_an_audit_trail(client, hr, salaried, make_user):
    login(client, hr)
    assert _issue(client, salaried).status_code == 303
    warning = db.session.scalar(select(DisciplinaryWarning))
    assert warning.status == "pending"
    note = db.session.scalar(select(Notification).where(Notification.kind == "people.warning"))
    assert note.user_id == salaried.user_id

    # a colleague cannot see it, nor acknowledge it (same 404 as a missing one)
    colleague = make_user(roles=["staff"], email="colega@example.com")
    other = login(client.application.test_client(), colleague)
    assert other.get(f"/people/warnings/{warning.id}").status_code == 404
    assert (
        other.post(
            f"/people/warnings/{warning.id}/acknowledge", data={"answer": "agree"}
        ).status_code
        == 404
    )
    # HR cannot acknowledge on the employee's behalf
    response = client.post(f"/people/warnings/{warning.id}/acknowledge", data={"answer": "agree"})
    assert response.status_code == 403

    employee_user = salaried.user
    mine = login(client.application.test_client(), employee_user)
    page = mine.get(f"/people/warnings/{warning.id}")
    assert page.status_code == 200 and FACTS in page.get_data(as_text=True)
    # disagreeing needs a statement: 422 next to the field, nothing saved
    response = mine.post(f"/people/warnings/{warning.id}/acknowledge", data={"answer": "disagree"})
    assert response.status_code == 422
    assert 'id="statement-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DisciplinaryWarning, warning.id).status == "pending"
    response = mine.post(
        f"/people/warnings/{warning.id}/acknowledge",
        data={"answer": "disagree", "statement": "O trânsito estava parado por obras."},
    )
    assert response.status_code == 303
    db.session.expire_all()
    warning = db.session.get(DisciplinaryWarning, warning.id)
    assert warning.status == "disputed" and warning.acknowledged_at is not None
    assert "obras" in warning.statement
    assert _trail(warning.id) == [
        "people.warning_issued",
        "people.warning_opened",
        "people.warning_acknowledged",
    ]
    # answered once
    again = mine.post(f"/people/warnings/{warning.id}/acknowledge", data={"answer": "agree"})
    assert again.status_code == 422


def test_refusal_is_recorded_with_a_witness(client, hr, salaried):
    login(client, hr)
    _issue(client, salaried, level="verbal")
    warning = db.session.scalar(select(DisciplinaryWarning))
    assert (
        client.post(f"/people/warnings/{warning.id}/refusal", data={"witness": ""}).status_code
        == 422
    )
    assert (
        client.post(
            f"/people/warnings/{warning.id}/refusal", data={"witness": "Ana Lima"}
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(DisciplinaryWarning, warning.id).refusal_witness == "Ana Lima"
    assert _trail(warning.id)[-1] == "people.warning_refused"


def test_suspension_needs_days_and_facts_cannot_be_in_the_future(client, hr, salaried):
    login(client, hr)
    response = _issue(client, salaried, level="suspension")
    assert response.status_code == 422
    assert 'id="suspension_days-error"' in response.get_data(as_text=True)
    future = (date.today() + timedelta(days=3)).isoformat()
    response = _issue(client, salaried, occurred_on=future)
    assert response.status_code == 422
    assert 'id="occurred_on-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(DisciplinaryWarning)) is None
    assert _issue(client, salaried, level="suspension", suspension_days="3").status_code == 303
    assert db.session.scalar(select(DisciplinaryWarning)).suspension_days == 3


def test_printable_pdf_in_portuguese_for_hr_and_the_employee_only(client, hr, salaried, make_user):
    import io

    from pypdf import PdfReader

    login(client, hr)
    _issue(client, salaried)
    warning = db.session.scalar(select(DisciplinaryWarning))
    for who in (hr, salaried.user):
        c = login(client.application.test_client(), who)
        response = c.get(f"/people/warnings/{warning.id}/pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
        assert "ADVERTÊNCIA ESCRITA" in text
        assert "Chegou atrasado" in text and "Data dos fatos" in text
    colleague = login(client.application.test_client(), make_user(roles=["staff"], email="c@x.org"))
    assert colleague.get(f"/people/warnings/{warning.id}/pdf").status_code == 404
