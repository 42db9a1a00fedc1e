"""Periodic supplies jobs: each is idempotent and guarded by a database key or condition."""

from __future__ import annotations

from portal.extensions import db
from portal.services import supplies


def escalate_waiting_orders() -> int:
    """Notify managers and admins about orders waiting too long (once per order)."""
    count = supplies.escalate_waiting_orders()
    db.session.commit()
    return count


def notify_low_stock() -> int:
    """Tell back office about items that newly run low (once per day)."""
    count = supplies.notify_low_stock()
    db.session.commit()
    return count


def sync_sent_orders() -> int:
    """Mark approved orders "sent" once the outbox delivered them to the supplier."""
    count = supplies.sync_sent_orders()
    db.session.commit()
    return count
