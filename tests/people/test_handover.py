"""Hand-over at exit: HR names a colleague; the leaver's open work in every area goes to them on
HR's confirm and again when the periodic job closes the account (at midnight in São Paulo, on a
frozen clock), one audit entry per area and the counts on the exit page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal import ui
from portal.extensions import db
from portal.models import AuditEntry, User
from portal.models.frontdesk import Call, StaffRequest
from portal.models.people import ChecklistTask, Termination
from portal.services import people
from tests.people.conftest import login


def _message(for_user: User, caller: str = "Carlos Souza") -> Call:
    call = Call(
        caller_name=caller,
        phone="+5511987654321",
        for_user_id=for_user.id,
        recipient_id=for_user.id,
        message="Ligar sobre a nota fiscal",
        outcome="message",
        status="open",
    )
    db.session.add(call)
    db.session.commit()
    return call


def _terminate(client, employee, colleague):
    return client.post(
        f"/people/employees/{employee.id}/termination",
        data={
            "reason": "resignation",
            "notice_on": "2026-02-10",
            "last_day": "2026-03-10",
            "handover_to": str(colleague.id),
        },
    )


def test_every_area_hands_over_through_the_registry(app):
    with app.app_context():
        names = [p.name for p in ui.current().handover_providers]
    assert {"people", "frontdesk", "supplies"} <= set(names)


def test_handover_on_confirm_and_at_midnight(app, client, hr, make_employee, make_user):
    leaver = make_user(roles=["back_office", "staff"], name="Lia Saindo", email="lia@example.com")
    colleague = make_user(
        roles=["back_office", "staff"], name="Caio Colega", email="caio@example.com"
    )
    employee = make_employee(name="Lia Saindo", user_id=leaver.id)
    first = _message(leaver)
    request = StaffRequest(
        type="general",
        title="Trocar lâmpada",
        description="Sala 2",
        requester_id=hr.id,
        assignee_id=leaver.id,
        status="in_progress",
    )
    step = ChecklistTask(
        employee_id=employee.id,
        kind="onboarding",
        title="Apresentar a equipe",
        assignee_id=leaver.id,
        due_on=date(2026, 3, 1),
    )
    db.session.add_all([request, step])
    db.session.commit()

    login(client, hr)
    assert _terminate(client, employee, colleague).status_code == 303
    page = client.get(f"/people/employees/{employee.id}/termination").get_data(as_text=True)
    assert 'id="handover-form"' in page and 'id="handover-frontdesk"' in page
    assert db.session.get(Call, first.id).recipient_id == leaver.id  # nothing moved yet

    # HR confirms before the last day: everything open moves now, one audit entry per area
    response = client.post(
        f"/people/employees/{employee.id}/handover", data={"handover_to": str(colleague.id)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Call, first.id).recipient_id == colleague.id
    assert db.session.get(StaffRequest, request.id).assignee_id == colleague.id
    assert db.session.get(ChecklistTask, step.id).assignee_id == colleague.id
    termination = db.session.scalar(select(Termination))
    assert termination.handover_counts["frontdesk"] == 2
    assert termination.handover_counts["people"] >= 1
    areas = {
        e.changes["area"]: e.changes["count"]
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "people.handover")
        )
    }
    assert set(areas) == {p.name for p in ui.registry(app).handover_providers}
    assert areas["frontdesk"] == 2
    page = client.get(f"/people/employees/{employee.id}/termination").get_data(as_text=True)
    assert "Caio Colega" in page

    # a message taken for her after the confirm is handed over when the account closes
    late = _message(leaver, caller="Dona Marta")
    assert people.close_due_accounts(datetime(2026, 3, 11, 2, 59, tzinfo=UTC)) == []
    db.session.commit()
    assert db.session.get(Call, late.id).recipient_id == leaver.id  # 23:59 in São Paulo
    assert people.close_due_accounts(datetime(2026, 3, 11, 3, 0, tzinfo=UTC)) == [employee.id]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Call, late.id).recipient_id == colleague.id
    assert not db.session.get(User, leaver.id).active
    termination = db.session.scalar(select(Termination))
    assert termination.handover_counts["frontdesk"] == 3  # running total
    job_entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "people.handover", AuditEntry.actor_id.is_(None)
        )
    ).all()
    assert {e.changes["area"] for e in job_entries} == set(areas)
    page = client.get(f"/people/employees/{employee.id}/termination").get_data(as_text=True)
    assert '<td class="num">3</td>' in page


def test_handover_to_the_leaver_is_422_next_to_the_field(app, client, hr, make_employee, make_user):
    leaver = make_user(roles=["staff"], name="Lia Saindo", email="lia@example.com")
    colleague = make_user(roles=["staff"], name="Caio Colega", email="caio@example.com")
    employee = make_employee(name="Lia Saindo", user_id=leaver.id)
    message = _message(leaver)
    login(client, hr)
    _terminate(client, employee, colleague)
    response = client.post(
        f"/people/employees/{employee.id}/handover", data={"handover_to": str(leaver.id)}
    )
    assert response.status_code == 422
    assert 'id="handover_to-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Call, message.id).recipient_id == leaver.id
    assert db.session.scalar(select(Termination.handed_over_at)) is None


def test_handover_before_the_exit_is_recorded_is_409(client, hr, salaried, make_user):
    colleague = make_user(roles=["staff"], name="Caio Colega", email="caio@example.com")
    login(client, hr)
    response = client.post(
        f"/people/employees/{salaried.id}/handover", data={"handover_to": str(colleague.id)}
    )
    assert response.status_code == 409
    assert "Record the exit first." in response.get_data(as_text=True)


def test_only_hr_hands_over(client, salaried, make_user):
    staff = make_user(roles=["staff"], name="Outra", email="outra@example.com")
    login(client, staff)
    response = client.post(
        f"/people/employees/{salaried.id}/handover", data={"handover_to": str(staff.id)}
    )
    assert response.status_code == 403
