"""People: employee records and their history, documents, account invitations, onboarding and
offboarding checklists, training, discipline, terminations and data-subject requests.

``Employee`` lived in ``portal.models.recruiting`` (table ``recruiting_employee``) while hiring was
the only thing that made one; migration 0012 moved the rows here (``people_employee``).

Invariants the database enforces:
- one employee record per portal account and per application, a CPF at most once;
- a suspension has days (CHECK); a termination's last day is not before its notice (CHECK);
- nothing is deleted by a user: records are anonymised (``anonymised_at``), never removed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime
from portal.models.users import Department, User

if TYPE_CHECKING:
    from portal.models.recruiting import Application

CONTRACT_TYPES = {
    "clt": _l("CLT"),
    "estagio": _l("Internship (estágio)"),
    "pj": _l("Contractor (PJ)"),
    "temporario": _l("Temporary"),
}

# Employee status
ACTIVE, LEAVING, LEFT = "active", "leaving", "left"
EMPLOYEE_STATUSES = {ACTIVE: _l("Active"), LEAVING: _l("Leaving"), LEFT: _l("Left")}

# Fields whose changes are kept in the history; salary is HR-only wherever it is shown.
TRACKED_FIELDS = ("position", "department", "manager", "salary", "contract_type", "working_hours")
HR_ONLY_FIELDS = frozenset({"salary"})

# Checklists
ONBOARDING, OFFBOARDING = "onboarding", "offboarding"

# Discipline, mildest first (the escalation ladder)
WARNING_LEVELS = {
    "verbal": _l("Verbal warning"),
    "written": _l("Written warning"),
    "final": _l("Final warning"),
    "suspension": _l("Suspension"),
}
PENDING, ACKNOWLEDGED, DISPUTED, REFUSED = "pending", "acknowledged", "disputed", "refused"
WARNING_STATUSES = {
    PENDING: _l("Waiting for acknowledgement"),
    ACKNOWLEDGED: _l("Acknowledged"),
    DISPUTED: _l("Acknowledged with disagreement"),
    REFUSED: _l("Refused (witnessed)"),
}

TERMINATION_REASONS = {
    "resignation": _l("Resignation"),
    "dismissal_without_cause": _l("Dismissal without cause"),
    "dismissal_with_cause": _l("Dismissal with cause"),
    "end_of_contract": _l("End of contract"),
    "retirement": _l("Retirement"),
}


class Employee(db.Model):
    """A person who works here: personal and job data, HR-only except the directory's fields."""

    __tablename__ = "people_employee"
    __table_args__ = (
        Index("ix_people_employee_status_name", "status", "name"),
        Index("ix_people_employee_start", "start_date", "id"),
        # The directory and HR's list walk this in order (no sort of every record per page).
        Index("ix_people_employee_name", "name", "id"),
        # Counts by status read the index alone.
        Index("ix_people_employee_status_anonymised", "status", "anonymised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("recruiting_application.id", ondelete="SET NULL"), unique=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(String(160))
    preferred_name: Mapped[str | None] = mapped_column(String(80))
    cpf: Mapped[str | None] = mapped_column(String(11), unique=True)  # 11 digits
    birth_date: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))  # personal: HR-only
    phone: Mapped[str | None] = mapped_column(String(32))  # personal: HR-only
    emergency_contact: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    position: Mapped[str] = mapped_column(String(160))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    contract_type: Mapped[str] = mapped_column(String(16), default="clt")
    working_hours: Mapped[str] = mapped_column(String(120), default="")
    salary: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # HR-only
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    last_day: Mapped[date | None] = mapped_column(Date)
    # name, preferred name, position and department folded (lower case, no accents): the
    # directory's accent-insensitive search reads this one column.
    search_key: Mapped[str] = mapped_column(String(600), default="")
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")
    application: Mapped[Application | None] = relationship("Application")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])

    def __str__(self) -> str:
        return self.preferred_name or self.name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.name


class EmployeeChange(db.Model):
    """One line of an employee's history (position, department, manager, salary...)."""

    __tablename__ = "people_employee_change"
    __table_args__ = (Index("ix_people_employee_change_employee", "employee_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("people_employee.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(300))
    new_value: Mapped[str | None] = mapped_column(String(300))
    effective_on: Mapped[date] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class EmployeeDocument(db.Model):
    """A file on an employee's record, inspected like a CV before it is stored."""

    __tablename__ = "people_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("people_employee.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # server-chosen
    original_name: Mapped[str] = mapped_column(String(160))  # sanitised, display only
    kind: Mapped[str] = mapped_column(String(8))  # pdf | docx
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AccountInvitation(db.Model):
    """A link to set one's first password: only the SHA-256 of the random token is stored."""

    __tablename__ = "people_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ChecklistTemplate(db.Model):
    """The steps of an onboarding or offboarding checklist for a position or a department.

    ``steps``: ``[{"title": str, "days": int, "assignee": "hr"|"manager"|"employee"}]``; the
    most specific template wins (position, then department, then the default one).
    """

    __tablename__ = "people_checklist_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    position: Mapped[str | None] = mapped_column(String(160))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ChecklistTask(db.Model):
    """One step of a person's onboarding or offboarding, assigned to someone, due on a day."""

    __tablename__ = "people_task"
    __table_args__ = (
        Index("ix_people_task_employee", "employee_id", "kind", "position"),
        Index("ix_people_task_open_due", "done_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("people_employee.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reminded_on: Mapped[date | None] = mapped_column(Date)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")


class Course(db.Model):
    __tablename__ = "people_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    external: Mapped[bool] = mapped_column(default=False)
    mandatory: Mapped[bool] = mapped_column(default=False)
    validity_months: Mapped[int | None]  # None: never expires
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __str__(self) -> str:
        return self.title


class TrainingSession(db.Model):
    __tablename__ = "people_training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("people_course.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(160), default="")
    trainer: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")


class Attendance(db.Model):
    """One employee on one session: attended or not, and until when the training is valid."""

    __tablename__ = "people_attendance"
    __table_args__ = (UniqueConstraint("session_id", "employee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("people_training_session.id", ondelete="CASCADE")
    )
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("people_employee.id", ondelete="CASCADE"), index=True
    )
    attended: Mapped[bool | None]  # None: not recorded yet
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    reminded_on: Mapped[date | None] = mapped_column(Date)

    session: Mapped[TrainingSession] = relationship(lazy="joined")


class DisciplinaryWarning(db.Model):
    """A disciplinary action the employee reads and acknowledges in the portal."""

    __tablename__ = "people_warning"
    __table_args__ = (
        CheckConstraint(
            "level != 'suspension' OR (suspension_days IS NOT NULL AND suspension_days > 0)",
            name="suspension_has_days",
        ),
        Index("ix_people_warning_employee", "employee_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("people_employee.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(16))
    suspension_days: Mapped[int | None]
    facts: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    policy: Mapped[str] = mapped_column(String(200), default="")
    witness: Mapped[str] = mapped_column(String(160), default="")
    lapses_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    statement: Mapped[str | None] = mapped_column(Text)  # the employee's own words
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refusal_witness: Mapped[str | None] = mapped_column(String(160))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    employee: Mapped[Employee] = relationship(lazy="joined")
    issued_by: Mapped[User | None] = relationship(lazy="joined")


class Termination(db.Model):
    """An exit: why, the notice, the last working day, who takes over the person's work."""

    __tablename__ = "people_termination"
    __table_args__ = (
        CheckConstraint("last_day >= notice_on", name="last_day_after_notice"),
        Index("ix_people_termination_due", "account_closed_at", "last_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("people_employee.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    notice_on: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    handover_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    account_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the open work was last handed to ``handover_to`` (HR's confirm or the account's
    # closing) and how many items each area moved in all: {"frontdesk": 3, "supplies": 1}.
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handover_counts: Mapped[dict[str, int] | None] = mapped_column(JSON)

    employee: Mapped[Employee] = relationship(lazy="joined")
    handover_to: Mapped[User | None] = relationship(foreign_keys=[handover_to_id])


class DataRequest(db.Model):
    """A data-subject request (LGPD art. 18) and how it was answered."""

    __tablename__ = "people_data_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("people_employee.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))  # export | anonymise
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts, never data
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
