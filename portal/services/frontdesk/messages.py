"""Messages: phone messages taken for someone, returning them, callback reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select, update

from portal.errors import InvalidTransition, NotAllowed
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import (
    OPEN,
    RETURNED,
    VOID,
    Call,
)
from portal.pagination import RowPage, paged, row_page
from portal.services import audit
from portal.services.frontdesk.calls import _C, _CALL, _FOR_USER, _LOGGER, _STATEMENTS
from portal.services.frontdesk.common import _clean, _path, format_phone
from portal.services.notifications import notify


def _message_statements(show: str) -> tuple[Select, Select]:
    key = ("messages", show)
    found = _STATEMENTS.get(key)
    if found is None:
        if show == "id":
            conditions = [_C.id == bindparam("call_id")]
        else:
            conditions = [
                _C.recipient_id == bindparam("user_id"),
                _C.status == OPEN if show == "open" else _C.status != VOID,
            ]
        # What a "My messages" item shows: Call's attribute names, plus two names.
        rows = (
            select(
                _C.id,
                _C.created_at,
                _C.caller_name,
                _C.company,
                _C.phone,
                _C.message,
                _C.urgent,
                _C.outcome,
                _C.status,
                _C.callback_due_at,
                _C.returned_at,
                _C.return_note,
                _C.for_user_id,
                _C.recipient_id,
                _FOR_USER.c.name.label("for_user_name"),
                _LOGGER.c.name.label("logged_by_name"),
            )
            .select_from(
                _CALL.outerjoin(_FOR_USER, _FOR_USER.c.id == _C.for_user_id).outerjoin(
                    _LOGGER, _LOGGER.c.id == _C.logged_by_id
                )
            )
            .where(*conditions)
            .order_by((_C.status == OPEN).desc(), _C.created_at.desc(), _C.id.desc())
        )
        count = select(func.count()).select_from(_CALL).where(*conditions)
        found = _STATEMENTS[key] = (paged(rows), count)
    return found


def message_row(call_id: int) -> Any:
    """One "My messages" item (a message just marked returned), like :func:`message_page`'s."""
    rows, _count = _message_statements("id")
    return db.session.execute(rows, {"call_id": call_id, "page_limit": 1, "page_offset": 0}).one()


def message_page(user: User, *, show: str = "all", page: int, per_page: int) -> RowPage:
    """One page of "My messages": two queries (rows with names, count) whatever the size."""
    rows, count = _message_statements("open" if show == "open" else "all")
    return row_page(rows, count, page=page, per_page=per_page, params={"user_id": user.id})


_OPEN_MESSAGES = (
    select(func.count())
    .select_from(_CALL)
    .where(_C.recipient_id == bindparam("user_id"), _C.status == OPEN)
)


def open_message_count(user: User) -> int:
    """The nav badge: one count on the (recipient_id, status) index."""
    return db.session.execute(_OPEN_MESSAGES, {"user_id": user.id}).scalar() or 0


def mark_returned(call: Call, *, actor: User, note: str | None) -> None:
    """The recipient (or back office) marks a message returned/done, with an optional note."""
    if call.recipient_id != actor.id and not actor.can("calls.view_all"):
        raise NotAllowed(_("This message is not for you."))
    if call.status != OPEN:
        raise InvalidTransition(_("This message is already closed."))
    call.status = RETURNED
    call.returned_at = utcnow()
    call.return_note = _clean(note, 1000)
    audit.record(actor, "frontdesk.call.returned", call, {"note": call.return_note})


# --- callback reminders (periodic job) --------------------------------------------------------


def due_callback_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Call.id)
            .where(
                Call.status == OPEN,
                Call.callback_due_at <= now,
                Call.reminder_sent_at.is_(None),
                Call.recipient_id.is_not(None),
            )
            .order_by(Call.callback_due_at)
            .limit(limit)
        )
    )


def send_callback_reminder(call_id: int, now: datetime | None = None) -> bool:
    """Claim the reminder with a conditional UPDATE and notify in the same transaction.

    Returns True if this call sent it; a second run (or a second worker) finds it claimed.
    """
    now = now or utcnow()
    claimed = db.session.execute(
        update(Call)
        .where(Call.id == call_id, Call.reminder_sent_at.is_(None), Call.status == OPEN)
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    call = db.session.get(Call, call_id, populate_existing=True)
    assert call is not None and call.recipient is not None
    notify(
        call.recipient,
        "frontdesk.callback_due",
        call,
        _l("Callback due: %(who)s is waiting for your call on %(phone)s."),
        {"who": call.caller_name, "phone": format_phone(call.phone)},
        url=_path(f"/messages#call-{call.id}"),
        dedupe_key=f"frontdesk.callback_due:{call.id}",
    )
    return True
