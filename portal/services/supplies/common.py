"""Helpers shared by the supplies sub-modules: URLs that work in the worker, money, the portal's
time zone, and the parsing of quantities and amounts from forms and CSV files.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from sqlalchemy import select

from portal.config import base_origin
from portal.errors import ValidationError
from portal.extensions import db
from portal.models import User, UserRole
from portal.routing import parse_int

CENT = Decimal("0.01")


def _url(endpoint: str, **values: Any) -> str:
    """url_for that also works in the worker (no request there)."""
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        with current_app.test_request_context(base_url=base_origin(current_app.config)):
            return url_for(endpoint, **values)


def money(value: Decimal | int | float | None) -> str:
    return format_currency(value or 0, "BRL")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "America/Sao_Paulo")


MAX_QUANTITY = 1_000_000  # no office counts further; keeps sums inside INTEGER columns


def _int(value: Any, field: str, *, minimum: int = 0, maximum: int = MAX_QUANTITY) -> int:
    number = parse_int(value, minimum=None, maximum=None)
    if number is None:
        raise ValidationError(_("Enter a whole number."), field=field)
    if number < minimum:
        raise ValidationError(_("Enter a number of at least %(min)d.", min=minimum), field=field)
    if number > maximum:
        raise ValidationError(_("Enter a number of at most %(max)d.", max=maximum), field=field)
    return number


def _decimal(value: Any, field: str, *, required: bool = True) -> Decimal | None:
    text = str(value if value is not None else "").strip().replace("R$", "").strip()
    if not text:
        if required:
            raise ValidationError(_("Enter an amount."), field=field)
        return None
    if "," in text:  # Brazilian notation: 1.234,56
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter an amount such as 12.50."), field=field) from None
    if amount < 0 or not amount.is_finite():
        raise ValidationError(_("The amount cannot be negative."), field=field)
    return amount.quantize(CENT)


def users_with_role(role: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.active.is_(True))
            .order_by(User.name)
        )
    )
