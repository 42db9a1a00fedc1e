"""Training: courses (internal or external, mandatory or not, valid for a period), sessions,
attendance, expiring mandatory training and "who still needs X"."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select, update

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.formatting import format_date
from portal.models import User
from portal.models.people import LEFT, Attendance, Course, Employee, TrainingSession
from portal.services import audit, notifications
from portal.services.people.common import today

REMIND_DAYS_BEFORE = 30


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def create_course(
    *,
    actor: User,
    title: str,
    mandatory: bool,
    external: bool,
    validity_months: int | None,
    description: str = "",
) -> Course:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Enter the course title."), field="title")
    if validity_months is not None and validity_months < 1:
        raise ValidationError(_("The validity is at least one month."), field="validity_months")
    course = Course(
        title=title[:160],
        mandatory=mandatory,
        external=external,
        validity_months=validity_months,
        description=(description or "").strip(),
    )
    db.session.add(course)
    db.session.flush()
    audit.record(actor, "people.course_created", course)
    return course


def list_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).order_by(Course.title)))


def get_course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist."))
    return course


def add_session(
    course: Course,
    *,
    actor: User,
    held_on: date | None,
    place: str,
    trainer: str,
    attendees: list[Employee],
) -> TrainingSession:
    if held_on is None:
        raise ValidationError(_("Enter the date of the session."), field="held_on")
    session = TrainingSession(
        course_id=course.id, held_on=held_on, place=place.strip(), trainer=trainer.strip()
    )
    db.session.add(session)
    db.session.flush()
    for employee in attendees:
        db.session.add(Attendance(session_id=session.id, employee_id=employee.id))
    db.session.flush()
    audit.record(actor, "people.session_created", course, {"attendees": len(attendees)})
    return session


def record_attendance(attendance: Attendance, *, actor: User, attended: bool) -> Attendance:
    """Present or absent; presence starts the validity period."""
    attendance.attended = attended
    session = attendance.session
    months = session.course.validity_months
    attendance.expires_on = add_months(session.held_on, months) if attended and months else None
    audit.record(actor, "people.attendance", attendance, {"attended": attended})
    return attendance


def _valid_now(course_id, employee_id, on: date):
    return exists().where(
        Attendance.employee_id == employee_id,
        Attendance.attended.is_(True),
        Attendance.session_id == TrainingSession.id,
        TrainingSession.course_id == course_id,
        or_(Attendance.expires_on.is_(None), Attendance.expires_on > on),
    )


def who_still_needs(course: Course, on: date | None = None) -> list[Employee]:
    """Active employees without a valid attendance of ``course``."""
    day = on or today()
    return list(
        db.session.scalars(
            select(Employee)
            .where(
                Employee.anonymised_at.is_(None),
                Employee.status != LEFT,
                ~_valid_now(course.id, Employee.id, day),
            )
            .order_by(Employee.name)
        )
    )


def record_of(employee: Employee) -> list[Attendance]:
    """An employee's training, newest first."""
    return list(
        db.session.scalars(
            select(Attendance)
            .join(TrainingSession, TrainingSession.id == Attendance.session_id)
            .where(Attendance.employee_id == employee.id)
            .order_by(TrainingSession.held_on.desc())
        )
    )


def remind_expiring(on: date | None = None) -> int:
    """Tell the employee (and HR through the list) ahead of a mandatory training's expiry."""
    day = on or today()
    horizon = day + timedelta(days=REMIND_DAYS_BEFORE)
    rows = db.session.execute(
        select(Attendance, Employee)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(Employee, Employee.id == Attendance.employee_id)
        .where(
            Course.mandatory.is_(True),
            Attendance.attended.is_(True),
            and_(Attendance.expires_on.is_not(None), Attendance.expires_on <= horizon),
            Attendance.reminded_on.is_(None),
            Employee.status != LEFT,
        )
        .limit(500)
    ).all()
    for attendance, employee in rows:
        db.session.execute(
            update(Attendance)
            .where(Attendance.id == attendance.id)
            .values(reminded_on=day)
            .execution_options(synchronize_session=False)
        )
        if employee.user is None:
            continue
        title, until = attendance.session.course.title, attendance.expires_on
        notifications.notify(
            employee.user,
            "people.training",
            attendance,
            text=lambda title=title, until=until: _(
                "Your training “%(course)s” expires on %(date)s; book a new session.",
                course=title,
                date=format_date(until),
            ),
        )
    return len(rows)


def sessions_of(course: Course) -> list[TrainingSession]:
    return list(
        db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.course_id == course.id)
            .order_by(TrainingSession.held_on.desc())
        )
    )


def attendees_of(session: TrainingSession) -> list[tuple[Attendance, Employee]]:
    return [
        (a, e)
        for a, e in db.session.execute(
            select(Attendance, Employee)
            .join(Employee, Employee.id == Attendance.employee_id)
            .where(Attendance.session_id == session.id)
            .order_by(Employee.name)
        )
    ]


def get_attendance_or_404(attendance_id: int) -> Attendance:
    row = db.session.get(Attendance, attendance_id)
    if row is None:
        raise NotFound(_("This attendance does not exist."))
    return row
