"""Shared front-desk pieces: labels, local time, phone numbers, people, form errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import lazyload

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import (
    CALLBACK,
    CLOSED,
    DONE,
    HANDLED,
    IN_PROGRESS,
    MESSAGE,
    NEW,
    OPEN,
    REJECTED,
    RETURNED,
    TRANSFERRED,
    VOID,
)
from portal.routing import MAX_DATE, MIN_DATE

CORRECTION_WINDOW = timedelta(hours=24)

OUTCOME_LABELS = {
    MESSAGE: _l("Message taken"),
    TRANSFERRED: _l("Transferred"),
    CALLBACK: _l("Callback requested"),
    HANDLED: _l("Handled"),
}
# Statuses with a context: in Portuguese they agree with their noun (a call is feminine, a fax
# masculine, a request feminine), so one English word has several translations.
STATUS_LABELS = {
    OPEN: lazy_pgettext("call status", "Pending"),
    RETURNED: lazy_pgettext("call status", "Returned"),
    CLOSED: lazy_pgettext("call status", "Closed"),
    VOID: lazy_pgettext("call status", "Void"),
}
REQUEST_STATUS_LABELS = {
    NEW: lazy_pgettext("request status", "New"),
    IN_PROGRESS: lazy_pgettext("request status", "In progress"),
    DONE: lazy_pgettext("request status", "Done"),
    REJECTED: lazy_pgettext("request status", "Rejected"),
}
PRIORITY_LABELS = {
    "low": lazy_pgettext("priority", "Low"),
    "normal": lazy_pgettext("priority", "Normal"),
    "high": lazy_pgettext("priority", "High"),
}
FAX_STATUS_LABELS = {
    "received": lazy_pgettext("fax status", "Received"),
    "sent": lazy_pgettext("fax status", "Sent"),
    "failed": lazy_pgettext("fax status", "Failed"),
}
DIRECTION_LABELS = {"in": _l("Incoming"), "out": _l("Outgoing")}


# --- helpers ----------------------------------------------------------------------------------


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def day_start(day: date) -> datetime:
    """Return the UTC instant at which ``day`` starts in the portal's time zone."""
    return datetime.combine(day, time.min, tzinfo=local_zone()).astimezone(UTC)


def today_local(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(local_zone()).date()


def parse_local_datetime(value: str | None, *, field: str) -> datetime | None:
    """Read an ``<input type=datetime-local>`` value in the portal's zone; return UTC."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        naive = None
    if naive is None or not MIN_DATE <= naive.date() <= MAX_DATE:  # year 9999 + zone: overflow
        raise ValidationError(_("Enter a date and time."), field=field)
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=local_zone())
    return naive.astimezone(UTC)


def to_local_input(value: datetime | None) -> str:
    """Format a UTC instant for an ``<input type=datetime-local>``."""
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")


def normalise_phone(raw: str | None, *, field: str = "phone") -> str | None:
    """Return the number in E.164, or None when empty; refuse impossible numbers."""
    raw = (raw or "").strip()
    if not raw:
        return None
    region = current_app.config.get("PORTAL_PHONE_REGION") or "BR"
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This is not a valid phone number. Include the area code, e.g. (11) 98765-4321."),
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """Show a stored number the way people read it: national for local, international otherwise."""
    if not e164:
        return ""
    return _format_phone(e164, current_app.config.get("PORTAL_PHONE_REGION") or "BR")


@lru_cache(maxsize=4096)
def _format_phone(e164: str, region: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _clean(value: str | None, limit: int) -> str | None:
    value = " ".join((value or "").split())
    return value[:limit] or None


def _path(suffix: str) -> str:
    """A link into this area (also used by jobs, which have no request to build URLs from)."""
    return f"/frontdesk{suffix}"


def staff_directory() -> list[Any]:
    """Everyone a call can be for, for the type-ahead: one query, plain rows (no ORM objects)."""
    return list(
        db.session.execute(
            select(User.id, User.name, User.email, User.job_title, User.extension)
            .where(User.active.is_(True))
            .order_by(User.name)
            .limit(2000)
        )
    )


def person_label(user: Any) -> str:
    return f"{user.name} <{user.email}>"


# The person a call, fax or visit is for: their roles are not needed (one query, not two).
_PERSON_BY_EMAIL = (
    select(User).where(User.email == bindparam("email")).options(lazyload(User.role_rows))
)
_PEOPLE_BY_NAME = (
    select(User)
    .where(func.lower(User.name) == bindparam("name"))
    .options(lazyload(User.role_rows))
    .limit(2)
)


def find_person(text: str | None, *, field: str, required: bool = False) -> User | None:
    """Resolve what was typed in a type-ahead ("Name <e-mail>", an e-mail or a unique name)."""
    text = (text or "").strip()
    if not text:
        if required:
            raise ValidationError(_("Choose a person."), field=field)
        return None
    email = text
    if "<" in text and text.endswith(">"):
        email = text[text.rindex("<") + 1 : -1]
    user = None
    if "@" in email:
        user = db.session.scalar(_PERSON_BY_EMAIL, {"email": email.strip().lower()})
    else:
        matches = list(db.session.scalars(_PEOPLE_BY_NAME, {"name": text.lower()}).unique())
        if len(matches) > 1:
            raise ValidationError(
                _("Several people have this name; choose one from the list."), field=field
            )
        user = matches[0] if matches else None
    if user is None or not user.active:
        raise ValidationError(
            _("Nobody by that name works here; choose from the list."), field=field
        )
    return user


class FormInvalid(ValidationError):
    """Several fields are wrong at once; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


class _Collector:
    """Run checks, keep the first error of each field, raise them all together at the end."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, func: Callable[[], Any], default: Any = None) -> Any:
        try:
            return func()
        except FormInvalid as error:
            for field, message in error.errors.items():
                self.errors.setdefault(field, message)
            return default
        except ValidationError as error:
            self.errors.setdefault(error.field or "", error.message)
            return default

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormInvalid(self.errors)
