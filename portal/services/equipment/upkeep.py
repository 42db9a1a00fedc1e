"""Upkeep: preventive plans (every N months or N pages) that open a task when due, the monthly
reminder for due meter readings, contract and warranty expiry reminders, and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Named ngettext so the default extraction keywords find it (a lazy plural, for notify).
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import func, select

from portal.errors import InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models import Notification, User, UserRole
from portal.models.base import utcnow
from portal.models.equipment import RETIRED, Asset, Downtime, Plan, Reading, Task
from portal.services import audit
from portal.services.equipment.common import (
    clean,
    parse_date,
    parse_int,
    path,
    record_event,
    today_local,
)
from portal.services.equipment.readings import due_for_reading, month_start
from portal.services.equipment.register import EXPIRING_DAYS
from portal.services.notifications import notify

REMINDER_KIND = "equipment.reminder"


def add_plan(
    asset: Asset,
    *,
    actor: User,
    title: str | None,
    every_months: Any = None,
    every_pages: Any = None,
    last_done_on: Any = None,
) -> Plan:
    title = clean(title, 160)
    if not title:
        raise ValidationError(_("Say what is done (e.g. “cleaning and rollers”)."), field="title")
    months = parse_int(every_months, "every_months", minimum=1, maximum=120)
    pages = parse_int(every_pages, "every_pages", minimum=100, maximum=100_000_000)
    if months is None and pages is None:
        raise ValidationError(_("Give every how many months or pages."), field="every_months")
    if pages is not None and not asset.metered:
        raise ValidationError(_("This asset has no page counter."), field="every_pages")
    counter = db.session.scalar(
        select(Reading.mono + Reading.colour)
        .where(Reading.asset_id == asset.id)
        .order_by(Reading.read_on.desc(), Reading.id.desc())
        .limit(1)
    )
    plan = Plan(
        asset_id=asset.id,
        title=title,
        every_months=months,
        every_pages=pages,
        last_done_on=parse_date(last_done_on, "last_done_on") or today_local(),
        last_done_counter=counter,
    )
    db.session.add(plan)
    db.session.flush()
    audit.record(actor, "equipment.plan.added", asset, {"plan": title})
    return plan


def plans_for(asset_id: int) -> list[Plan]:
    return list(
        db.session.scalars(
            select(Plan).where(Plan.asset_id == asset_id, Plan.active.is_(True)).order_by(Plan.id)
        )
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, 28)


def plan_due_on(plan: Plan) -> date | None:
    if plan.every_months and plan.last_done_on:
        return _add_months(plan.last_done_on, plan.every_months)
    return None


def _back_office_and_managers() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_(("back_office", "office_manager")), User.active.is_(True))
            .order_by(User.id)
        ).unique()
    )


def _back_office() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "back_office", User.active.is_(True))
            .order_by(User.id)
        ).unique()
    )


def open_due_tasks(today: date | None = None) -> int:
    """Open a task for every plan that came due (by date or by pages) and has none open."""
    today = today or today_local()
    latest = (
        select(Reading.asset_id, func.max(Reading.id).label("rid")).group_by(Reading.asset_id)
    ).subquery()
    counters = dict(
        db.session.execute(
            select(Reading.asset_id, Reading.mono + Reading.colour).join(
                latest, latest.c.rid == Reading.id
            )
        ).all()
    )
    has_open = select(Task.plan_id).where(Task.status == "open")
    plans = db.session.scalars(
        select(Plan)
        .join(Asset, Asset.id == Plan.asset_id)
        .where(Plan.active.is_(True), Asset.status != RETIRED, Plan.id.not_in(has_open))
    ).all()
    opened = []
    for plan in plans:
        due_on = plan_due_on(plan)
        by_date = due_on is not None and due_on <= today
        counter = counters.get(plan.asset_id)
        by_pages = bool(
            plan.every_pages
            and counter is not None
            and counter - (plan.last_done_counter or 0) >= plan.every_pages
        )
        if by_date or by_pages:
            task = Task(plan_id=plan.id, asset_id=plan.asset_id, due_on=due_on or today)
            db.session.add(task)
            opened.append(task)
    db.session.flush()
    if opened:
        people = _back_office()
        for task in opened:
            for person in people:
                notify(
                    person,
                    REMINDER_KIND,
                    task,
                    text=_l("Upkeep due: %(title)s", title=task.plan.title),
                    url=path(f"/{task.asset_id}"),
                    dedupe_key=f"equipment.task:{task.id}:{person.id}",
                )
    return len(opened)


def open_tasks(limit: int = 50) -> list[Any]:
    return list(
        db.session.execute(
            select(Task.id, Task.due_on, Plan.title, Asset.id.label("asset_id"), Asset.asset_tag)
            .join(Plan, Plan.id == Task.plan_id)
            .join(Asset, Asset.id == Task.asset_id)
            .where(Task.status == "open")
            .order_by(Task.due_on, Task.id)
            .limit(limit)
        )
    )


def asset_tasks(asset_id: int) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.asset_id == asset_id, Task.status == "open")
            .order_by(Task.due_on)
        )
    )


def complete_task(task_id: int, *, actor: User) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(_("This task does not exist."))
    if task.status != "open":
        raise InvalidTransition(_("This task is done."))
    task.status = "done"
    task.done_at = utcnow()
    task.done_by_id = actor.id
    plan = task.plan
    plan.last_done_on = today_local()
    plan.last_done_counter = db.session.scalar(
        select(Reading.mono + Reading.colour)
        .where(Reading.asset_id == task.asset_id)
        .order_by(Reading.read_on.desc(), Reading.id.desc())
        .limit(1)
    )
    db.session.flush()
    audit.record(actor, "equipment.task.done", ("Task", task.id), {"plan": plan.title})
    record_event(task.asset_id, "upkeep", plan.title, actor=actor)
    return task


# --- reminders (periodic jobs) -------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingsDue:
    """The target of the monthly readings reminder: one per person and month."""

    id: int  # yyyymm


def _expiring(today: date, until: date, column: Any, alerted: str, end: str) -> list[Asset]:
    """Assets whose date ``column`` falls in [today, until] and were not told for that date."""
    window = timedelta(days=EXPIRING_DAYS)
    candidates = db.session.scalars(
        select(Asset)
        .where(Asset.status != RETIRED, column >= today, column <= until)
        .order_by(Asset.id)
    ).all()
    return [
        a
        for a in candidates
        if getattr(a, alerted) is None or getattr(a, alerted) < getattr(a, end) - window
    ]


def remind_readings(today: date | None = None) -> int:
    """Once a month, ask back office for the readings that are due; returns people told."""
    today = today or today_local()
    due = due_for_reading(today)
    if not due:
        return 0
    start = month_start(today)
    month = ReadingsDue(start.year * 100 + start.month)
    told = 0
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.kind == REMINDER_KIND,
                Notification.target_type == "ReadingsDue",
                Notification.target_id == month.id,
            )
        )
    )
    for person in _back_office():
        if person.id in already:
            continue
        notify(
            person,
            REMINDER_KIND,
            month,
            text=ngettext(
                "Meter readings are due for %(num)d machine this month.",
                "Meter readings are due for %(num)d machines this month.",
                len(due),
            ),
            url=path("/readings/due"),
            dedupe_key=f"equipment.readings:{month.id}:{person.id}",
        )
        told += 1
    return told


def remind_expiring(today: date | None = None) -> int:
    """Tell back office and the office manager, once, of contracts and warranties ending within
    60 days (an extended date is told again when its own window comes)."""
    today = today or today_local()
    until = today + timedelta(days=EXPIRING_DAYS)
    contracts = _expiring(today, until, Asset.contract_end, "contract_alerted_on", "contract_end")
    warranties = _expiring(today, until, Asset.warranty_end, "warranty_alerted_on", "warranty_end")
    people = _back_office_and_managers() if (contracts or warranties) else []
    for asset in contracts:
        asset.contract_alerted_on = today
        for person in people:
            notify(
                person,
                REMINDER_KIND,
                asset,
                text=_l(
                    "The service contract of %(tag)s ends on %(day)s.",
                    tag=asset.asset_tag,
                    day=asset.contract_end,
                ),
                url=path(f"/{asset.id}"),
                dedupe_key=f"equipment.contract:{asset.id}:{asset.contract_end}:{person.id}",
            )
    for asset in warranties:
        asset.warranty_alerted_on = today
        for person in people:
            notify(
                person,
                REMINDER_KIND,
                asset,
                text=_l(
                    "The warranty of %(tag)s ends on %(day)s.",
                    tag=asset.asset_tag,
                    day=asset.warranty_end,
                ),
                url=path(f"/{asset.id}"),
                dedupe_key=f"equipment.warranty:{asset.id}:{asset.warranty_end}:{person.id}",
            )
    db.session.flush()
    return len(contracts) + len(warranties)


# --- the dashboard -------------------------------------------------------------------------------


def top_downtime(limit: int = 5, *, days: int = 365) -> list[Any]:
    """Machines with the most downtime over ``days`` (open periods count up to now): one query."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(
            Asset.id,
            Asset.asset_tag,
            Asset.make,
            Asset.model,
            Downtime.started_at,
            Downtime.ended_at,
            Downtime.minutes,
        )
        .join(Asset, Asset.id == Downtime.asset_id)
        .where(Downtime.started_at >= since)
    ).all()
    now = utcnow()
    totals: dict[int, list[Any]] = {}
    for r in rows:
        minutes = r.minutes if r.ended_at else int((now - r.started_at).total_seconds() // 60)
        entry = totals.setdefault(r.id, [r.asset_tag, r.make, r.model, 0, 0])
        entry[3] += minutes or 0
        entry[4] += 1
    ranked = sorted(totals.items(), key=lambda kv: -kv[1][3])[:limit]
    return [
        DowntimeRow(asset_id, tag, make, model, minutes, periods)
        for asset_id, (tag, make, model, minutes, periods) in ranked
    ]


@dataclass(frozen=True)
class DowntimeRow:
    asset_id: int
    asset_tag: str
    make: str
    model: str
    minutes: int
    periods: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def down_now(limit: int = 50) -> list[Any]:
    """Machines out of order or in repair now, longest first: plain rows."""
    return list(
        db.session.execute(
            select(
                Asset.id, Asset.asset_tag, Asset.make, Asset.model, Asset.status, Asset.down_since
            )
            .where(Asset.status.in_(("out_of_order", "in_repair")))
            .order_by(Asset.down_since)
            .limit(limit)
        )
    )
