"""Termination and offboarding: the exit recorded, the checklist with what the person holds, the
account closed automatically once the last working day is over (in the company's time zone).

What a person holds comes from the equipment area when it is installed:
``portal.services.equipment.assets_held_by(user_id)`` (rows with ``asset_tag``, ``type``,
``make``, ``model``).  People does not depend on equipment: ``held_assets`` looks the provider up
with ``importlib.util.find_spec`` and lists nothing while there is none, so an offboarding
checklist lists the laptop as soon as the equipment area exists.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.errors import Conflict, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.people import (
    ACTIVE,
    LEAVING,
    LEFT,
    OFFBOARDING,
    TERMINATION_REASONS,
    ChecklistTask,
    Employee,
    Termination,
)
from portal.services import audit
from portal.services.people.checklists import create_checklist
from portal.services.people.common import today

EQUIPMENT_PROVIDER = "portal.services.equipment"


def held_assets(user_id: int | None) -> list[Any]:
    """What the person holds (equipment area's rows), or nothing without that area."""
    if user_id is None or importlib.util.find_spec(EQUIPMENT_PROVIDER) is None:
        return []
    provider = getattr(importlib.import_module(EQUIPMENT_PROVIDER), "assets_held_by", None)
    return list(provider(user_id)) if provider is not None else []


def open_termination(employee: Employee) -> Termination | None:
    return db.session.scalar(
        select(Termination)
        .where(Termination.employee_id == employee.id)
        .order_by(Termination.id.desc())
        .limit(1)
    )


def record_termination(
    employee: Employee,
    *,
    actor: User,
    reason: str,
    notice_on: date | None,
    last_day: date | None,
    handover_to: User | None = None,
) -> Termination:
    """Record the exit and build the offboarding checklist (equipment held included)."""
    if employee.status != ACTIVE:
        raise Conflict(_("This person's exit is already recorded."))
    if reason not in TERMINATION_REASONS:
        raise ValidationError(_("Choose the reason for the exit."), field="reason")
    if notice_on is None:
        raise ValidationError(_("Enter the date of the notice."), field="notice_on")
    if last_day is None:
        raise ValidationError(_("Enter the last working day."), field="last_day")
    if last_day < notice_on:
        raise ValidationError(
            _("The last working day cannot be before the notice."), field="last_day"
        )
    if handover_to is not None and handover_to.id == employee.user_id:
        raise ValidationError(
            _("Hand the work over to someone else than the person leaving."), field="handover_to"
        )
    termination = Termination(
        employee_id=employee.id,
        reason=reason,
        notice_on=notice_on,
        last_day=last_day,
        handover_to_id=handover_to.id if handover_to else None,
        recorded_by_id=actor.id,
    )
    db.session.add(termination)
    employee.status = LEAVING
    employee.last_day = last_day
    db.session.flush()
    extra = [
        _(
            "Return: %(what)s %(tag)s (%(model)s)",
            what=row.type,
            tag=row.asset_tag,
            model=f"{row.make} {row.model}".strip(),
        )
        for row in held_assets(employee.user_id)
    ]
    create_checklist(employee, OFFBOARDING, actor=actor, start=last_day, extra=extra)
    audit.record(
        actor,
        "people.termination_recorded",
        employee,
        {"reason": reason, "notice_on": notice_on.isoformat(), "last_day": last_day.isoformat()},
    )
    return termination


def close_due_accounts(now: datetime | None = None) -> list[int]:
    """Disable the accounts of people whose last working day is over; return employee ids.

    "Over" in the company's time zone: a last day of 10 March closes at 00:00 on 11 March in
    São Paulo, whatever the server's clock says.  Idempotent: a termination is closed once
    (conditional UPDATE on ``account_closed_at``).
    """
    day = today(now)
    due = list(
        db.session.scalars(
            select(Termination).where(
                Termination.account_closed_at.is_(None), Termination.last_day < day
            )
        )
    )
    closed = []
    for termination in due:
        claimed = db.session.execute(
            update(Termination)
            .where(Termination.id == termination.id, Termination.account_closed_at.is_(None))
            .values(account_closed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        employee = termination.employee
        employee.status = LEFT
        user = employee.user
        if user is not None:
            user.active = False
            user.revoke_sessions()
            if termination.handover_to_id:
                db.session.execute(
                    update(ChecklistTask)
                    .where(ChecklistTask.assignee_id == user.id, ChecklistTask.done_at.is_(None))
                    .values(assignee_id=termination.handover_to_id)
                    .execution_options(synchronize_session=False)
                )
        audit.record(
            None,
            "people.exit",
            employee,
            {"last_day": termination.last_day.isoformat(), "account": user.id if user else None},
        )
        closed.append(employee.id)
    return closed


def rehire(employee: Employee, *, actor: User, start_date: date | None) -> Employee:
    """Take a former employee back on the same record (history kept)."""
    if employee.status != LEFT:
        raise Conflict(_("Only a former employee can be rehired."))
    if start_date is None:
        raise ValidationError(_("Enter the start date."), field="start_date")
    employee.status = ACTIVE
    employee.start_date = start_date
    employee.last_day = None
    if employee.user is not None:
        employee.user.active = True
    audit.record(actor, "people.rehired", employee, {"start_date": start_date.isoformat()})
    return employee
