"""Tell a person that something happened: in the portal, and by e-mail if they want it."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale, lazy_gettext
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Notification, NotificationPreference, User
from portal.models.base import utcnow
from portal.services import audit, outbox

# Every kind of notification, with the label shown on the preferences page.  Areas add theirs.
KINDS: dict[str, Any] = {
    "system": lazy_gettext("System messages"),
}


def register_kind(kind: str, label: Any) -> None:
    """Declare a notification kind (called at import time by each area's service module)."""
    KINDS[kind] = label


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
    *,
    text: Any,
    url: str | None = None,
    email: bool = True,
    dedupe_key: str | None = None,
) -> Notification:
    """Create an in-app notification and, if the user's preference allows, an e-mail.

    ``text`` is a lazy string (or a callable returning one) rendered in the recipient's language.
    ``dedupe_key`` defaults to one notification per (user, kind, target).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        rendered = str(text() if callable(text) else text)
    note = Notification(
        user_id=user.id,
        kind=kind,
        text=rendered[:500],
        url=url,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
    )
    db.session.add(note)
    db.session.flush()
    if email and user.active and wants_email(user, kind):
        key = dedupe_key or f"notify:{user.id}:{kind}:{note.target_type}:{note.target_id}:{note.id}"
        outbox.queue_email(
            user.email,
            "notification",
            {"user": user, "text": rendered, "url": url},
            dedupe_key=key,
            locale=locale,
            target=target,
        )
    return note


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


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one notification (or all of them) read; return how many changed."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = db.session.execute(stmt.values(read_at=utcnow()))
    return result.rowcount or 0


def set_preferences(user: User, email_kinds: set[str]) -> None:
    """Store, per kind, whether the user also wants an e-mail; audit what changed (old → new)."""
    existing = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    changes: dict[str, list[bool]] = {}
    for kind in KINDS:
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
