"""Calls: logging, caller look-up, the call register, its export and corrections."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import lazyload, load_only, selectinload

from portal.errors import NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.formatting import datetime_formatter
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import (
    CALLBACK,
    CLOSED,
    HANDLED,
    MESSAGE,
    OPEN,
    OPEN_OUTCOMES,
    OUTCOMES,
    TRANSFERRED,
    VOID,
    Call,
)
from portal.pagination import RowPage, paged, row_page
from portal.routing import parse_date, parse_int
from portal.services import audit
from portal.services.frontdesk.common import (
    DIRECTION_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    _clean,
    _Collector,
    _format_phone,
    _path,
    day_start,
    find_person,
    format_phone,
    normalise_phone,
    today_local,
)
from portal.services.frontdesk.corrections import _check_correctable, _corrected_time, _void
from portal.services.notifications import notify

# --- calls ------------------------------------------------------------------------------------


@dataclass
class CallInput:
    direction: str = "in"
    phone: str | None = None
    caller_name: str | None = None
    company: str | None = None
    for_whom: str | None = None
    transferred_to: str | None = None
    message: str | None = None
    urgency: str = "normal"
    outcome: str = MESSAGE
    callback_due: str | None = None


def _validated_call(
    data: CallInput, *, now: datetime, current_due: datetime | None = None
) -> dict[str, Any]:
    """Check every rule of a call; return the column values or raise all problems at once.

    ``current_due`` is a corrected call's callback time: kept as it is, it may lie in the past.
    """
    c = _Collector()
    phone = c.check(lambda: normalise_phone(data.phone))
    name = _clean(data.caller_name, 160)
    if not name:
        c.fail("caller_name", _("Enter the caller's name."))
    if data.outcome not in OUTCOMES:
        c.fail("outcome", _("Choose what happened with the call."))
    if data.direction not in ("in", "out"):
        c.fail("direction", _("Choose incoming or outgoing."))
    for_user = c.check(
        lambda: find_person(data.for_whom, field="for_whom", required=data.outcome != HANDLED)
    )
    transferred_to = None
    if data.outcome == TRANSFERRED:
        transferred_to = (
            c.check(lambda: find_person(data.transferred_to, field="transferred_to"))
            if data.transferred_to
            else None
        ) or for_user
    message = (data.message or "").strip()[:4000] or None
    if data.outcome == MESSAGE and not message:
        c.fail("message", _("Write down the message."))
    due = None
    if data.outcome == CALLBACK:
        due = c.check(lambda: _corrected_time(data.callback_due, current_due, field="callback_due"))
        if due is None:
            c.fail("callback_due", _("Say by when the call should be returned."))
        elif due <= now and due != current_due:
            c.fail("callback_due", _("The callback time must be in the future."))
        if not data.phone:
            c.fail("phone", _("Enter the number to call back."))
    elif data.callback_due:
        c.fail("callback_due", _("A callback time only makes sense when a callback is requested."))
    c.raise_if_any()
    recipient = transferred_to or for_user
    return {
        "direction": data.direction,
        "phone": phone,
        "caller_name": name,
        "company": _clean(data.company, 160),
        "for_user": for_user,
        "transferred_to": transferred_to,
        "recipient": recipient,
        "message": message,
        "urgent": data.urgency == "urgent",
        "outcome": data.outcome,
        "callback_due_at": due,
    }


def log_call(data: CallInput, *, actor: User) -> Call:
    """Log a call; the person it is for is told at once when a message or transfer concerns them."""
    now = utcnow()
    values = _validated_call(data, now=now)
    call = Call(**values, logged_by=actor, created_at=now)
    call.status = OPEN if call.outcome in OPEN_OUTCOMES and call.recipient else CLOSED
    db.session.add(call)
    db.session.flush()
    audit.record(actor, "frontdesk.call.logged", call, {"outcome": call.outcome})
    _tell_recipient(call)
    return call


def _tell_recipient(call: Call) -> None:
    recipient = call.recipient
    if recipient is None or call.outcome == HANDLED or recipient.id == call.logged_by_id:
        return
    who = call.caller_name + (f" ({call.company})" if call.company else "")
    if call.outcome == TRANSFERRED:
        message = _l("A call from %(who)s was transferred to you.")
    elif call.outcome == CALLBACK:
        message = _l("%(who)s asked you to call back.")
    elif call.urgent:
        message = _l("Urgent message from %(who)s.")
    else:
        message = _l("New message from %(who)s.")
    notify(
        recipient,
        "frontdesk.message",
        call,
        message,
        {"who": who},
        url=_path(f"/messages#call-{call.id}"),
    )


def caller_lookup(raw_phone: str | None) -> dict[str, Any] | None:
    """Who called from this number before (most recent call), with how many calls."""
    try:
        phone = normalise_phone(raw_phone)
    except ValidationError:
        return None
    if phone is None:
        return None
    last = db.session.execute(_LAST_CALLER, {"phone": phone}).first()
    if last is None:
        return {"phone": phone, "known": False}
    return {
        "phone": phone,
        "known": True,
        "name": last.caller_name,
        "company": last.company,
        "last_at": last.created_at,
        "count": last.count or 0,
    }


@dataclass
class CallFilters:
    view: str = "today"  # today | open | overdue | all
    person_id: int | None = None
    who: str = ""  # what was typed in the "for" type-ahead
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Any) -> CallFilters:
        person_id = parse_int(args.get("person"), minimum=1)
        who = (args.get("who") or "").strip()[:300]
        if who and person_id is None:
            try:
                person = find_person(who, field="who")
            except ValidationError:
                person = None
            person_id = person.id if person is not None else -1  # unknown: match nothing
        view = args.get("view", "today")
        if view not in ("today", "open", "overdue", "all"):
            view = "today"
        return cls(
            view=view,
            person_id=person_id,
            who=who,
            date_from=parse_date(args.get("from")),
            date_to=parse_date(args.get("to")),
            q=(args.get("q") or "").strip()[:100],
        )

    def as_args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"view": self.view}
        if self.who:
            out["who"] = self.who
        elif self.person_id:
            out["person"] = self.person_id
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if self.q:
            out["q"] = self.q
        return out


_ROW_LABELS: dict[str, dict[str, Any]] = {}


def row_labels() -> dict[str, Any]:
    """Everything a list row needs besides the call, looked up once per page, not once per row.

    The translated labels are built once per language; the date formatter is the request's.
    """
    key = str(get_locale())
    fixed = _ROW_LABELS.get(key)
    if fixed is None:
        fixed = _ROW_LABELS[key] = {
            "outcome": {k: str(v) for k, v in OUTCOME_LABELS.items()},
            "direction": {k: str(v) for k, v in DIRECTION_LABELS.items()},
            "urgent": _("Urgent"),
            "pending": _("Pending"),
            "returned": _("Returned"),
            "void": _("Void"),
            "overdue": _("Overdue"),
            "note": _("Note"),
            "note_optional": _("Note (optional)"),
            "mark_returned": _("Mark returned"),
            # Plain text with named placeholders, filled in the template with ``|format(...)``
            # (the result is escaped like any other value).
            "call_back_by": _("Call back by %(when)s"),
            "returned_when": _("Returned %(when)s."),
            "asked_for": _("Asked for %(name)s; transferred to you."),
            "taken_by": _("Taken by %(name)s."),
        }
    region = current_app.config.get("PORTAL_PHONE_REGION") or "BR"
    return {
        **fixed,
        "when": datetime_formatter("short"),
        "phone": lambda e164: _format_phone(e164, region) if e164 else "",
    }


def _people(*relationships: Any) -> list[Any]:
    """Load the named people with their names only (no roles, no department)."""
    return [
        selectinload(rel).options(
            load_only(User.id, User.name, User.email),
            lazyload(User.role_rows),
            lazyload(User.department),
        )
        for rel in relationships
    ]


def _with_people(stmt: Select, *relationships: Any) -> Select:
    return stmt.options(*_people(*(relationships or (Call.recipient,))))


_CALL = Call.__table__
_C = _CALL.c

# Typed-ahead on every pause while a number is keyed in: one prebuilt query, the most recent
# (not voided) call from the number and how many calls came from it in all.
_LAST_CALLER = (
    select(
        _C.caller_name,
        _C.company,
        _C.created_at,
        select(func.count())
        .select_from(_CALL)
        .where(_C.phone == bindparam("phone"))
        .correlate(None)  # its own scan of the table, not the outer row
        .scalar_subquery()
        .label("count"),
    )
    .where(_C.phone == bindparam("phone"), _C.voided_at.is_(None))
    .order_by(_C.created_at.desc())
    .limit(1)
)


def _call_filter(filters: CallFilters, now: datetime) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Which conditions the filters need (the statement's shape), and their values."""
    shape: list[str] = []
    params: dict[str, Any] = {}
    if filters.view == "today":
        shape.append("today")
        params["since"] = day_start(today_local(now))
    elif filters.view in ("open", "overdue"):
        shape.append(filters.view)
        if filters.view == "overdue":
            params["now"] = now
    if filters.person_id:
        shape.append("person")
        params["person"] = filters.person_id
    if filters.date_from:
        shape.append("from")
        params["from_day"] = day_start(filters.date_from)
    if filters.date_to:
        shape.append("to")
        params["to_day"] = day_start(filters.date_to + timedelta(days=1))
    if filters.q:
        shape.append("q")
        params["like"] = f"%{filters.q.lower()}%"
        digits = "".join(ch for ch in filters.q if ch.isdigit())
        if len(digits) >= 3:
            shape.append("digits")
            params["digits"] = f"%{digits}%"
            try:
                phone = normalise_phone(filters.q)
            except ValidationError:
                phone = None
            if phone:
                shape.append("phone")
                params["phone"] = phone
    return tuple(shape), params


def _call_conditions(shape: tuple[str, ...]) -> list[Any]:
    """The WHERE of a shape, with bind parameters for the values (see :func:`_call_filter`)."""
    conditions: list[Any] = []
    if "id" in shape:
        conditions.append(_C.id == bindparam("call_id"))
    if "today" in shape:
        conditions.append(_C.created_at >= bindparam("since"))
    if "open" in shape:
        conditions.append(_C.status == OPEN)
    if "overdue" in shape:
        conditions += [_C.status == OPEN, _C.callback_due_at < bindparam("now")]
    if "person" in shape:
        conditions.append(_C.recipient_id == bindparam("person"))
    if "from" in shape:
        conditions.append(_C.created_at >= bindparam("from_day"))
    if "to" in shape:
        conditions.append(_C.created_at < bindparam("to_day"))
    if "q" in shape:
        like = bindparam("like")
        matches = [
            func.lower(_C.caller_name).like(like),
            func.lower(_C.company).like(like),
            func.lower(_C.message).like(like),
        ]
        if "digits" in shape:
            matches.append(_C.phone.like(bindparam("digits")))
        if "phone" in shape:
            matches.append(_C.phone == bindparam("phone"))
        conditions.append(or_(*matches))
    return conditions


def list_calls(filters: CallFilters, *, now: datetime | None = None) -> Select:
    """Return a select of calls matching the console's filters, newest first."""
    shape, params = _call_filter(filters, now or utcnow())
    stmt = select(Call).where(*_call_conditions(shape)).params(params)
    return _with_people(stmt.order_by(Call.created_at.desc(), Call.id.desc()))


_RECIPIENT = User.__table__.alias("recipient")
_FOR_USER = User.__table__.alias("for_user")
_LOGGER = User.__table__.alias("logger")

# Statements are built once per shape of filters, then only executed with new parameters:
# building a select and computing its cache key cost more than running it.
_STATEMENTS: dict[tuple[str, ...], tuple[Select, Select]] = {}


def _call_statements(shape: tuple[str, ...]) -> tuple[Select, Select]:
    found = _STATEMENTS.get(shape)
    if found is None:
        conditions = _call_conditions(shape)
        # What a console row shows: Call's attribute names, plus the recipient's name.
        rows = (
            select(
                _C.id,
                _C.created_at,
                _C.direction,
                _C.caller_name,
                _C.company,
                _C.phone,
                _C.message,
                _C.urgent,
                _C.outcome,
                _C.status,
                _C.callback_due_at,
                _RECIPIENT.c.name.label("recipient_name"),
            )
            .select_from(_CALL.outerjoin(_RECIPIENT, _RECIPIENT.c.id == _C.recipient_id))
            .where(*conditions)
            .order_by(_C.created_at.desc(), _C.id.desc())
        )
        count = select(func.count()).select_from(_CALL).where(*conditions)
        found = _STATEMENTS[shape] = (paged(rows), count)
    return found


def call_row(call_id: int) -> Any:
    """One console row (a call just logged), like the rows of :func:`call_page`."""
    rows, _count = _call_statements(("id",))
    return db.session.execute(rows, {"call_id": call_id, "page_limit": 1, "page_offset": 0}).one()


def call_page(
    filters: CallFilters, *, page: int, per_page: int, now: datetime | None = None
) -> RowPage:
    """One page of the console's list: two queries (rows with names, count) whatever the size."""
    shape, params = _call_filter(filters, now or utcnow())
    rows, count = _call_statements(shape)
    return row_page(rows, count, page=page, per_page=per_page, params=params)


def get_call_or_404(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound(_("This call does not exist."))
    return call


def check_can_see_call(call: Call, user: User) -> None:
    if user.can("calls.view_all") or call.recipient_id == user.id:
        return
    raise NotAllowed(_("This message is not for you."))


# Column titles in the reader's language (lazy: the export translates them when written).
CSV_HEADER = (
    _l("No."),
    _l("Logged at"),
    _l("Direction"),
    _l("Caller"),
    _l("Company"),
    _l("Phone"),
    _l("For"),
    _l("Transferred to"),
    _l("Outcome"),
    _l("Urgent"),
    _l("Status"),
    _l("Callback due"),
    _l("Message"),
    _l("Return note"),
)


def export_rows(filters: CallFilters, *, batch: int = 1000) -> Iterable[list[Any]]:
    """Yield CSV rows (header first) for every call the filters match.

    Plain values, labels not codes, datetimes as they are: the one CSV writer (portal.exports)
    writes them in the reader's conventions (local time to the minute) and formula-safe.
    """
    yield list(CSV_HEADER)
    urgent = _("Urgent")
    stmt = list_calls(filters).options(*_people(Call.for_user, Call.transferred_to))
    stmt = stmt.execution_options(yield_per=batch)
    for call in db.session.scalars(stmt):
        yield [
            call.id,
            call.created_at,
            DIRECTION_LABELS.get(call.direction, call.direction),
            call.caller_name,
            call.company,
            format_phone(call.phone) if call.phone else "",
            call.for_user.name if call.for_user else "",
            call.transferred_to.name if call.transferred_to else "",
            OUTCOME_LABELS.get(call.outcome, call.outcome),
            urgent if call.urgent else "",
            STATUS_LABELS.get(call.status, call.status),
            call.callback_due_at,
            call.message,
            call.return_note,
        ]


CALL_FIELDS = [
    "direction",
    "phone",
    "caller_name",
    "company",
    "for_user_id",
    "transferred_to_id",
    "recipient_id",
    "message",
    "urgent",
    "outcome",
    "callback_due_at",
]


def update_call(call: Call, data: CallInput, *, actor: User) -> dict[str, Any]:
    """Correct a call within 24 hours; the change is audit-logged field by field."""
    _check_correctable(call, actor, "calls.log")
    values = _validated_call(data, now=utcnow(), current_due=call.callback_due_at)
    new = {
        **{k: v for k, v in values.items() if k in CALL_FIELDS},
        "for_user_id": values["for_user"].id if values["for_user"] else None,
        "transferred_to_id": values["transferred_to"].id if values["transferred_to"] else None,
        "recipient_id": values["recipient"].id if values["recipient"] else None,
    }
    changes = audit.diff(call, CALL_FIELDS, new)
    if not changes:
        return changes
    previous_recipient = call.recipient_id
    for name in CALL_FIELDS:
        setattr(call, name, new[name])
    if call.status in (OPEN, CLOSED):
        call.status = OPEN if call.outcome in OPEN_OUTCOMES and call.recipient_id else CLOSED
    if "callback_due_at" in changes:
        call.reminder_sent_at = None
    audit.record(actor, "frontdesk.call.corrected", call, changes)
    db.session.flush()
    if call.recipient_id and call.recipient_id != previous_recipient:
        db.session.refresh(call, ["recipient"])
        _tell_recipient(call)
    return changes


def void_call(call: Call, *, actor: User, reason: str | None) -> None:
    _void(call, actor, reason, "calls.log", "frontdesk.call.voided")
    call.status = VOID
