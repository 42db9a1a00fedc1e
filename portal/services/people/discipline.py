"""Progressive discipline: warnings the employee reads and acknowledges in the portal.

Who sees a warning: HR (``hr.employees.manage``), the employee concerned, and their manager when
``PEOPLE_MANAGER_SEES_DISCIPLINE`` is on.  Every step is in the audit log: issued, opened by
the employee, acknowledged (or acknowledged with a disagreement and their statement), refusal
witnessed.  A warning lapses ``PEOPLE_WARNING_LAPSE_DAYS`` after the facts (default 365).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.people import (
    ACKNOWLEDGED,
    DISPUTED,
    PENDING,
    REFUSED,
    WARNING_LEVELS,
    DisciplinaryWarning,
    Employee,
)
from portal.services import audit, notifications
from portal.services.people.common import today

DEFAULT_LAPSE_DAYS = 365


def lapse_days() -> int:
    return int(current_app.config.get("PEOPLE_WARNING_LAPSE_DAYS", DEFAULT_LAPSE_DAYS))


def is_hr(user: User) -> bool:
    """HR reads and manages discipline: both permissions (a lone action grant reads nothing)."""
    return user.can("hr.employees.view") and user.can("hr.employees.manage")


def may_see(warning: DisciplinaryWarning, user: User) -> bool:
    if is_hr(user):
        return True
    employee = warning.employee
    if employee.user_id is not None and employee.user_id == user.id:
        return True
    return bool(
        current_app.config.get("PEOPLE_MANAGER_SEES_DISCIPLINE")
        and employee.manager_id is not None
        and employee.manager_id == user.id
    )


def get_warning_or_404(warning_id: int, *, user: User) -> DisciplinaryWarning:
    """The warning, if ``user`` may see it; otherwise the same 404 as a missing one."""
    warning = db.session.get(DisciplinaryWarning, warning_id)
    if warning is None or warning.employee.anonymised_at is not None or not may_see(warning, user):
        raise NotFound(_("This warning does not exist."))
    return warning


def issue_warning(
    employee: Employee,
    *,
    actor: User,
    level: str,
    facts: str,
    occurred_on: date | None,
    policy: str = "",
    witness: str = "",
    suspension_days: int | None = None,
) -> DisciplinaryWarning:
    """Record a warning and tell the employee (in the portal and by e-mail)."""
    if level not in WARNING_LEVELS:
        raise ValidationError(_("Choose the kind of warning."), field="level")
    facts = (facts or "").strip()
    if len(facts) < 10:
        raise ValidationError(_("Describe the facts (at least 10 characters)."), field="facts")
    if occurred_on is None:
        raise ValidationError(_("Enter the date of the facts."), field="occurred_on")
    if occurred_on > today():
        raise ValidationError(_("The facts cannot be in the future."), field="occurred_on")
    if level == "suspension":
        if not suspension_days or suspension_days < 1:
            raise ValidationError(
                _("A suspension needs its number of days."), field="suspension_days"
            )
        if suspension_days > 30:  # CLT art. 474: more than 30 days is a dismissal
            raise ValidationError(_("A suspension cannot exceed 30 days."), field="suspension_days")
    else:
        suspension_days = None
    warning = DisciplinaryWarning(
        employee_id=employee.id,
        level=level,
        suspension_days=suspension_days,
        facts=facts,
        occurred_on=occurred_on,
        policy=(policy or "").strip()[:200],
        witness=(witness or "").strip()[:160],
        lapses_on=occurred_on + timedelta(days=lapse_days()),
        issued_by_id=actor.id,
    )
    db.session.add(warning)
    db.session.flush()
    audit.record(actor, "people.warning_issued", warning, {"level": level})
    if employee.user is not None:
        label = WARNING_LEVELS[level]
        notifications.notify(
            employee.user,
            "people.warning",
            warning,
            text=lambda: _(
                "You have received a %(kind)s. Please read and acknowledge it.",
                kind=str(label).lower(),
            ),
            url=url_for("people.warning", warning_id=warning.id),
        )
    return warning


def record_opened(warning: DisciplinaryWarning, *, user: User) -> None:
    """The audit trail notes each time the employee opens their warning."""
    if warning.employee.user_id == user.id:
        audit.record(user, "people.warning_opened", warning)


def acknowledge(
    warning: DisciplinaryWarning, *, actor: User, agree: bool, statement: str = ""
) -> DisciplinaryWarning:
    """The employee acknowledges; disagreeing needs their statement."""
    if warning.employee.user_id is None or warning.employee.user_id != actor.id:
        raise NotAllowed(_("Only the employee concerned can acknowledge this warning."))
    if warning.status != PENDING:
        raise InvalidTransition(_("This warning has already been answered."))
    statement = (statement or "").strip()
    if not agree and len(statement) < 5:
        raise ValidationError(
            _("Write your statement to record your disagreement."), field="statement"
        )
    warning.status = ACKNOWLEDGED if agree else DISPUTED
    warning.statement = statement or None
    warning.acknowledged_at = utcnow()
    audit.record(
        actor,
        "people.warning_acknowledged",
        warning,
        {"status": warning.status, "statement": bool(statement)},
    )
    return warning


def record_refusal(
    warning: DisciplinaryWarning, *, actor: User, witness: str
) -> DisciplinaryWarning:
    """HR records that the employee refused to acknowledge, with a witness."""
    if not is_hr(actor):
        raise NotAllowed(_("Only HR can record a refusal."))
    if warning.status != PENDING:
        raise InvalidTransition(_("This warning has already been answered."))
    witness = (witness or "").strip()
    if len(witness) < 3:
        raise ValidationError(_("Name the witness of the refusal."), field="witness")
    warning.status = REFUSED
    warning.refusal_witness = witness[:160]
    warning.acknowledged_at = utcnow()
    audit.record(actor, "people.warning_refused", warning, {"witness": witness[:160]})
    return warning


def warnings_of(employee: Employee) -> list[DisciplinaryWarning]:
    """The escalation ladder: every warning of the person, oldest first."""
    return list(
        db.session.scalars(
            select(DisciplinaryWarning)
            .where(DisciplinaryWarning.employee_id == employee.id)
            .order_by(DisciplinaryWarning.occurred_on, DisciplinaryWarning.id)
        )
    )


def is_lapsed(warning: DisciplinaryWarning, on: date | None = None) -> bool:
    return warning.lapses_on is not None and warning.lapses_on <= (on or today())


LADDER_HINT = _l("Warnings older than the lapse period no longer count towards the next step.")
