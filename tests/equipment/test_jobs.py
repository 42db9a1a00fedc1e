"""Periodic jobs: reminders fire once, upkeep tasks open when a plan comes due."""

from __future__ import annotations

from datetime import date, timedelta

from portal.extensions import db
from portal.models import Notification
from portal.models.base import utcnow
from portal.models.equipment import Repair, Task
from portal.services import equipment
from tests.equipment.conftest import reading


def _notes(user, kind="equipment.reminder"):
    return db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def test_monthly_readings_reminder_once(office, make_asset):
    make_asset()
    assert equipment.remind_readings() == 1
    db.session.commit()
    assert equipment.remind_readings() == 0
    db.session.commit()
    assert len(_notes(office)) == 1


def test_contract_and_warranty_reminders_once(office, manager, make_asset):
    today = equipment.today_local()
    make_asset(contract_end=today + timedelta(days=30), warranty_end=today + timedelta(days=10))
    make_asset(contract_end=today + timedelta(days=90))
    assert equipment.remind_expiring() == 2  # one contract, one warranty
    db.session.commit()
    assert equipment.remind_expiring() == 0
    db.session.commit()
    assert len(_notes(office)) == 2 and len(_notes(manager)) == 2


def test_overdue_repair_reminder_once(office, make_asset):
    asset = make_asset(repair_email="x@vendor.example")
    db.session.add(
        Repair(
            asset_id=asset.id,
            vendor_email="x@vendor.example",
            requested_by_id=office.id,
            response_due_at=utcnow() - timedelta(hours=1),
        )
    )
    db.session.commit()
    assert equipment.remind_overdue() == 1
    db.session.commit()
    assert equipment.remind_overdue() == 0
    assert len(_notes(office, "equipment.repair")) == 1


def test_upkeep_task_opens_by_date_and_by_pages(office, make_asset):
    by_date = make_asset()
    by_pages = make_asset()
    equipment.add_plan(
        by_date,
        actor=office,
        title="Limpeza",
        every_months=6,
        last_done_on=equipment.today_local() - timedelta(days=200),
    )
    reading(by_pages, office, date(2026, 1, 1), 1_000)
    equipment.add_plan(by_pages, actor=office, title="Kit", every_pages=5_000)
    db.session.commit()
    assert equipment.open_due_tasks() == 1  # only the date plan is due
    db.session.commit()
    reading(by_pages, office, equipment.today_local(), 6_500)
    assert equipment.open_due_tasks() == 1  # now the page plan
    db.session.commit()
    assert equipment.open_due_tasks() == 0  # one open task per plan
    task = db.session.scalars(db.select(Task).where(Task.asset_id == by_pages.id)).one()
    equipment.complete_task(task.id, actor=office)
    db.session.commit()
    assert equipment.open_due_tasks() == 0
