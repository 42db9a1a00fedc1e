"""Helpers every people sub-domain shares: folding text, the company's day, lookups."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from portal.errors import NotFound
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.people import Employee


def fold(*parts: object) -> str:
    """Lower case without accents, for accent-insensitive search ("João" -> "joao")."""
    text = " ".join(str(p) for p in parts if p)
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def today(now: datetime | None = None) -> date:
    """The company's calendar day (America/Sao_Paulo by default), not the server's."""
    return (now or utcnow()).astimezone(local_tz()).date()


def get_employee_or_404(employee_id: int) -> Employee:
    employee = db.session.get(Employee, employee_id)
    if employee is None or employee.anonymised_at is not None:
        raise NotFound(_("This employee record does not exist."))
    return employee


def employee_of(user) -> Employee | None:
    """The employee record linked to a portal account, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(db.select(Employee).where(Employee.user_id == user.id))
