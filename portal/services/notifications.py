"""Tell a person that something happened: in the portal, and by e-mail if they want it.

A notification is stored as its kind, a message (the gettext msgid, i.e. the English source
text) and the message's parameters, never as text: the page, the bell and the e-mail render it
in the language of whoever reads it, so a notification created while its reader used English
reads in Portuguese once they switch.  Parameters may themselves be translatable (a status
label given as a lazy string), dates, datetimes or decimals: each is rendered through the
reader's locale when shown.

The kinds are those the areas registered (``registry.notification_kind`` in their
``register(app)``); importing this module declares nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import numbers as babel_numbers
from flask import current_app
from flask_babel import force_locale, gettext, ngettext, npgettext, pgettext
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update

from portal import formatting, ui
from portal.extensions import db
from portal.i18n import current_locale
from portal.models import Notification, NotificationPreference, User
from portal.models.base import utcnow
from portal.services import audit, outbox

log = logging.getLogger(__name__)

# The translation functions a stored message or parameter may name, by name.
_TRANSLATORS: dict[str, Callable[..., str]] = {
    "gettext": gettext,
    "pgettext": pgettext,
    "ngettext": ngettext,
    "npgettext": npgettext,
}
_CONTEXT = "\x04"  # gettext's own separator of a message context and its msgid
LATEST = 6  # notifications in the bell's drop-down


class Money:
    """A notification parameter shown as money in the reader's locale (``R$ 1.234,56``)."""

    def __init__(self, amount: Any, currency: str = "BRL") -> None:
        self.amount, self.currency = Decimal(str(amount or 0)), currency


def kinds() -> dict[str, Any]:
    """Every notification kind the areas registered, kind -> label, in registration order."""
    return ui.current().notification_kinds


# --- storing: a lazy string or msgid + params become JSON ---------------------------------------


def _translator_name(func: Any) -> str | None:
    name = getattr(func, "__name__", None)
    return name if name in _TRANSLATORS else None


def _encode(value: Any) -> Any:
    """A parameter as JSON, translatable values kept translatable."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, LazyString):
        name = _translator_name(value._func)
        if name is None:  # a lazy string of something else: freeze it
            return str(value)
        return {
            "_t": name,
            "args": list(value._args),
            "vars": {k: _encode(v) for k, v in value._kwargs.items()},
        }
    if isinstance(value, Money):
        return {"_money": str(value.amount), "currency": value.currency}
    if isinstance(value, datetime):
        return {"_datetime": value.isoformat()}
    if isinstance(value, date):
        return {"_date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"_decimal": str(value)}
    return str(value)


def _message_of(message: Any) -> tuple[str | None, dict[str, Any]]:
    """(msgid, params) of a lazy string given as the message (its variables become params)."""
    if isinstance(message, LazyString) and _translator_name(message._func):
        name, args = _translator_name(message._func), list(message._args)
        params = {k: _encode(v) for k, v in message._kwargs.items()}
        if name == "gettext":
            return args[0], params
        if name == "pgettext":
            return args[0] + _CONTEXT + args[1], params
        # plurals: the singular is the message, the plural and the count travel as params
        if name == "npgettext":
            context, args = args[0], args[1:]
            params["_context"] = context
        params["_plural"], params["_n"] = args[1], args[2]
        return args[0], params
    if isinstance(message, str):
        return message, {}
    return None, {"text": str(message)}


def encode(message: Any, params: dict[str, Any] | None = None) -> tuple[str | None, dict]:
    """The (message, params) columns for ``message`` (msgid or lazy string) and ``params``."""
    msgid, found = _message_of(message)
    found.update({k: _encode(v) for k, v in (params or {}).items()})
    return msgid, found


# --- showing: rendered in the current locale ----------------------------------------------------


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "_t" in value:
        translate = _TRANSLATORS.get(value["_t"], gettext)
        variables = {k: _decode(v) for k, v in (value.get("vars") or {}).items()}
        try:
            return translate(*value.get("args", ()), **variables)
        except (KeyError, ValueError, TypeError):
            return str(value.get("args", [""])[-1])
    if "_money" in value:
        return formatting.format_money(Decimal(value["_money"]), value.get("currency", "BRL"))
    if "_datetime" in value:
        return formatting.format_datetime(datetime.fromisoformat(value["_datetime"]), "short")
    if "_date" in value:
        return formatting.format_date(date.fromisoformat(value["_date"]), "short")
    if "_decimal" in value:
        locale = str(current_locale() or "en")
        return babel_numbers.format_decimal(Decimal(value["_decimal"]), locale=locale)
    return str(value)


def render(note: Notification) -> str:
    """The notification's text in the current locale (the reader's)."""
    params = dict(note.params or {})
    if not note.message:
        return str(params.get("text", ""))
    plural, count = params.pop("_plural", None), params.pop("_n", None)
    context = params.pop("_context", None)
    values = {k: _decode(v) for k, v in params.items()}
    msgid = note.message
    try:
        if plural is not None:
            if context is not None:
                return npgettext(context, msgid, plural, count, **values)
            return ngettext(msgid, plural, count, **values)
        if _CONTEXT in msgid:
            ctx, _, msgid = msgid.partition(_CONTEXT)
            return pgettext(ctx, msgid, **values)
        return gettext(msgid, **values)
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder
        log.warning("notification %s: cannot render %r", note.id, note.message)
        try:
            return msgid % values
        except (KeyError, ValueError, TypeError):
            return msgid


def render_in(note: Notification, locale: str) -> str:
    with force_locale(locale):
        return render(note)


# --- writing ----------------------------------------------------------------------------------


def wants_email(user: User, kind: str) -> bool:
    """Return the user's choice for ``kind``; e-mail is on unless they turned it off."""
    pref = db.session.scalar(
        select(NotificationPreference.email).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return True if pref is None else bool(pref)


def notify(
    user: User,
    kind: str,
    target: Any = None,
    message: Any = None,
    params: dict[str, Any] | None = None,
    *,
    text: Any = None,
    url: str | None = None,
    email: bool = True,
    dedupe_key: str | None = None,
) -> Notification:
    """Create an in-app notification and, if the user's preference allows, an e-mail.

    ``message`` is the msgid, marked for translation with ``_l("... %(name)s ...")``, and
    ``params`` its values (lazy strings, dates, ``Money`` and decimals are rendered in the
    reader's locale when shown).  The older form ``text=_l("...", name=...)`` (or a callable
    returning such a lazy string) is still accepted and stored the same way.
    ``dedupe_key`` defaults to one e-mail per notification.
    """
    if kind not in kinds():
        raise ValueError(f"unknown notification kind {kind!r}")
    if message is None:
        if text is None:
            raise TypeError("notify() needs a message")
        message = text() if callable(text) and not isinstance(text, LazyString) else text
    msgid, stored = encode(message, params)
    note = Notification(
        user_id=user.id,
        kind=kind,
        message=msgid[:500] if msgid else None,
        params=stored,
        url=url,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
    )
    db.session.add(note)
    db.session.flush()
    if email and user.active and wants_email(user, kind):
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        key = dedupe_key or f"notify:{user.id}:{kind}:{note.target_type}:{note.target_id}:{note.id}"
        outbox.queue_email(
            user.email,
            "notification",
            {"user": user, "text": render_in(note, locale), "url": url},
            dedupe_key=key,
            locale=locale,
            target=target,
        )
    return note


# --- reading ------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """Count unread notifications with one indexed query."""
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def list_for(user: User):
    """Return a select of the user's notifications, newest first."""
    return (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def latest(user: User, limit: int = LATEST) -> list[Notification]:
    """The user's newest notifications, for the bell's drop-down (one query)."""
    return list(db.session.scalars(list_for(user).limit(limit)))


def get_own(user: User, notification_id: int) -> Notification | None:
    """The user's notification ``notification_id``, or None (someone else's is not found)."""
    return db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )


def open_notification(user: User, notification_id: int) -> Notification | None:
    """Mark the user's notification read (opening it) and return it; None if not theirs."""
    note = get_own(user, notification_id)
    if note is not None and note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one notification (or all of them) read; return how many changed."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = db.session.execute(stmt.values(read_at=utcnow()))
    return result.rowcount or 0


def preferences(user: User) -> list[tuple[str, Any, bool]]:
    """(kind, label, wants e-mail) for every registered kind, in registration order."""
    chosen = {
        p.kind: bool(p.email)
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    return [(kind, label, chosen.get(kind, True)) for kind, label in kinds().items()]


def set_preferences(user: User, email_kinds: Iterable[str]) -> None:
    """Store, per kind, whether the user also wants an e-mail; audit what changed (old → new)."""
    email_kinds = set(email_kinds)
    existing = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    changes: dict[str, list[bool]] = {}
    for kind in kinds():
        pref = existing.get(kind)
        old = True if pref is None else bool(pref.email)
        new = kind in email_kinds
        if old != new:
            changes[f"email:{kind}"] = [old, new]
        if pref is None:
            pref = NotificationPreference(user_id=user.id, kind=kind)
            db.session.add(pref)
        pref.email = new
    if changes:
        audit.record(user, "notifications.preferences", user, changes)
