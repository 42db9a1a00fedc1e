"""Periodic equipment jobs: each is idempotent (guarded by a stamp on the row or a dedupe key)."""

from __future__ import annotations

from portal.extensions import db
from portal.services import equipment


def remind_expiring() -> int:
    """Tell back office and the office manager of contracts and warranties ending soon (once)."""
    count = equipment.remind_expiring()
    db.session.commit()
    return count


def remind_readings() -> int:
    """Once a month: ask back office for the meter readings that are due."""
    count = equipment.remind_readings()
    db.session.commit()
    return count


def open_due_tasks() -> int:
    """Open an upkeep task for each preventive plan that came due (one open task per plan)."""
    count = equipment.open_due_tasks()
    db.session.commit()
    return count


def remind_overdue_repairs() -> int:
    """Tell back office once per repair whose contract response time passed without a visit."""
    count = equipment.remind_overdue()
    db.session.commit()
    return count
