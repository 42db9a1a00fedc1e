"""LGPD: one export of everything held about a person, and anonymisation (the only erasure).

The export is a ZIP: ``data.json`` (employee record, full history, training, checklists,
warnings, exits, the recruiting application they came from, the access log of their record) and
``documents/`` (the files on the record).  Anonymisation overwrites every personal field with a
placeholder, deletes the documents, keeps the rows the statistics count (dates, positions,
levels), and cannot be undone.  Both are logged as a ``DataRequest`` and in the audit log.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from portal.errors import Conflict
from portal.extensions import db
from portal.models import AuditEntry, User
from portal.models.base import utcnow
from portal.models.people import (
    LEFT,
    Attendance,
    ChecklistTask,
    DataRequest,
    DisciplinaryWarning,
    Employee,
    EmployeeChange,
    EmployeeDocument,
    Termination,
)
from portal.models.recruiting import Application, ApplicationEvent, Candidate
from portal.services import audit
from portal.services.people.records import document_path
from portal.services.recruiting.retention import ANONYMOUS, anonymise_candidates


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, columns: list[str] | None = None) -> dict[str, Any]:
    names = columns or [c.key for c in obj.__table__.columns]
    return {name: _plain(getattr(obj, name)) for name in names}


def _all(model: Any, *where: Any) -> list[Any]:
    return list(db.session.scalars(select(model).where(*where).order_by(model.id)))


def collect(employee: Employee) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready data."""
    data: dict[str, Any] = {
        "employee": _row(employee),
        "department": employee.department.name if employee.department else None,
        "history": [
            _row(c) for c in _all(EmployeeChange, EmployeeChange.employee_id == employee.id)
        ],
        "documents": [
            _row(d, ["id", "original_name", "kind", "size", "sha256", "created_at"])
            for d in _all(EmployeeDocument, EmployeeDocument.employee_id == employee.id)
        ],
        "checklists": [
            _row(t) for t in _all(ChecklistTask, ChecklistTask.employee_id == employee.id)
        ],
        "training": [
            {
                **_row(a),
                "course": a.session.course.title,
                "held_on": _plain(a.session.held_on),
            }
            for a in _all(Attendance, Attendance.employee_id == employee.id)
        ],
        "warnings": [
            _row(w)
            for w in _all(DisciplinaryWarning, DisciplinaryWarning.employee_id == employee.id)
        ],
        "terminations": [
            _row(t) for t in _all(Termination, Termination.employee_id == employee.id)
        ],
        "account": None,
        "recruiting": None,
        "access_log": [
            _row(e, ["at", "actor_id", "action"])
            for e in _all(
                AuditEntry,
                AuditEntry.target_type == "Employee",
                AuditEntry.target_id == employee.id,
            )
        ],
    }
    if employee.user is not None:
        data["account"] = _row(
            employee.user,
            [
                "id",
                "email",
                "name",
                "locale",
                "job_title",
                "phone",
                "extension",
                "active",
                "created_at",
                "last_login_at",
            ],
        )
    if employee.application_id is not None:
        application = db.session.get(Application, employee.application_id)
        if application is not None:
            data["recruiting"] = {
                "candidate": _row(application.candidate),
                "application": _row(
                    application, ["id", "opening_id", "stage", "score", "created_at", "closed_at"]
                ),
                "opening": application.opening.title,
                "events": [
                    _row(e, ["kind", "details", "at"])
                    for e in _all(
                        ApplicationEvent, ApplicationEvent.application_id == application.id
                    )
                ],
            }
    return data


def export_subject(employee: Employee, *, actor: User) -> tuple[str, bytes]:
    """The data-subject export: (file name, ZIP bytes); the request is logged."""
    data = collect(employee)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for document in _all(EmployeeDocument, EmployeeDocument.employee_id == employee.id):
            path = document_path(document)
            if path.exists():
                archive.write(path, f"documents/{document.id}-{document.original_name}")
    counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
    db.session.add(
        DataRequest(
            employee_id=employee.id, action="export", requested_by_id=actor.id, summary=counts
        )
    )
    audit.record(actor, "people.data_exported", ("Employee", employee.id), counts)
    return f"lgpd-employee-{employee.id}.zip", buffer.getvalue()


def anonymise(employee: Employee, *, actor: User | None, now: datetime | None = None) -> Employee:
    """Overwrite the person's personal data everywhere we hold it; irreversible.

    Only after the exit: an active employee's record is still needed.  ``actor`` is None when
    the retention job does it (``portal.services.people.retention``).
    """
    if employee.anonymised_at is not None:
        raise Conflict(_("This record is already anonymised."))
    if employee.status != LEFT:
        raise Conflict(_("Only the record of someone who has left can be anonymised."))
    who = {employee.name, employee.preferred_name, employee.email, employee.phone, employee.cpf}
    for document in _all(EmployeeDocument, EmployeeDocument.employee_id == employee.id):
        document_path(document).unlink(missing_ok=True)
        db.session.delete(document)
    employee.name = ANONYMOUS
    for column in (
        "preferred_name",
        "cpf",
        "birth_date",
        "email",
        "phone",
        "emergency_contact",
        "address",
        "salary",
    ):
        setattr(employee, column, None)
    employee.search_key = ""
    employee.anonymised_at = now or utcnow()
    db.session.execute(
        update(EmployeeChange)
        .where(EmployeeChange.employee_id == employee.id)
        .values(old_value=None, new_value=None)
    )
    db.session.execute(
        update(DisciplinaryWarning)
        .where(DisciplinaryWarning.employee_id == employee.id)
        .values(facts=ANONYMOUS, statement=None, witness="", refusal_witness=None, policy="")
    )
    user = employee.user
    if user is not None:
        who |= {user.name, user.email, user.phone}
        user.name = ANONYMOUS
        user.email = f"anonymised-{user.id}@invalid"
        user.phone = None
        user.extension = None
        user.job_title = None
        user.active = False
        user.revoke_sessions()
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.target_type == "User", AuditEntry.target_id == user.id)
            .values(target_label=ANONYMOUS, changes=None)
        )
    if employee.application_id is not None:
        application = db.session.get(Application, employee.application_id)
        if application is not None:
            candidate: Candidate = application.candidate
            who |= {candidate.name, candidate.email, candidate.phone}
            if candidate.anonymised_at is None:
                db.session.flush()
                anonymise_candidates([candidate.id], now=employee.anonymised_at)
                db.session.expire(candidate)
                db.session.expire(application)
    db.session.execute(
        update(AuditEntry)
        .where(
            AuditEntry.target_type.in_(("Employee", "DisciplinaryWarning", "ChecklistTask")),
            or_(
                AuditEntry.target_id == employee.id,
                AuditEntry.target_label.in_([w for w in who if w]),
            ),
        )
        .values(target_label=ANONYMOUS)
    )
    db.session.add(
        DataRequest(
            employee_id=employee.id,
            action="anonymise",
            requested_by_id=actor.id if actor is not None else None,
            summary={"fields": "all personal", "by": "request" if actor else "retention"},
        )
    )
    audit.record(actor, "people.anonymised", ("Employee", employee.id))
    return employee


def requests_log(limit: int = 50) -> list[DataRequest]:
    return list(
        db.session.scalars(select(DataRequest).order_by(DataRequest.id.desc()).limit(limit))
    )
