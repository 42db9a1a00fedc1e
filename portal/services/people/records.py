"""Employee records: create and edit with a history of changes, documents, portal accounts."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, Select, String, bindparam, func, select

from portal.errors import Conflict, NotFound, ValidationError
from portal.extensions import db
from portal.models import Department, User
from portal.models.base import utcnow
from portal.models.people import (
    CONTRACT_TYPES,
    HR_ONLY_FIELDS,
    AccountInvitation,
    Employee,
    EmployeeChange,
    EmployeeDocument,
)
from portal.pagination import RowPage, page_arg, paged, row_page
from portal.services import audit, filecheck, outbox, users
from portal.services.people import cpf as cpf_rules
from portal.services.people.common import fold, today
from portal.services.people.directory import MAX_WORDS, like_pattern

INVITATION_DAYS = 7
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

# Form field -> column, for the personal and job data HR edits.
EDITABLE = (
    "name",
    "preferred_name",
    "cpf",
    "birth_date",
    "email",
    "phone",
    "emergency_contact",
    "address",
    "position",
    "department_id",
    "manager_id",
    "contract_type",
    "working_hours",
    "salary",
    "start_date",
)
# What the history keeps (the column, and the name shown in the history).
HISTORY = {
    "position": "position",
    "department_id": "department",
    "manager_id": "manager",
    "salary": "salary",
    "contract_type": "contract_type",
    "working_hours": "working_hours",
}


# Personal data the audit log (read by admins) records only as "changed".
PRIVATE_IN_AUDIT = frozenset(
    {"cpf", "birth_date", "address", "email", "phone", "emergency_contact"}
)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def refresh_search_key(employee: Employee) -> None:
    department = employee.department.name if employee.department else ""
    employee.search_key = fold(
        employee.name, employee.preferred_name, employee.position, department
    )[:600]


def _shown(field: str, value: Any) -> str | None:
    """How a history line prints a value (ids become names)."""
    if value is None or value == "":
        return None
    if field == "department_id":
        from portal.models import Department

        department = db.session.get(Department, value)
        return department.name if department else str(value)
    if field == "manager_id":
        user = db.session.get(User, value)
        return user.name if user else str(value)
    if field == "contract_type":
        return str(CONTRACT_TYPES.get(value, value))
    return str(value)[:300]


def _validate(data: dict[str, Any], employee: Employee | None) -> dict[str, Any]:
    clean = dict(data)
    clean["name"] = (clean.get("name") or "").strip()
    if not clean["name"]:
        raise ValidationError(_("Enter the person's name."), field="name")
    clean["position"] = (clean.get("position") or "").strip()
    if not clean["position"]:
        raise ValidationError(_("Enter the position."), field="position")
    for key in ("preferred_name", "email", "phone", "emergency_contact", "address"):
        value = (clean.get(key) or "").strip()
        clean[key] = value or None
    clean["working_hours"] = (clean.get("working_hours") or "").strip()
    raw_cpf = (clean.get("cpf") or "").strip()
    if raw_cpf:
        if not cpf_rules.is_valid(raw_cpf):
            raise ValidationError(
                _("This CPF is not valid (its check digits do not match)."), field="cpf"
            )
        number = cpf_rules.digits(raw_cpf)
        other = db.session.scalar(
            select(Employee.id).where(
                Employee.cpf == number, Employee.id != (employee.id if employee else -1)
            )
        )
        if other is not None:
            raise ValidationError(_("Another employee record has this CPF."), field="cpf")
        clean["cpf"] = number
    else:
        clean["cpf"] = None
    if clean.get("contract_type") not in CONTRACT_TYPES:
        raise ValidationError(_("Choose a contract type."), field="contract_type")
    start = clean.get("start_date")
    if not isinstance(start, date):
        raise ValidationError(_("Enter the start date."), field="start_date")
    birth = clean.get("birth_date")
    if birth is not None and birth >= start:
        raise ValidationError(
            _("The birth date must be before the start date."), field="birth_date"
        )
    salary = clean.get("salary")
    if salary is not None and Decimal(salary) < 0:
        raise ValidationError(_("The salary cannot be negative."), field="salary")
    return clean


def save_employee(
    employee: Employee | None,
    *,
    actor: User,
    data: dict[str, Any],
    effective_on: date | None = None,
) -> Employee:
    """Create or change an employee record; tracked changes go to the history.

    Salary values never reach the audit log (admins read it): only that it changed.
    """
    clean = _validate(data, employee)
    when = effective_on or today()
    creating = employee is None
    if employee is None:
        employee = Employee()
        db.session.add(employee)
    changes: dict[str, Any] = {}
    for key in EDITABLE:
        if key not in clean:
            continue
        old = getattr(employee, key)
        new = clean[key]
        if old == new:
            continue
        if key in HISTORY and not creating:
            db.session.add(
                EmployeeChange(
                    employee_id=employee.id,
                    field=HISTORY[key],
                    old_value=_shown(key, old),
                    new_value=_shown(key, new),
                    effective_on=when,
                    actor_id=actor.id,
                )
            )
        private = HISTORY.get(key) in HR_ONLY_FIELDS or key in PRIVATE_IN_AUDIT
        changes[key] = "changed" if private else [_plain(old), _plain(new)]
        setattr(employee, key, new)
    db.session.flush()
    db.session.refresh(employee, ["department"])
    refresh_search_key(employee)
    audit.record(actor, "people.created" if creating else "people.updated", employee, changes)
    return employee


def history(employee: Employee, *, with_hr_only: bool) -> list[EmployeeChange]:
    """The employee's changes, newest first; salary lines only for ``with_hr_only``."""
    stmt = (
        select(EmployeeChange)
        .where(EmployeeChange.employee_id == employee.id)
        .order_by(EmployeeChange.at.desc(), EmployeeChange.id.desc())
    )
    if not with_hr_only:
        stmt = stmt.where(EmployeeChange.field.notin_(HR_ONLY_FIELDS))
    return list(db.session.scalars(stmt))


@lru_cache(maxsize=2 * (MAX_WORDS + 1))
def _list_statements(words: int, by_status: bool) -> tuple[Select, Select]:
    """HR's list page and count for ``words`` search words (and a status or not), built once
    with bound parameters so each request only binds values."""
    conditions: list[Any] = [
        Employee.anonymised_at.is_(None),
        *(
            Employee.search_key.like(bindparam(f"word{n}", type_=String), escape="\\")
            for n in range(words)
        ),
    ]
    if by_status:
        conditions.append(Employee.status == bindparam("status", type_=String))
    rows = paged(
        select(
            Employee.id,
            Employee.name,
            Employee.preferred_name,
            Employee.position,
            Department.name.label("department"),
            Employee.start_date,
            Employee.status,
        )
        .outerjoin(Department, Department.id == Employee.department_id)
        .where(*conditions)
        .order_by(Employee.name, Employee.id)
    )
    return rows, select(func.count(Employee.id)).where(*conditions)


# The total is already known (``counts_by_status``): the page binds it instead of counting.
_KNOWN_TOTAL = select(bindparam("known_total", type_=Integer))


def list_employees(
    *,
    q: str = "",
    status: str = "",
    per_page: int | None = None,
    counts: dict[str, int] | None = None,
) -> RowPage:
    """HR's list: a page of every record not anonymised, by name; ``q`` accent-insensitive.

    Plain rows (id, name, preferred_name, position, department, start_date, status) and one
    count: two queries whatever the number of records, the page read in name order from
    ``ix_people_employee_name``.  Without a search, ``counts`` (``counts_by_status``, read
    for the status filter anyway) gives the total, so no second scan counts the same rows.
    """
    words = fold(q).split()[:MAX_WORDS]
    stmt, count = _list_statements(len(words), bool(status))
    params: dict[str, Any] = {f"word{n}": like_pattern(w) for n, w in enumerate(words)}
    if status:
        params["status"] = status
    if counts is not None and not words:
        count = _KNOWN_TOTAL
        params["known_total"] = counts.get(status, 0) if status else sum(counts.values())
    return row_page(
        stmt,
        count,
        page=page_arg(),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        params=params,
    )


def record_view(employee: Employee, *, actor: User) -> None:
    """The access log: who opened which employee record (LGPD)."""
    audit.record(actor, "people.record_viewed", employee)


# --- documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredDocument:
    name: str
    kind: str
    data: bytes


def _document_name(raw: str | None) -> str:
    name = unicodedata.normalize("NFC", raw or "").strip()
    if (
        not name
        or len(name) > 160
        or any(unicodedata.category(c) in {"Cc", "Cf"} for c in name)
        or "/" in name
        or "\\" in name
        or name.startswith(".")
    ):
        raise ValidationError(_("The file name is not acceptable."), field="file")
    return name


def document_dir() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "people"
    path.mkdir(parents=True, exist_ok=True)
    return path


def document_path(document: EmployeeDocument) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}\.(pdf|docx)", document.stored_name):
        raise NotFound(_("This document does not exist."))
    return document_dir() / document.stored_name


def add_document(
    employee: Employee, *, actor: User, filename: str | None, data: bytes
) -> EmployeeDocument:
    """Inspect (like a CV: PDF or DOCX, no active content) and store a document."""
    name = _document_name(filename)
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind not in DOCUMENT_TYPES:
        raise ValidationError(_("Only PDF and DOCX documents are accepted."), field="file")
    if not data:
        raise ValidationError(_("The file is empty."), field="file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), field="file")
    try:
        filecheck.inspect(kind, data)
    except filecheck.Unsafe as unsafe:
        raise ValidationError(filecheck.reason(unsafe.code), field="file") from None
    stored = f"{uuid.uuid4().hex}.{kind}"
    document = EmployeeDocument(
        employee_id=employee.id,
        stored_name=stored,
        original_name=name,
        kind=kind,
        content_type=DOCUMENT_TYPES[kind],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
    )
    target = document_dir() / stored
    with open(target, "xb") as fh:
        fh.write(data)
    os.chmod(target, 0o600)
    db.session.add(document)
    db.session.flush()
    audit.record(actor, "people.document_added", employee, {"document": name})
    return document


def documents_of(employee: Employee) -> list[EmployeeDocument]:
    return list(
        db.session.scalars(
            select(EmployeeDocument)
            .where(EmployeeDocument.employee_id == employee.id)
            .order_by(EmployeeDocument.created_at.desc())
        )
    )


def get_document_or_404(employee: Employee, document_id: int) -> EmployeeDocument:
    document = db.session.get(EmployeeDocument, document_id)
    if document is None or document.employee_id != employee.id:
        raise NotFound(_("This document does not exist."))
    return document


# --- the portal account and its invitation ------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_account(
    employee: Employee, *, actor: User, email: str, roles: tuple[str, ...] = ("staff",)
) -> User:
    """Open the employee's portal account and e-mail an invitation to set a password.

    The account starts with an unusable random password; the invitation (outbox, same
    transaction) carries a one-time link valid for ``INVITATION_DAYS``.
    """
    if employee.user_id is not None:
        raise Conflict(_("This employee already has a portal account."))
    address = users.normalise_email(email)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        raise ValidationError(_("Enter a valid e-mail address."), field="email")
    user = users.create_user(
        actor=actor,
        email=address,
        name=employee.name,
        roles=roles,
        password=secrets.token_urlsafe(32),
        must_change_password=False,
        department=employee.department,
        job_title=employee.position,
        check_strength=False,
    )
    employee.user_id = user.id
    token = secrets.token_urlsafe(32)
    invitation = AccountInvitation(
        user_id=user.id,
        token_hash=_token_hash(token),
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
        created_by_id=actor.id,
    )
    db.session.add(invitation)
    db.session.flush()
    outbox.queue_email(
        address,
        "people/invitation",
        {
            "name": employee.display_name,
            "token": token,
            "days": INVITATION_DAYS,
        },
        dedupe_key=f"people-invitation:{invitation.id}",
        kind="invitation",
        target=user,
    )
    audit.record(actor, "people.account_created", employee, {"user": user.id})
    return user


def invitation_for(token: str) -> AccountInvitation:
    """The live invitation behind ``token`` (unknown, used or expired: NotFound)."""
    invitation = db.session.scalar(
        select(AccountInvitation).where(AccountInvitation.token_hash == _token_hash(token or ""))
    )
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.expires_at <= utcnow()
        or not invitation.user.active
    ):
        raise NotFound(_("This link is no longer valid. Ask HR for a new invitation."))
    return invitation


def accept_invitation(token: str, *, password: str) -> User:
    """Set the first password through the invitation link; the link works once."""
    invitation = invitation_for(token)
    user = invitation.user
    users.check_password_strength(password, email=user.email, name=user.name)
    user.set_password(password)
    user.must_change_password = False
    user.revoke_sessions()
    invitation.used_at = utcnow()
    audit.record(user, "people.invitation_accepted", user)
    return user


def counts_by_status() -> dict[str, int]:
    rows = db.session.execute(
        select(Employee.status, func.count(Employee.id))
        .where(Employee.anonymised_at.is_(None))
        .group_by(Employee.status)
    ).all()
    return {status: n for status, n in rows}
