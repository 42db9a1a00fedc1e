"""Onboarding and offboarding checklists: steps assigned to people, with due dates and reminders.

The steps come from the most specific ``ChecklistTemplate`` (position, then department, then the
kind's default row), or from ``DEFAULT_STEPS`` when the company has none.  Each step is assigned
to a role — HR (whoever creates the checklist), the manager, the employee — or to a named person
(``{"assignee": "person", "user_id": 12}``; HR again if that account is closed).  HR edits the
templates on /people/checklists (``save_template``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, Select, and_, bindparam, case, func, or_, select, update

from portal.errors import NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import Department, User
from portal.models.base import utcnow
from portal.models.people import (
    OFFBOARDING,
    ONBOARDING,
    ChecklistTask,
    ChecklistTemplate,
    Employee,
)
from portal.pagination import read_rows
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


ROLES = {
    "hr": _l("HR (whoever starts the checklist)"),
    "manager": _l("The employee's manager"),
    "employee": _l("The employee"),
}
PERSON = "person"
KINDS = {ONBOARDING: _l("Onboarding"), OFFBOARDING: _l("Offboarding")}
MAX_STEPS = 40


def _assignee(step: dict[str, Any], employee: Employee, actor: User) -> int:
    role = step.get("assignee", "hr")
    if role == "manager" and employee.manager_id:
        return employee.manager_id
    if role == "employee" and employee.user_id:
        return employee.user_id
    if role == PERSON and step.get("user_id"):
        person = db.session.get(User, int(step["user_id"]))
        if person is not None and person.active:
            return person.id
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
            assignee_id=_assignee(step, employee, actor),
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


def _progress_columns() -> Select:
    return (
        select(
            Employee.id,
            func.coalesce(Employee.preferred_name, Employee.name),
            func.count(ChecklistTask.id),
            func.count(ChecklistTask.done_at),
            func.sum(
                case(
                    (
                        and_(
                            ChecklistTask.done_at.is_(None),
                            ChecklistTask.due_on < bindparam("today", type_=Date),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .join(ChecklistTask, ChecklistTask.employee_id == Employee.id)
        .where(ChecklistTask.kind == bindparam("kind"), Employee.anonymised_at.is_(None))
        .group_by(Employee.id, Employee.preferred_name, Employee.name)
        .order_by(Employee.name, Employee.id)
    )


@lru_cache(maxsize=2)
def _open_progress_statement(limited: bool) -> Select:
    """Built once (and its cache key computed once): the people with a step still to do, found
    from the open steps (index on ``done_at``), never from every checklist ever made."""
    open_steps = select(ChecklistTask.employee_id).where(
        ChecklistTask.done_at.is_(None), ChecklistTask.kind == bindparam("kind")
    )
    stmt = _progress_columns().where(Employee.id.in_(open_steps))
    return stmt.limit(bindparam("page_limit", type_=Integer)) if limited else stmt


def _progress(rows: Any, kind: str) -> list[Progress]:
    return [
        Progress(eid, name, kind, int(done or 0), int(total or 0), int(overdue or 0))
        for eid, name, total, done, overdue in rows
    ]


def progress(kind: str = ONBOARDING, *, employee_ids: list[int] | None = None) -> list[Progress]:
    """Checklists of ``kind``, one row per person (one query)."""
    stmt = _progress_columns()
    if employee_ids is not None:
        stmt = stmt.where(Employee.id.in_(employee_ids))
    return _progress(read_rows(stmt, {"kind": kind, "today": today()}), kind)


def open_progress(kind: str = ONBOARDING, limit: int | None = None) -> list[Progress]:
    """Checklists of ``kind`` not finished yet, by name (at most ``limit``; one query)."""
    params: dict[str, Any] = {"kind": kind, "today": today()}
    if limit is not None:
        params["page_limit"] = limit
    return _progress(read_rows(_open_progress_statement(limit is not None), params), kind)


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


# --- templates: HR's steps per position or department ---------------------------------------


def list_templates() -> list[ChecklistTemplate]:
    """Every template, onboarding first, the default before departments before positions."""
    return list(
        db.session.scalars(
            select(ChecklistTemplate).order_by(
                ChecklistTemplate.kind.desc(),
                ChecklistTemplate.position.is_not(None),
                ChecklistTemplate.department_id.is_not(None),
                ChecklistTemplate.position,
                ChecklistTemplate.id,
            )
        )
    )


def get_template_or_404(template_id: int) -> ChecklistTemplate:
    template = db.session.get(ChecklistTemplate, template_id)
    if template is None:
        raise NotFound(_("This checklist template does not exist."))
    return template


def default_steps(kind: str) -> list[dict[str, Any]]:
    """The built-in steps (titles in the reader's language): a new template starts from them."""
    return [{**step, "title": str(step["title"])} for step in DEFAULT_STEPS[kind]]


def _clean_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for step in steps:
        title = (step.get("title") or "").strip()
        if not title:
            continue  # an empty row of the form
        role = step.get("assignee") or "hr"
        if role not in ROLES and role != PERSON:
            raise ValidationError(_("Choose who is responsible."), field="steps")
        row: dict[str, Any] = {
            "title": title[:200],
            "days": int(step.get("days") or 0),
            "assignee": role,
        }
        if role == PERSON:
            person = db.session.get(User, int(step.get("user_id") or 0))
            if person is None or not person.active:
                raise ValidationError(_("Choose a person with an active account."), field="steps")
            row["user_id"] = person.id
        cleaned.append(row)
    if not cleaned:
        raise ValidationError(_("Add at least one step."), field="steps")
    if len(cleaned) > MAX_STEPS:
        raise ValidationError(_("A checklist has at most %(n)d steps.", n=MAX_STEPS), field="steps")
    return cleaned


def _target(template: ChecklistTemplate) -> tuple[str, int]:
    return ("ChecklistTemplate", template.id)


def save_template(
    template: ChecklistTemplate | None,
    *,
    actor: User,
    kind: str,
    department_id: int | None,
    position: str | None,
    steps: list[dict[str, Any]],
) -> ChecklistTemplate:
    """Create or change a template; one per kind and position, department or company default."""
    if kind not in KINDS:
        raise ValidationError(_("Choose onboarding or offboarding."), field="kind")
    position = (position or "").strip()[:160] or None
    if position and department_id:
        raise ValidationError(
            _("Choose a position or a department, not both."), field="department_id"
        )
    if department_id and db.session.get(Department, department_id) is None:
        raise ValidationError(_("Choose a department from the list."), field="department_id")
    cleaned = _clean_steps(steps)
    same = select(ChecklistTemplate.id).where(ChecklistTemplate.kind == kind)
    if position:
        same = same.where(func.lower(ChecklistTemplate.position) == position.lower())
    elif department_id:
        same = same.where(
            ChecklistTemplate.department_id == department_id, ChecklistTemplate.position.is_(None)
        )
    else:
        same = same.where(
            ChecklistTemplate.position.is_(None), ChecklistTemplate.department_id.is_(None)
        )
    if template is not None:
        same = same.where(ChecklistTemplate.id != template.id)
    if db.session.scalar(same.limit(1)) is not None:
        raise ValidationError(
            _("There is already a template of this kind for this position or department."),
            field="position" if position else "department_id",
        )
    new = {"kind": kind, "department_id": department_id, "position": position, "steps": cleaned}
    if template is None:
        template = ChecklistTemplate(**new)
        db.session.add(template)
        db.session.flush()
        audit.record(actor, "people.checklist_template_created", _target(template), new)
    else:
        changes = audit.diff(template, list(new), new)
        for name, value in new.items():
            setattr(template, name, value)
        db.session.flush()
        if changes:
            audit.record(actor, "people.checklist_template_changed", _target(template), changes)
    return template


__all__ = [
    "DEFAULT_STEPS",
    "OFFBOARDING",
    "ONBOARDING",
    "Progress",
    "complete_task",
    "create_checklist",
    "default_steps",
    "get_template_or_404",
    "list_templates",
    "save_template",
    "get_task_or_404",
    "my_open_tasks",
    "open_progress",
    "progress",
    "remind_overdue",
    "tasks_of",
]
