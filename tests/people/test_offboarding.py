"""Termination: checklist with what the person holds; the account closes after the last day,
at midnight in São Paulo, by the periodic job."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from portal.models.people import ChecklistTask, Employee, Termination
from portal.services import people
from tests.people.conftest import login


def _terminate(client, employee, **over):
    data = {
        "reason": "resignation",
        "notice_on": "2026-02-10",
        "last_day": "2026-03-10",
        "handover_to": "",
        **over,
    }
    return client.post(f"/people/employees/{employee.id}/termination", data=data)


def test_last_day_before_notice_is_422_and_nothing_saved(client, hr, salaried):
    login(client, hr)
    response = _terminate(client, salaried, last_day="2026-02-01")
    assert response.status_code == 422
    assert 'id="last_day-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Termination)) is None
    assert db.session.get(Employee, salaried.id).status == "active"


def test_the_job_closes_the_account_at_midnight_sao_paulo(app, client, hr, salaried, make_user):
    login(client, hr)
    colleague = make_user(roles=["staff"], email="colega@example.com")
    assert _terminate(client, salaried, handover_to=str(colleague.id)).status_code == 303
    employee = db.session.get(Employee, salaried.id)
    assert employee.status == "leaving"
    steps = db.session.scalars(
        select(ChecklistTask).where(ChecklistTask.kind == "offboarding")
    ).all()
    assert steps and all(s.due_on >= date(2026, 3, 10) for s in steps)
    # an open onboarding step of the leaver goes to the colleague named
    db.session.add(
        ChecklistTask(
            employee_id=employee.id,
            kind="onboarding",
            title="x",
            assignee_id=employee.user_id,
            due_on=date(2026, 3, 1),
        )
    )
    db.session.commit()

    employee_client = login(app.test_client(), employee.user)
    assert employee_client.get("/people/me").status_code == 200
    token = employee.user.session_token

    # 23:59 on the last day in São Paulo (02:59 UTC the next day): still open
    assert people.close_due_accounts(datetime(2026, 3, 11, 2, 59, tzinfo=UTC)) == []
    db.session.commit()
    assert db.session.get(User, employee.user_id).active
    # 00:00 the next day in São Paulo: closed, sessions revoked, once
    assert people.close_due_accounts(datetime(2026, 3, 11, 3, 0, tzinfo=UTC)) == [employee.id]
    db.session.commit()
    assert people.close_due_accounts(datetime(2026, 3, 12, 3, 0, tzinfo=UTC)) == []
    db.session.expire_all()
    user = db.session.get(User, employee.user_id)
    assert not user.active and user.session_token != token
    assert db.session.get(Employee, employee.id).status == "left"
    assert (
        db.session.scalar(select(ChecklistTask.assignee_id).where(ChecklistTask.title == "x"))
        == colleague.id
    )
    # the old session no longer works, nor does signing in
    response = employee_client.get("/people/me")
    assert response.status_code in (302, 401)
    signin = app.test_client().post(
        "/login", data={"email": "joao@example.com", "password": "correct horse battery"}
    )
    assert signin.status_code not in (302, 303)


def test_the_periodic_job_runs_from_the_worker(app, client, hr, salaried, run_jobs):
    from portal.enqueue import get_queue

    login(client, hr)
    _terminate(client, salaried, notice_on="2020-01-01", last_day="2020-01-31")
    user_id = salaried.user_id
    get_queue("default").enqueue("worker.jobs.people.close_due_accounts")
    run_jobs()
    assert not db.session.get(User, user_id).active


def test_the_checklist_lists_equipment_still_held(client, hr, salaried):
    """Uses the equipment area's provider when it is installed (skipped without it)."""
    import importlib.util

    import pytest

    if importlib.util.find_spec("portal.services.equipment") is None:
        pytest.skip("the equipment area is not installed")
    equipment = importlib.import_module("portal.services.equipment")
    if not hasattr(equipment, "assets_held_by"):
        pytest.skip("the equipment area does not export assets_held_by yet")
    from portal.models.equipment import Asset

    asset = Asset(
        asset_tag="NB-0042",
        type="laptop",
        make="Dell",
        model="Latitude 5440",
        model_key="dell latitude 5440",
        holder_id=salaried.user_id,
    )
    db.session.add(asset)
    db.session.commit()
    login(client, hr)
    page = client.get(f"/people/employees/{salaried.id}/termination").get_data(as_text=True)
    assert "NB-0042" in page
    _terminate(client, salaried)
    titles = db.session.scalars(select(ChecklistTask.title)).all()
    assert any("NB-0042" in t for t in titles)
