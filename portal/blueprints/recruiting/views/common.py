"""Helpers shared by the recruiting views (choices, local times)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from portal.routing import parse_int
from portal.services import recruiting


class PlainForm:
    """A form written by hand in its template (no WTForms fields: the hours table, the booking
    page's slot choice, the ranked list's selection): what ``unit_of_work(form)`` needs to turn
    a refusal into ``work.error`` instead of an error page. The view shows ``work.error``."""

    def __init__(self) -> None:
        self.form_errors: list[str] = []


def local_to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=recruiting.local_tz()).astimezone(UTC)


def active_people() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active).order_by(User.name)))


def int_or_none(value: str | None) -> int | None:
    return parse_int(value)
