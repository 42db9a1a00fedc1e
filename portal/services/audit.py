"""Record who did what; every change to a record goes through ``record``."""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEntry, User

log = logging.getLogger(__name__)


def _address() -> str | None:
    return request.remote_addr if has_request_context() else None


def _target_parts(target: Any) -> tuple[str | None, int | None, str | None]:
    if target is None:
        return None, None, None
    if isinstance(target, tuple):
        kind, ident = target
        return kind, ident, None
    return type(target).__name__, getattr(target, "id", None), str(target)[:200]


def record(
    actor: User | None, action: str, target: Any = None, changes: dict[str, Any] | None = None
) -> AuditEntry:
    """Add an audit entry to the current transaction (it lands only if the change commits)."""
    kind, ident, label = _target_parts(target)
    actor_id = getattr(actor, "id", None) if actor is not None else None
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target_type=kind,
        target_id=ident,
        target_label=label,
        changes=changes or None,
        address=_address(),
    )
    db.session.add(entry)
    return entry


def record_now(actor: User | None, action: str, target: Any = None, **changes: Any) -> None:
    """Record and commit at once: for events outside any change (sign-ins, denials)."""
    record(actor, action, target, changes or None)
    db.session.commit()


def record_denial(actor: User, endpoint: str, permission: str | None) -> None:
    """Record a refused request; never let the log itself break the 403."""
    try:
        record_now(actor, "access.denied", None, endpoint=endpoint, permission=permission)
    except Exception:
        db.session.rollback()
        log.exception("could not record access denial")


def diff(obj: Any, fields: list[str], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for the fields whose value changes."""
    changes: dict[str, list[Any]] = {}
    for name in fields:
        if name not in new:
            continue
        old = getattr(obj, name)
        if old != new[name]:
            changes[name] = [_plain(old), _plain(new[name])]
    return changes


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return str(value)


def list_entries(
    *,
    action: str | None = None,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
):
    """Return a select of entries, newest first, filtered."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    return stmt


def count_since(since) -> int:
    """How many audit entries were written since ``since``."""
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.at >= since)) or 0
