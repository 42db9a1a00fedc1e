"""Onboarding: a checklist per position/department, assignees, due dates, overdue reminders,
progress on HR's dashboard and on the new hire's."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Notification
from portal.models.people import ChecklistTask, ChecklistTemplate
from portal.services import people
from tests.people.conftest import login


def test_checklist_from_the_position_template_with_assignees(client, hr, salaried, make_user):
    manager = make_user(roles=["staff"], email="gerente@example.com")
    salaried.manager_id = manager.id
    db.session.add(
        ChecklistTemplate(
            kind="onboarding",
            position="Analista",
            steps=[
                {"title": "Notebook entregue", "days": 0, "assignee": "hr"},
                {"title": "Políticas lidas", "days": 5, "assignee": "employee"},
                {"title": "Treinamento agendado", "days": 10, "assignee": "manager"},
            ],
        )
    )
    db.session.commit()
    login(client, hr)
    assert client.post(f"/people/employees/{salaried.id}/onboarding").status_code == 303
    assert client.post(f"/people/employees/{salaried.id}/onboarding").status_code == 303  # once
    tasks = db.session.scalars(select(ChecklistTask).order_by(ChecklistTask.position)).all()
    assert [(t.title, t.assignee_id) for t in tasks] == [
        ("Notebook entregue", hr.id),
        ("Políticas lidas", salaried.user_id),
        ("Treinamento agendado", manager.id),
    ]
    assert tasks[2].due_on - tasks[0].due_on == timedelta(days=10)

    # the new hire ticks their own step; not someone else's
    mine = login(client.application.test_client(), salaried.user)
    assert mine.post(f"/people/tasks/{tasks[1].id}", data={"done": "1"}).status_code == 303
    assert mine.post(f"/people/tasks/{tasks[2].id}", data={"done": "1"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(ChecklistTask, tasks[1].id).done_at is not None
    assert db.session.get(ChecklistTask, tasks[2].id).done_at is None

    # progress: on the new hire's dashboard and HR's
    body = mine.get("/").get_data(as_text=True)
    assert "1 of 3 steps done" in body
    hr_body = client.get("/").get_data(as_text=True)
    assert 'id="card-people-onboarding"' in hr_body
    assert "João Araújo" in client.get("/people/employees").get_data(as_text=True)


def test_overdue_steps_are_reminded_once_a_day(app, hr, salaried):
    with app.test_request_context():
        people.create_checklist(salaried, "onboarding", actor=hr, start=date(2026, 1, 5))
        db.session.commit()
        day = date(2026, 1, 20)
        sent = people.remind_overdue(day)
        db.session.commit()
        assert sent == 5  # the default steps, all overdue
        assert people.remind_overdue(day) == 0  # once a day
        assert people.remind_overdue(day + timedelta(days=1)) == 5
        db.session.commit()
    count = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.kind == "people.task")
    )
    assert count == 10
