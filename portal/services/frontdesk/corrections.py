"""Corrections: calls, visits and faxes are corrected or voided in place for 24 hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from portal.errors import Conflict, NotAllowed, ValidationError
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import (
    Call,
    Fax,
    Visit,
)
from portal.services import audit
from portal.services.frontdesk.common import (
    CORRECTION_WINDOW,
    _clean,
    parse_local_datetime,
    to_local_input,
)


def _corrected_time(text: str | None, current: datetime | None, *, field: str) -> datetime | None:
    """Read a corrected time; an unchanged minute keeps the stored instant (with its seconds)."""
    text = (text or "").strip()
    if current is not None and text == to_local_input(current):
        return current
    return parse_local_datetime(text, field=field)


def _check_correctable(record: Any, actor: User, manager_permission: str) -> None:
    """The author, or back office, may correct or void a register entry for 24 hours."""
    if record.voided_at is not None:
        raise Conflict(_("This entry was voided and cannot be changed."))
    if record.logged_by_id != actor.id and not actor.can(manager_permission):
        raise NotAllowed(_("Only the person who logged this entry or back office may change it."))
    if utcnow() - record.created_at > CORRECTION_WINDOW:
        raise NotAllowed(_("Entries can only be corrected within 24 hours."))


def _manager_permission(record: Any) -> str:
    return {Call: "calls.log", Visit: "visitors.manage", Fax: "fax.manage"}[type(record)]


def check_correctable(record: Call | Visit | Fax, *, actor: User) -> None:
    """Refuse (403/409) unless ``actor`` may still correct ``record``."""
    _check_correctable(record, actor, _manager_permission(record))


def can_correct(record: Call | Visit | Fax, actor: User, now: datetime) -> bool:
    """Whether ``actor`` may still correct or void ``record`` (to show the buttons)."""
    return (
        record.voided_at is None
        and now - record.created_at <= CORRECTION_WINDOW
        and (record.logged_by_id == actor.id or actor.can(_manager_permission(record)))
    )


def _void(record: Any, actor: User, reason: str | None, permission: str, action: str) -> None:
    _check_correctable(record, actor, permission)
    reason = _clean(reason, 500)
    if not reason:
        raise ValidationError(_("Say why this entry is voided."), field="reason")
    record.voided_at = utcnow()
    record.void_reason = reason
    audit.record(actor, action, record, {"reason": reason})
