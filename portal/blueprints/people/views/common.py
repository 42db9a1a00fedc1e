"""Choices and small helpers the people views share."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Department, User
from portal.routing import parse_int


def department_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Department.id, Department.name).order_by(Department.name))
    return [("", "—"), *((str(i), n) for i, n in rows)]


def user_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)
    )
    return [("", "—"), *((str(i), n) for i, n in rows)]


def int_or_none(value: str | None) -> int | None:
    return parse_int(value)
