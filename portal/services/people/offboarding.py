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
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal import ui
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
        # The type stays out: it is the equipment area's key ("laptop"), not a label.
        _("Return: %(tag)s (%(model)s)", tag=row.asset_tag, model=f"{row.make} {row.model}".strip())
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
            # HR may have handed over already; this moves what arrived since (nothing if
            # the colleague has left too: their own exit hands their work on).
            if termination.handover_to is not None and termination.handover_to.active:
                hand_over(termination, actor=None)
        audit.record(
            None,
            "people.exit",
            employee,
            {"last_day": termination.last_day.isoformat(), "account": user.id if user else None},
        )
        closed.append(employee.id)
    return closed


def hand_over_steps(leaver: User, colleague: User, *, actor: User | None) -> int:
    """People's own part of the hand-over: open checklist steps assigned to the leaver."""
    steps = list(
        db.session.scalars(
            select(ChecklistTask.id)
            .where(ChecklistTask.assignee_id == leaver.id, ChecklistTask.done_at.is_(None))
            .order_by(ChecklistTask.id)
        )
    )
    if steps:
        db.session.execute(
            update(ChecklistTask)
            .where(ChecklistTask.id.in_(steps), ChecklistTask.assignee_id == leaver.id)
            .values(assignee_id=colleague.id)
            .execution_options(synchronize_session="fetch")
        )
        audit.record(actor, "people.steps_handover", leaver, {"to": colleague.id, "steps": steps})
    return len(steps)


@dataclass(frozen=True)
class HandoverLine:
    """One area's line on the exit page: what it hands over and how many items moved."""

    name: str
    label: str
    count: int | None  # None: not handed over yet


def handover_lines(termination: Termination | None) -> list[HandoverLine]:
    """Every registered area with the items it has handed over for this exit so far."""
    counts = (termination.handover_counts or {}) if termination is not None else {}
    done = termination is not None and termination.handed_over_at is not None
    return [
        HandoverLine(p.name, str(p.label), int(counts.get(p.name, 0)) if done else None)
        for p in ui.current().handover_providers
    ]


def hand_over(
    termination: Termination, *, actor: User | None, to: User | None = None
) -> dict[str, int]:
    """Hand the leaver's open work in every area to the named colleague; return the counts.

    Each area registered a function (``registry.handover_provider``) that moves its own items
    and audits them; people records one entry per area with the count, and keeps the running
    totals on the termination for the exit page.  Run on HR's confirm and again when the
    account closes (whatever arrived in between); a second run moves only what is new.
    """
    employee = termination.employee
    if to is not None:
        if to.id == employee.user_id:
            raise ValidationError(
                _("Hand the work over to someone else than the person leaving."),
                field="handover_to",
            )
        if not to.active:
            raise ValidationError(_("Choose someone whose account is active."), field="handover_to")
        termination.handover_to = to
    colleague = termination.handover_to
    if colleague is None:
        raise ValidationError(_("Choose who takes over the open work."), field="handover_to")
    leaver = employee.user
    if leaver is None:
        raise Conflict(_("This person has no portal account: there is no work to hand over."))
    totals = dict(termination.handover_counts or {})
    moved: dict[str, int] = {}
    for provider in ui.current().handover_providers:
        count = int(provider.function(leaver, colleague, actor=actor) or 0)
        moved[provider.name] = count
        totals[provider.name] = totals.get(provider.name, 0) + count
        audit.record(
            actor,
            "people.handover",
            employee,
            {"area": provider.name, "count": count, "to": colleague.id},
        )
    termination.handover_counts = totals
    termination.handed_over_at = utcnow()
    db.session.flush()
    return moved


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
