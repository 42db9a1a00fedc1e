"""Helpers shared by the equipment sub-domains: parsing, the timeline, local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.equipment import Asset, Event

MAX_COUNTER = 2_147_483_647  # the INTEGER columns; no office copier counts that far


def path(suffix: str = "") -> str:
    """A link into this area (jobs have no request to build URLs from)."""
    return f"/equipment{suffix}"


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def today_local(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone()).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)


def local_to_utc(value: datetime | None, *, field: str | None = None) -> datetime | None:
    """A naive ``datetime-local`` value, in the portal's zone, as an aware UTC instant.

    A date at the very edge of the calendar (year 1 or 9999) has no UTC instant: refused as
    invalid input for ``field``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone())
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(_("Enter a real date and time."), field=field) from None


def clean(value: Any, limit: int) -> str | None:
    value = " ".join(str(value or "").split())
    return value[:limit] or None


def text_block(value: Any, limit: int) -> str | None:
    value = str(value or "").strip()
    return value[:limit] or None


def parse_int(
    value: Any, field: str, *, minimum: int = 0, maximum: int = MAX_COUNTER, required: bool = False
) -> int | None:
    if value is None or str(value).strip() == "":
        if required:
            raise ValidationError(_("Enter a number."), field=field)
        return None
    raw = str(value).strip().replace(".", "").replace(" ", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ValidationError(_("Enter a whole number."), field=field)
    number = int(raw)
    if number < minimum or number > maximum:
        raise ValidationError(
            _("Enter a number from %(lo)d to %(hi)d.", lo=minimum, hi=maximum), field=field
        )
    return number


def parse_decimal(value: Any, field: str, *, places: int = 2) -> Decimal | None:
    """Read ``1234.56``, ``1.234,56`` or ``1234,56``; None when empty; never negative."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        raw = str(value).strip().replace("R$", "").replace(" ", "")
        if "," in raw:
            raw = raw.replace(".", "").replace(",", ".")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(_("Enter an amount such as 1234,56."), field=field) from None
    if not number.is_finite() or number < 0 or number >= Decimal(10) ** 9:
        raise ValidationError(_("Enter an amount such as 1234,56."), field=field)
    return number.quantize(Decimal(1).scaleb(-places))


def parse_date(value: Any, field: str) -> date | None:
    """A date from a form (a ``date``) or a CSV cell (``2026-03-31`` or ``31/03/2026``)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("Enter a date as dd/mm/yyyy."), field=field)


def record_event(
    asset: Asset | int,
    kind: str,
    summary: str = "",
    *,
    actor: User | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Add a line to the machine's timeline (in the caller's transaction)."""
    event = Event(
        asset_id=asset if isinstance(asset, int) else asset.id,
        kind=kind,
        summary=(summary or "")[:300],
        details=details or None,
        actor_id=actor.id if actor is not None else None,
        at=at or utcnow(),
    )
    db.session.add(event)
    return event


def get_asset_or_404(asset_id: int) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(_("This asset does not exist."))
    return asset
