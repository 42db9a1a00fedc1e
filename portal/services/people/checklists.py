"""Onboarding and offboarding checklists: steps assigned to people, with due dates and reminders.

The steps come from the most specific ``ChecklistTemplate`` (position, then department, then the
kind's default row), or from ``DEFAULT_STEPS`` when the company has none.  Each step is assigned
to HR (whoever creates the checklist), the manager or the employee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select, update

from portal.errors import NotAllowed, NotFound
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.people import (
    OFFBOARDING,
    ONBOARDING,
    ChecklistTask,
    ChecklistTemplate,
    Employee,
)
from portal.services import audit, notifications
from portal.services.people.common import today

DEFAULT_STEPS: dict[str, list[dict[str, Any]]] = {
    ONBOARDING: [
        {"title": _l("Portal account created"), "days": 0, "assignee": "hr"},
        {"title": _l("Equipment handed over"), "days": 0, "assignee": "hr"},
        {"title": _l("Keys and badge handed over"), "days": 0, "assignee": "hr"},
        {"title": _l("Company policies read"), "days": 7, "assignee": "employee"},
        {"title": _l("Mandatory training booked"), "days": 14, "assignee": "manager"},
    ],
    OFFBOARDING: [
        {"title": _l("Portal and e-mail accounts closed"), "days": 0, "assignee": "hr"},
        {"title": _l("Keys and badge returned"), "days": 0, "assignee": "hr"},
        {"title": _l("Final documents signed (TRCT, exit exam)"), "days": 10, "assignee": "hr"},
    ],
}


def _steps(kind: str, employee: Employee) -> list[dict[str, Any]]:
    templates = list(
        db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.kind == kind))
    )
    for match in (
        lambda t: t.position and t.position.lower() == employee.position.lower(),
        lambda t: t.department_id and t.department_id == employee.department_id,
        lambda t: not t.position and not t.department_id,
    ):
        for template in templates:
            if match(template):
                return list(template.steps)
    return DEFAULT_STEPS[kind]


def _assignee(role: str, employee: Employee, actor: User) -> int:
    if role == "manager" and employee.manager_id:
        return employee.manager_id
    if role == "employee" and employee.user_id:
        return employee.user_id
    return actor.id


def create_checklist(
    employee: Employee,
    kind: str,
    *,
    actor: User,
    start: date,
    extra: list[str] = (),  # type: ignore[assignment]
) -> list[ChecklistTask]:
    """Create the employee's checklist of ``kind`` (a second call adds nothing)."""
    existing = db.session.scalar(
        select(func.count(ChecklistTask.id)).where(
            ChecklistTask.employee_id == employee.id, ChecklistTask.kind == kind
        )
    )
    if existing:
        return tasks_of(employee, kind)
    tasks = []
    steps = [*_steps(kind, employee), *({"title": t, "days": 0, "assignee": "hr"} for t in extra)]
    for position, step in enumerate(steps):
        task = ChecklistTask(
            employee_id=employee.id,
            kind=kind,
            position=position,
            title=str(step["title"])[:200],
            assignee_id=_assignee(step.get("assignee", "hr"), employee, actor),
            due_on=start + timedelta(days=int(step.get("days", 0))),
        )
        db.session.add(task)
        tasks.append(task)
    db.session.flush()
    audit.record(actor, f"people.{kind}_created", employee, {"steps": len(tasks)})
    return tasks


def tasks_of(employee: Employee, kind: str) -> list[ChecklistTask]:
    return list(
        db.session.scalars(
            select(ChecklistTask)
            .where(ChecklistTask.employee_id == employee.id, ChecklistTask.kind == kind)
            .order_by(ChecklistTask.position, ChecklistTask.id)
        )
    )


def get_task_or_404(task_id: int) -> ChecklistTask:
    task = db.session.get(ChecklistTask, task_id)
    if task is None:
        raise NotFound(_("This step does not exist."))
    return task


def complete_task(task: ChecklistTask, *, actor: User, done: bool = True) -> ChecklistTask:
    """Tick (or untick) a step: HR, or the person it is assigned to."""
    if not actor.can("hr.employees.manage") and task.assignee_id != actor.id:
        raise NotAllowed(_("Only HR or the person this step is assigned to can tick it."))
    task.done_at = utcnow() if done else None
    task.done_by_id = actor.id if done else None
    audit.record(actor, "people.task_done" if done else "people.task_reopened", task)
    return task


@dataclass(frozen=True)
class Progress:
    employee_id: int
    name: str
    kind: str
    done: int
    total: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def progress(kind: str = ONBOARDING, *, employee_ids: list[int] | None = None) -> list[Progress]:
    """Open checklists of ``kind``, one row per person (one query)."""
    now = today()
    stmt = (
        select(
            Employee.id,
            func.coalesce(Employee.preferred_name, Employee.name),
            func.count(ChecklistTask.id),
            func.count(ChecklistTask.done_at),
            func.sum(
                case(
                    (and_(ChecklistTask.done_at.is_(None), ChecklistTask.due_on < now), 1),
                    else_=0,
                )
            ),
        )
        .join(ChecklistTask, ChecklistTask.employee_id == Employee.id)
        .where(ChecklistTask.kind == kind, Employee.anonymised_at.is_(None))
        .group_by(Employee.id, Employee.preferred_name, Employee.name)
        .order_by(Employee.name)
    )
    if employee_ids is not None:
        stmt = stmt.where(Employee.id.in_(employee_ids))
    rows = db.session.execute(stmt).all()
    return [
        Progress(eid, name, kind, int(done or 0), int(total or 0), int(overdue or 0))
        for eid, name, total, done, overdue in rows
    ]


def open_progress(kind: str = ONBOARDING) -> list[Progress]:
    return [p for p in progress(kind) if p.done < p.total]


def remind_overdue(now_day: date | None = None) -> int:
    """Notify each assignee of their overdue steps, once a day per step; return how many."""
    day = now_day or today()
    tasks = list(
        db.session.scalars(
            select(ChecklistTask)
            .where(
                ChecklistTask.done_at.is_(None),
                ChecklistTask.due_on < day,
                ChecklistTask.assignee_id.is_not(None),
                or_(ChecklistTask.reminded_on.is_(None), ChecklistTask.reminded_on < day),
            )
            .order_by(ChecklistTask.id)
            .limit(500)
        )
    )
    for task in tasks:
        claimed = db.session.execute(
            update(ChecklistTask)
            .where(
                ChecklistTask.id == task.id,
                or_(ChecklistTask.reminded_on.is_(None), ChecklistTask.reminded_on < day),
            )
            .values(reminded_on=day)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed or task.assignee is None:
            continue
        employee = db.session.get(Employee, task.employee_id)
        title, who = task.title, str(employee) if employee else ""
        notifications.notify(
            task.assignee,
            "people.task",
            task,
            text=lambda title=title, who=who: _(
                "Overdue step for %(name)s: %(step)s", name=who, step=title
            ),
            url=None,
            dedupe_key=f"people-task:{task.id}:{day.isoformat()}",
        )
    return len(tasks)


def my_open_tasks(user: User) -> list[tuple[ChecklistTask, str]]:
    """Steps assigned to ``user`` still open, with the employee's name (one query)."""
    rows = db.session.execute(
        select(ChecklistTask, func.coalesce(Employee.preferred_name, Employee.name))
        .join(Employee, Employee.id == ChecklistTask.employee_id)
        .where(ChecklistTask.assignee_id == user.id, ChecklistTask.done_at.is_(None))
        .order_by(ChecklistTask.due_on, ChecklistTask.id)
        .limit(50)
    ).all()
    return [(task, name) for task, name in rows]


__all__ = [
    "DEFAULT_STEPS",
    "OFFBOARDING",
    "ONBOARDING",
    "Progress",
    "complete_task",
    "create_checklist",
    "get_task_or_404",
    "my_open_tasks",
    "open_progress",
    "progress",
    "remind_overdue",
    "tasks_of",
]
