"""People report: headcount, hires and exits per month; mandatory training compliance.

HR figures, shown only with ``reports.people`` (HR managers).  Headcount, hires and exits come
from the employees' first and last days (dates, no time zone involved), all months in one query
of conditional sums; compliance is one grouped query over the mandatory courses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from portal.extensions import db
from portal.models.people import LEFT, Attendance, Course, Employee, TrainingSession
from portal.models.users import Department
from portal.services.reports import labels
from portal.services.reports.base import (
    INT,
    PERCENT,
    Chart,
    Column,
    Figure,
    Filter,
    Report,
    Section,
    Table,
    ratio,
)
from portal.services.reports.periods import Period, add_months, local_today

TITLE = _l("People")


def _months(period: Period) -> list[tuple[str, date, date]]:
    """(YYYY-MM, first day, last day within the period) of each month."""
    out = []
    for key in period.month_keys():
        year, month = (int(x) for x in key.split("-"))
        first = max(date(year, month, 1), period.start)
        last = min(add_months(date(year, month, 1), 1) - timedelta(days=1), period.last_day)
        out.append((key, first, last))
    return out


def _department(department: int | None) -> list[Any]:
    return [Employee.department_id == department] if department else []


def monthly(period: Period, department: int | None) -> list[tuple[str, int, int, int]]:
    """(YYYY-MM, headcount on the month's last day, hires, exits) for each month."""
    months = _months(period)
    columns = []
    for _key, first, last in months:
        employed = and_(
            Employee.start_date <= last,
            or_(Employee.last_day.is_(None), Employee.last_day >= last),
        )
        hired = and_(Employee.start_date >= first, Employee.start_date <= last)
        left = and_(Employee.last_day >= first, Employee.last_day <= last)
        columns += [
            func.sum(case((employed, 1), else_=0)),
            func.sum(case((hired, 1), else_=0)),
            func.sum(case((left, 1), else_=0)),
        ]
    row = db.session.execute(select(*columns).where(*_department(department))).one()
    return [
        (key, int(row[3 * i] or 0), int(row[3 * i + 1] or 0), int(row[3 * i + 2] or 0))
        for i, (key, _f, _l2) in enumerate(months)
    ]


def training_compliance(on: date, department: int | None) -> tuple[int, list[tuple[str, int]]]:
    """Employees in post on ``on``, and per mandatory course how many hold a valid training."""
    in_post = and_(
        Employee.start_date <= on,
        or_(Employee.last_day.is_(None), Employee.last_day >= on),
        Employee.status != LEFT,
        *_department(department),
    )
    staff = db.session.scalar(select(func.count(Employee.id)).where(in_post)) or 0
    valid = (
        select(
            TrainingSession.course_id.label("course_id"),
            func.count(func.distinct(Attendance.employee_id)).label("holders"),
        )
        .join(Attendance, Attendance.session_id == TrainingSession.id)
        .join(Employee, Employee.id == Attendance.employee_id)
        .where(
            Attendance.attended.is_(True),
            TrainingSession.held_on <= on,
            or_(Attendance.expires_on.is_(None), Attendance.expires_on >= on),
            in_post,
        )
        .group_by(TrainingSession.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Course.title, func.coalesce(valid.c.holders, 0))
        .outerjoin(valid, valid.c.course_id == Course.id)
        .where(Course.mandatory.is_(True))
        .order_by(Course.title)
    )
    return staff, [(title, int(n)) for title, n in rows]


def department_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Department.id, Department.name).order_by(Department.name))
    return [(str(i), name) for i, name in rows]


# --- the report --------------------------------------------------------------------------------


def build(
    period: Period,
    previous: Period | None,
    *,
    department: int | None = None,
    only: str | None = None,
) -> Report:
    """The report, or only its section ``only`` (a chart, an export, a dashboard card)."""
    on = min(period.last_day, local_today())
    makers: dict[str, Callable[[], Section]] = {
        "headcount": lambda: _headcount_section(
            monthly(period, department), monthly(previous, department) if previous else None
        ),
        "training": lambda: _training_section(on, *training_compliance(on, department)),
    }
    sections = [make() for key, make in makers.items() if only in (None, key)]
    filters = []
    if not only:
        filters = [
            Filter(
                "department",
                _l("Department"),
                department_choices(),
                str(department or ""),
                _l("All departments"),
            )
        ]
    return Report("people", TITLE, period, previous, sections, filters)


def _headcount_section(rows, before) -> Section:
    table_rows = [[labels.month(key), n, hires, exits] for key, n, hires, exits in rows]
    any_data = any(n or h or e for _k, n, h, e in rows)
    return Section(
        "headcount",
        _l("Headcount, hires and exits"),
        _(
            "People employed on the last day of each month, people who started and people "
            "whose last day fell in the month."
        ),
        Table(
            [
                Column(_l("Month")),
                Column(_l("Headcount"), INT),
                Column(_l("Hires"), INT),
                Column(_l("Exits"), INT),
            ],
            table_rows if any_data else [],
        ),
        Chart(
            "bar",
            [r[0] for r in table_rows],
            [(_("Hires"), [r[2] for r in table_rows]), (_("Exits"), [r[3] for r in table_rows])],
        )
        if any_data
        else None,
        [
            Figure(
                _l("Headcount"),
                rows[-1][1] if rows else 0,
                INT,
                None if not before else before[-1][1],
            ),
            Figure(
                _l("Hires"),
                sum(r[2] for r in rows),
                INT,
                None if before is None else sum(r[2] for r in before),
            ),
            Figure(
                _l("Exits"),
                sum(r[3] for r in rows),
                INT,
                None if before is None else sum(r[3] for r in before),
            ),
        ],
    )


def _training_section(on: date, staff: int, courses: list[tuple[str, int]]) -> Section:
    table_rows = [[title, n, staff - n, ratio(n, staff)] for title, n in courses] if staff else []
    held = sum(n for _t, n in courses)
    needed = staff * len(courses)
    return Section(
        "training",
        _l("Mandatory training compliance"),
        _(
            "Per mandatory course, the people in post on the last day of the period (or today) "
            "who hold a valid training, and those who do not."
        ),
        Table(
            [
                Column(_l("Course")),
                Column(_l("Trained"), INT),
                Column(_l("Missing"), INT),
                Column(_l("Compliance"), PERCENT),
            ],
            table_rows,
        ),
        Chart(
            "hbar",
            [r[0] for r in table_rows],
            [(_("Compliance"), [r[3] for r in table_rows])],
            PERCENT,
        )
        if table_rows
        else None,
        [Figure(_l("Compliance"), ratio(held, needed), PERCENT)],
    )
