"""Front desk rules: calls and messages, callbacks, visitors, faxes and staff requests.

Services flush, never commit.  Every change is audit-logged; nothing is deleted (void instead).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import lazyload, load_only, selectinload

from portal.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.formatting import datetime_formatter
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
    OPEN_OUTCOMES,
    OUTCOMES,
    PRIORITIES,
    REJECTED,
    RETURNED,
    TRANSFERRED,
    VOID,
    Call,
    Fax,
    RequestComment,
    StaffRequest,
    Visit,
)
from portal.pagination import RowPage, paged, row_page
from portal.routing import MAX_DATE, MIN_DATE, parse_date, parse_int
from portal.services import audit, filecheck
from portal.services.notifications import notify, register_kind

log = logging.getLogger(__name__)

register_kind("frontdesk.message", _l("Phone messages taken for me"))
register_kind("frontdesk.callback_due", _l("Callbacks that are due"))
register_kind("frontdesk.visitor", _l("My visitors arriving"))
register_kind("frontdesk.fax", _l("Faxes for me"))
register_kind("frontdesk.request", _l("Changes to my staff requests"))

CORRECTION_WINDOW = timedelta(hours=24)

OUTCOME_LABELS = {
    MESSAGE: _l("Message taken"),
    TRANSFERRED: _l("Transferred"),
    CALLBACK: _l("Callback requested"),
    HANDLED: _l("Handled"),
}
STATUS_LABELS = {
    OPEN: _l("Pending"),
    RETURNED: _l("Returned"),
    CLOSED: _l("Closed"),
    VOID: _l("Void"),
}
REQUEST_STATUS_LABELS = {
    NEW: _l("New"),
    IN_PROGRESS: _l("In progress"),
    DONE: _l("Done"),
    REJECTED: _l("Rejected"),
}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High")}
FAX_STATUS_LABELS = {"received": _l("Received"), "sent": _l("Sent"), "failed": _l("Failed")}
DIRECTION_LABELS = {"in": _l("Incoming"), "out": _l("Outgoing")}


# --- request types: other areas add theirs --------------------------------------------------


@dataclass(frozen=True)
class RequestType:
    key: str
    label: Any
    # Called with the new request inside the filing transaction (e.g. supplies opens a draft).
    on_filed: Callable[[StaffRequest], None] | None = None


REQUEST_TYPES: dict[str, RequestType] = {}


def register_request_type(
    key: str, label: Any, on_filed: Callable[[StaffRequest], None] | None = None
) -> None:
    """Declare a kind of staff request (later areas replace the built-in entry for their key)."""
    REQUEST_TYPES[key] = RequestType(key, label, on_filed)


register_request_type("supplies", _l("Supplies"))
register_request_type("equipment_fault", _l("Equipment fault"))
register_request_type("general", _l("General / admin"))


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


def _corrected_time(text: str | None, current: datetime | None, *, field: str) -> datetime | None:
    """Read a corrected time; an unchanged minute keeps the stored instant (with its seconds)."""
    text = (text or "").strip()
    if current is not None and text == to_local_input(current):
        return current
    return parse_local_datetime(text, field=field)


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
        text = _l("A call from %(who)s was transferred to you.", who=who)
    elif call.outcome == CALLBACK:
        text = _l("%(who)s asked you to call back.", who=who)
    elif call.urgent:
        text = _l("Urgent message from %(who)s.", who=who)
    else:
        text = _l("New message from %(who)s.", who=who)
    notify(recipient, "frontdesk.message", call, text=text, url=_path(f"/messages#call-{call.id}"))


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
    from flask_babel import get_locale

    key = str(get_locale())
    fixed = _ROW_LABELS.get(key)
    if fixed is None:
        call_back_by = Markup(_("Call back by %(when)s"))
        returned_when = Markup(_("Returned %(when)s."))
        asked_for = Markup(_("Asked for %(name)s; transferred to you."))
        taken_by = Markup(_("Taken by %(name)s."))
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
            # Like {{ _('…', when=…) }} in a template: the translation is markup, values escaped.
            "call_back_by": lambda when: call_back_by % {"when": when},
            "returned_when": lambda when: returned_when % {"when": when},
            "asked_for": lambda name: asked_for % {"name": name},
            "taken_by": lambda name: taken_by % {"name": name},
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


CSV_HEADER = (
    "id",
    "logged_at",
    "direction",
    "caller",
    "company",
    "phone",
    "for",
    "transferred_to",
    "outcome",
    "urgent",
    "status",
    "callback_due",
    "message",
    "return_note",
)


def export_rows(filters: CallFilters, *, batch: int = 1000) -> Iterable[list[Any]]:
    """Yield CSV rows (header first) for every call the filters match.

    Plain values: the one CSV writer (portal.exports) makes every cell formula-safe.
    """
    yield list(CSV_HEADER)
    stmt = list_calls(filters).options(*_people(Call.for_user, Call.transferred_to))
    stmt = stmt.execution_options(yield_per=batch)
    for call in db.session.scalars(stmt):
        yield [
            call.id,
            call.created_at.isoformat(),
            call.direction,
            call.caller_name,
            call.company,
            call.phone,
            call.for_user.name if call.for_user else "",
            call.transferred_to.name if call.transferred_to else "",
            call.outcome,
            "yes" if call.urgent else "",
            call.status,
            call.callback_due_at.isoformat() if call.callback_due_at else "",
            call.message,
            call.return_note,
        ]


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
        text=_l(
            "Callback due: %(who)s is waiting for your call on %(phone)s.",
            who=call.caller_name,
            phone=format_phone(call.phone),
        ),
        url=_path(f"/messages#call-{call.id}"),
        dedupe_key=f"frontdesk.callback_due:{call.id}",
    )
    return True


# --- visitors ---------------------------------------------------------------------------------


def _validated_visit(
    *,
    visitor_name: str | None,
    company: str | None,
    host: str | None,
    badge_number: str | None,
) -> dict[str, Any]:
    """Check every rule of a visit (sign-in and correction alike); raise all problems at once."""
    c = _Collector()
    name = _clean(visitor_name, 160)
    if not name:
        c.fail("visitor_name", _("Enter the visitor's name."))
    host_user = c.check(lambda: find_person(host, field="host", required=True))
    c.raise_if_any()
    return {
        "visitor_name": name,
        "company": _clean(company, 160),
        "host": host_user,
        "badge_number": _clean(badge_number, 32),
    }


def _tell_host(visit: Visit, actor: User) -> None:
    host_user = visit.host
    if host_user is None or host_user.id == actor.id:
        return
    who = visit.visitor_name + (f" ({visit.company})" if visit.company else "")
    notify(
        host_user,
        "frontdesk.visitor",
        visit,
        text=_l("Your visitor %(who)s has arrived at the front desk.", who=who),
        url=None,
    )


def register_visit(
    *,
    actor: User,
    visitor_name: str | None,
    company: str | None,
    host: str | None,
    badge_number: str | None,
) -> Visit:
    """Sign a visitor in; the host hears at once that their visitor is at the desk."""
    values = _validated_visit(
        visitor_name=visitor_name, company=company, host=host, badge_number=badge_number
    )
    visit = Visit(**values, arrived_at=utcnow(), logged_by=actor)
    db.session.add(visit)
    db.session.flush()
    audit.record(actor, "frontdesk.visit.arrived", visit)
    _tell_host(visit, actor)
    return visit


VISIT_FIELDS = ["visitor_name", "company", "host_id", "badge_number", "arrived_at", "left_at"]


def update_visit(
    visit: Visit,
    *,
    actor: User,
    visitor_name: str | None,
    company: str | None,
    host: str | None,
    badge_number: str | None,
    arrived_at: str | None,
    left_at: str | None,
) -> dict[str, Any]:
    """Correct a visit within 24 hours; every changed field is audit-logged old → new.

    Same rules as signing in, plus the times: arrival required and not in the future; departure
    (empty while the visitor is still here) after the arrival and not in the future.
    """
    _check_correctable(visit, actor, "visitors.manage")
    now = utcnow()
    c = _Collector()
    values = c.check(
        lambda: _validated_visit(
            visitor_name=visitor_name, company=company, host=host, badge_number=badge_number
        ),
        default={},
    )
    arrived = c.check(lambda: _corrected_time(arrived_at, visit.arrived_at, field="arrived_at"))
    left = c.check(lambda: _corrected_time(left_at, visit.left_at, field="left_at"))
    if arrived is None and "arrived_at" not in c.errors:
        c.fail("arrived_at", _("Enter when the visitor arrived."))
    elif arrived is not None and arrived > now and arrived != visit.arrived_at:
        c.fail("arrived_at", _("The arrival cannot be in the future."))
    if left is not None and left != visit.left_at and left > now:
        c.fail("left_at", _("The departure cannot be in the future."))
    # Minutes are what people type: a departure in the arrival's minute is fine.
    if left is not None and arrived is not None and left < arrived.replace(second=0, microsecond=0):
        c.fail("left_at", _("The departure must be after the arrival."))
    c.raise_if_any()
    host_user = values["host"]
    new = {
        "visitor_name": values["visitor_name"],
        "company": values["company"],
        "host_id": host_user.id,
        "badge_number": values["badge_number"],
        "arrived_at": arrived,
        "left_at": left,
    }
    changes = audit.diff(visit, VISIT_FIELDS, new)
    if not changes:
        return changes
    visit.visitor_name = new["visitor_name"]
    visit.company = new["company"]
    visit.host = host_user
    visit.badge_number = new["badge_number"]
    visit.arrived_at = arrived
    visit.left_at = left
    audit.record(actor, "frontdesk.visit.corrected", visit, changes)
    db.session.flush()
    if "host_id" in changes and visit.left_at is None:
        _tell_host(visit, actor)
    return changes


def sign_out_visit(visit: Visit, *, actor: User) -> None:
    if visit.voided_at is not None or visit.left_at is not None:
        raise InvalidTransition(_("This visitor has already left."))
    visit.left_at = utcnow()
    audit.record(actor, "frontdesk.visit.left", visit)


def void_visit(visit: Visit, *, actor: User, reason: str | None) -> None:
    _void(visit, actor, reason, "visitors.manage", "frontdesk.visit.voided")


def get_visit_or_404(visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(_("This visit does not exist."))
    return visit


def visitors_in_building() -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.left_at.is_(None), Visit.voided_at.is_(None))
            .options(selectinload(Visit.host))
            .order_by(Visit.arrived_at)
            .limit(500)
        )
    )


def list_visits() -> Select:
    return (
        select(Visit)
        .options(selectinload(Visit.host))
        .order_by(Visit.arrived_at.desc(), Visit.id.desc())
    )


# --- faxes ------------------------------------------------------------------------------------


def _upload_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "faxes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_pdf(filename: str | None, data: bytes) -> None:
    """Refuse anything that is not a PDF by extension *and* content, that is too large, or that
    the shared inspection refuses (active content, or a PDF the parser cannot open) — the same
    checks as a CV, made before anything is stored."""
    limit = current_app.config["FAX_MAX_BYTES"]
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)),
            field="file",
        )
    if not data:
        raise ValidationError(_("The file is empty."), field="file")
    if not (filename or "").lower().endswith(".pdf") or not data.startswith(b"%PDF-"):
        raise ValidationError(_("Only PDF files can be attached."), field="file")
    try:
        filecheck.inspect("pdf", data)
    except filecheck.Unsafe as unsafe:
        log.info("fax upload refused (%s)", unsafe.code)
        raise ValidationError(filecheck.reason(unsafe.code), field="file") from None


def _validated_fax(
    *,
    direction: str,
    number: str | None,
    correspondent: str | None,
    pages: int | None,
    for_whom: str | None,
    status: str,
    filename: str | None,
    data: bytes | None,
) -> dict[str, Any]:
    """Check every rule of a fax (registration and correction alike); raise all problems at once."""
    c = _Collector()
    if direction not in ("in", "out"):
        c.fail("direction", _("Choose incoming or outgoing."))
    e164 = c.check(lambda: normalise_phone(number, field="number"))
    name = _clean(correspondent, 160)
    if not name:
        c.fail("correspondent", _("Enter the correspondent."))
    if not pages or pages < 1 or pages > 999:
        c.fail("pages", _("Enter the number of pages."))
    if status not in FAX_STATUS_LABELS:
        c.fail("status", _("Choose a status."))
    for_user = c.check(lambda: find_person(for_whom, field="for_whom"))
    if data is not None and (data or filename):
        c.check(lambda: check_pdf(filename, data))
    c.raise_if_any()
    return {
        "direction": direction,
        "number": e164,
        "correspondent": name,
        "pages": pages,
        "for_user": for_user,
        "status": status,
    }


def store_fax_pdf(data: bytes, filename: str | None) -> dict[str, Any]:
    """Keep a checked PDF under a server-chosen name outside static/; return the Fax columns."""
    stored = f"{secrets.token_hex(16)}.pdf"
    path = _upload_dir() / stored
    with open(path, "xb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
    return {
        "stored_name": stored,
        "original_name": os.path.basename(filename or "fax.pdf")[-200:],
        "size_bytes": len(data),
    }


def _tell_fax_recipient(fax: Fax, actor: User) -> None:
    for_user = fax.for_user
    if for_user is None or for_user.id == actor.id or fax.direction != "in":
        return
    notify(
        for_user,
        "frontdesk.fax",
        fax,
        text=_l("A fax from %(who)s arrived for you.", who=fax.correspondent),
        url=_path(f"/faxes/{fax.id}/file") if fax.stored_name else None,
    )


def log_fax(
    *,
    actor: User,
    direction: str,
    number: str | None,
    correspondent: str | None,
    pages: int | None,
    for_whom: str | None,
    status: str,
    filename: str | None = None,
    data: bytes | None = None,
) -> Fax:
    """Register a fax; a scanned PDF is stored under a server-chosen name outside static/."""
    values = _validated_fax(
        direction=direction,
        number=number,
        correspondent=correspondent,
        pages=pages,
        for_whom=for_whom,
        status=status,
        filename=filename,
        data=data,
    )
    fax = Fax(**values, logged_by=actor)
    if data:
        for column, value in store_fax_pdf(data, filename).items():
            setattr(fax, column, value)
    db.session.add(fax)
    db.session.flush()
    audit.record(actor, "frontdesk.fax.logged", fax)
    _tell_fax_recipient(fax, actor)
    return fax


FAX_FIELDS = ["direction", "number", "correspondent", "pages", "for_user_id", "status"]


def update_fax(
    fax: Fax,
    *,
    actor: User,
    direction: str,
    number: str | None,
    correspondent: str | None,
    pages: int | None,
    for_whom: str | None,
    status: str,
    filename: str | None = None,
    data: bytes | None = None,
) -> dict[str, Any]:
    """Correct a fax within 24 hours; every changed field is audit-logged old → new.

    Same rules as registering it. A new PDF replaces the attached one (the old file is kept on
    disk: nothing is deleted); no file keeps the current one.
    """
    _check_correctable(fax, actor, "fax.manage")
    values = _validated_fax(
        direction=direction,
        number=number,
        correspondent=correspondent,
        pages=pages,
        for_whom=for_whom,
        status=status,
        filename=filename,
        data=data,
    )
    for_user = values.pop("for_user")
    new = {**values, "for_user_id": for_user.id if for_user else None}
    changes = audit.diff(fax, FAX_FIELDS, new)
    file_columns: dict[str, Any] = {}
    if data:
        # Written last, once everything else is valid: a refusal leaves no stray file.
        file_columns = store_fax_pdf(data, filename)
        changes.update(audit.diff(fax, list(file_columns), file_columns))
    if not changes:
        return changes
    previous_for = fax.for_user_id
    for column, value in values.items():
        setattr(fax, column, value)
    fax.for_user = for_user
    for column, value in file_columns.items():
        setattr(fax, column, value)
    audit.record(actor, "frontdesk.fax.corrected", fax, changes)
    db.session.flush()
    if fax.for_user_id and fax.for_user_id != previous_for:
        _tell_fax_recipient(fax, actor)
    return changes


def get_fax_or_404(fax_id: int) -> Fax:
    fax = db.session.get(Fax, fax_id)
    if fax is None:
        raise NotFound(_("This fax does not exist."))
    return fax


def fax_file_for(fax: Fax, user: User) -> Path:
    """The stored PDF, for those allowed: front desk, or the person it is for."""
    if not (user.can("fax.manage") or (fax.for_user_id and fax.for_user_id == user.id)):
        raise NotAllowed(_("This fax is not for you."))
    if not fax.stored_name or fax.voided_at is not None:
        raise NotFound(_("No file is attached to this fax."))
    path = _upload_dir() / fax.stored_name
    if not path.is_file():
        raise NotFound(_("No file is attached to this fax."))
    return path


def void_fax(fax: Fax, *, actor: User, reason: str | None) -> None:
    _void(fax, actor, reason, "fax.manage", "frontdesk.fax.voided")


def list_faxes() -> Select:
    return (
        select(Fax)
        .options(selectinload(Fax.for_user))
        .order_by(Fax.created_at.desc(), Fax.id.desc())
    )


# --- staff requests ---------------------------------------------------------------------------


def file_request(
    *, requester: User, type: str, title: str | None, description: str | None
) -> StaffRequest:
    """Any staff member files a request for the back office."""
    if type not in REQUEST_TYPES:
        raise ValidationError(_("Choose a type of request."), field="type")
    title = _clean(title, 200)
    if not title:
        raise ValidationError(_("Give the request a short title."), field="title")
    body = (description or "").strip()[:5000]
    if not body:
        raise ValidationError(_("Describe what you need."), field="description")
    req = StaffRequest(type=type, title=title, description=body, requester=requester)
    db.session.add(req)
    db.session.flush()
    audit.record(requester, "frontdesk.request.filed", req, {"type": type})
    hook = REQUEST_TYPES[type].on_filed
    if hook is not None:
        hook(req)
    return req


def list_requests(viewer: User, *, status: str = "", mine: bool = False, type: str = "") -> Select:
    """Back office sees every request; everyone else only their own."""
    stmt = select(StaffRequest).options(
        selectinload(StaffRequest.requester), selectinload(StaffRequest.assignee)
    )
    if mine or not viewer.can("requests.triage"):
        stmt = stmt.where(StaffRequest.requester_id == viewer.id)
    if status == "open":
        stmt = stmt.where(StaffRequest.status.in_((NEW, IN_PROGRESS)))
    elif status in REQUEST_STATUS_LABELS:
        stmt = stmt.where(StaffRequest.status == status)
    if type in REQUEST_TYPES:
        stmt = stmt.where(StaffRequest.type == type)
    return stmt.order_by(StaffRequest.created_at.desc(), StaffRequest.id.desc())


def get_request_for(request_id: int, viewer: User) -> StaffRequest:
    req = db.session.scalar(
        select(StaffRequest)
        .where(StaffRequest.id == request_id)
        .options(
            selectinload(StaffRequest.requester),
            selectinload(StaffRequest.assignee),
            selectinload(StaffRequest.comments),
        )
    )
    if req is None:
        raise NotFound(_("This request does not exist."))
    if req.requester_id != viewer.id and not viewer.can("requests.triage"):
        # Same answer as a missing request: do not reveal other people's requests.
        raise NotFound(_("This request does not exist."))
    return req


def back_office_people() -> list[User]:
    from portal.models import UserRole

    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "back_office", User.active.is_(True))
            .order_by(User.name)
        ).unique()
    )


def _tell_requester(req: StaffRequest, actor: User, text: Any) -> None:
    if req.requester_id == actor.id:
        return
    notify(
        req.requester,
        "frontdesk.request",
        req,
        text=text,
        url=_path(f"/requests/{req.id}"),
        dedupe_key=f"frontdesk.request:{req.id}:{secrets.token_hex(6)}",
    )


def triage_request(
    req: StaffRequest,
    *,
    actor: User,
    assignee_id: int | None,
    priority: str,
    due_date: date | None,
) -> dict[str, Any]:
    """Assign to a back-office person, set priority and due date."""
    if not actor.can("requests.triage"):
        raise NotAllowed(_("Only back office triages requests."))
    if req.status in (DONE, REJECTED):
        raise InvalidTransition(_("This request is closed."))
    if priority not in PRIORITIES:
        raise ValidationError(_("Choose a priority."), field="priority")
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and (assignee is None or not assignee.can("requests.triage")):
        raise ValidationError(_("Assign to a back-office person."), field="assignee_id")
    if due_date is not None and due_date < today_local() and due_date != req.due_date:
        raise ValidationError(_("The due date cannot be in the past."), field="due_date")
    changes = audit.diff(
        req,
        ["assignee_id", "priority", "due_date"],
        {"assignee_id": assignee_id, "priority": priority, "due_date": due_date},
    )
    if not changes:
        return changes
    req.assignee = assignee
    req.priority = priority
    req.due_date = due_date
    req.triaged_at = req.triaged_at or utcnow()
    audit.record(actor, "frontdesk.request.triaged", req, changes)
    if assignee is not None and "assignee_id" in changes and assignee.id != actor.id:
        notify(
            assignee,
            "frontdesk.request",
            req,
            text=_l("Request #%(id)s was assigned to you: %(title)s", id=req.id, title=req.title),
            url=_path(f"/requests/{req.id}"),
            dedupe_key=f"frontdesk.request.assigned:{req.id}:{secrets.token_hex(6)}",
        )
    _tell_requester(
        req,
        actor,
        _l("Your request #%(id)s was reviewed by the back office.", id=req.id),
    )
    return changes


def change_request_status(
    req: StaffRequest, *, actor: User, status: str, reason: str | None = None
) -> None:
    """Move a request new → in progress → done, or reject it with a reason."""
    if not actor.can("requests.triage"):
        raise NotAllowed(_("Only back office changes the status of requests."))
    if not req.can_move_to(status):
        raise InvalidTransition(_("This request cannot move to that status."))
    reason = _clean(reason, 500)
    if status == REJECTED and not reason:
        raise ValidationError(_("Say why the request is rejected."), field="reason")
    previous = req.status
    req.status = status
    if status == REJECTED:
        req.reject_reason = reason
    if status in (DONE, REJECTED):
        req.closed_at = utcnow()
    if status != NEW and req.triaged_at is None:
        req.triaged_at = utcnow()
    audit.record(
        actor,
        "frontdesk.request.status",
        req,
        {"status": [previous, status], **({"reason": reason} if reason else {})},
    )
    label = REQUEST_STATUS_LABELS[status]
    if status == REJECTED:
        text = _l("Your request #%(id)s was rejected: %(reason)s", id=req.id, reason=reason or "")
    else:
        text = _l("Your request #%(id)s is now: %(status)s", id=req.id, status=label)
    _tell_requester(req, actor, text)


def add_request_comment(req: StaffRequest, *, author: User, body: str | None) -> RequestComment:
    """Comments go both ways: the requester and the back office are told of the other's."""
    if req.requester_id != author.id and not author.can("requests.triage"):
        raise NotAllowed(_("This request is not yours."))
    body = (body or "").strip()[:4000]
    if not body:
        raise ValidationError(_("Write a comment."), field="body")
    comment = RequestComment(request=req, author=author, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record(author, "frontdesk.request.commented", req)
    if author.id == req.requester_id:
        if req.assignee is not None:
            notify(
                req.assignee,
                "frontdesk.request",
                req,
                text=_l("%(name)s commented on request #%(id)s.", name=author.name, id=req.id),
                url=_path(f"/requests/{req.id}"),
                dedupe_key=f"frontdesk.request.comment:{comment.id}",
            )
    else:
        _tell_requester(
            req, author, _l("The back office commented on your request #%(id)s.", id=req.id)
        )
    return comment


# --- dashboard figures ------------------------------------------------------------------------


def _count(table: Any, *conditions: Any) -> Any:
    return select(func.count()).select_from(table).where(*conditions).scalar_subquery()


_VISIT = Visit.__table__
_REQUEST = StaffRequest.__table__

# The front-desk card's five figures in one round trip, built once.
_DESK_SUMMARY = select(
    _count(_CALL, _C.created_at >= bindparam("since"), _C.status != VOID).label("calls_today"),
    _count(_CALL, _C.status == OPEN).label("open_messages"),
    _count(_CALL, _C.status == OPEN, _C.callback_due_at < bindparam("now")).label("overdue"),
    _count(_VISIT, _VISIT.c.left_at.is_(None), _VISIT.c.voided_at.is_(None)).label("visitors"),
    _count(_REQUEST, _REQUEST.c.status == NEW).label("untriaged"),
)


def desk_summary(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    row = db.session.execute(
        _DESK_SUMMARY, {"since": day_start(today_local(now)), "now": now}
    ).one()
    return {key: value or 0 for key, value in row._mapping.items()}


def my_requests_summary(user: User, limit: int = 5) -> list[StaffRequest]:
    return list(
        db.session.scalars(
            select(StaffRequest)
            .where(
                StaffRequest.requester_id == user.id,
                or_(
                    StaffRequest.status.in_((NEW, IN_PROGRESS)),
                    and_(
                        StaffRequest.closed_at.is_not(None),
                        StaffRequest.closed_at >= utcnow() - timedelta(days=7),
                    ),
                ),
            )
            .order_by(StaffRequest.created_at.desc())
            .limit(limit)
        )
    )
