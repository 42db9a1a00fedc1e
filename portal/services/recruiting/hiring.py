"""Hiring: an application becomes an employee record (``portal.models.people.Employee``).

Everything recruiting knows is copied over (name, e-mail, phone, position, department); the
people area then offers HR to open the portal account (an e-mailed invitation).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from portal.errors import Conflict, InvalidTransition, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.people import Employee
from portal.models.recruiting import (
    HIRED,
    NEW,
    REJECTED,
    SCREENED,
    SHORTLISTED,
    WITHDRAWN,
    Application,
)
from portal.services import audit
from portal.services.people.records import refresh_search_key
from portal.services.recruiting.applications import STAGE_LABELS, record_event

# Stages before any interview: hiring from one of them asks for a confirmation.
EARLY_STAGES = (NEW, SCREENED, SHORTLISTED)


def hire(
    application: Application,
    *,
    actor: User,
    start_date: date,
    position: str | None = None,
    confirm_early: bool = False,
) -> Employee:
    """Mark hired and create the employee record linked to the application.

    Hiring before the interview stage (straight from "new", say) is a slip more often than a
    decision: it needs ``confirm_early``, which the form asks for by name.
    """
    if application.stage in (REJECTED, WITHDRAWN, HIRED):
        raise InvalidTransition(
            _("This application is closed (%(stage)s).", stage=STAGE_LABELS[application.stage])
        )
    if application.stage in EARLY_STAGES and not confirm_early:
        raise ValidationError(
            _(
                "%(name)s has not been interviewed yet (stage: %(stage)s). Tick the box to "
                "confirm you are hiring without an interview.",
                name=application.candidate.name,
                stage=STAGE_LABELS[application.stage],
            ),
            field="confirm_early",
        )
    candidate = application.candidate
    employee = Employee(
        application_id=application.id,
        name=candidate.name,
        email=candidate.email,
        phone=candidate.phone,
        position=(position or application.opening.title).strip(),
        department_id=application.opening.department_id,
        start_date=start_date,
    )
    employee.department = application.opening.department
    refresh_search_key(employee)
    db.session.add(employee)
    old = application.stage
    application.stage = HIRED
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("This candidate was already hired.")) from None
    record_event(application, "hired", actor.id, start=start_date.isoformat(), old=old)
    audit.record(actor, "recruiting.hired", application, {"employee": employee.id})
    return employee


def list_employees() -> Select:
    """The people hired, newest first (records anonymised under LGPD are left out)."""
    return (
        select(Employee)
        .where(Employee.anonymised_at.is_(None))
        .order_by(Employee.start_date.desc(), Employee.id.desc())
    )
