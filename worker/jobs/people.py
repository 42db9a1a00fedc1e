"""People jobs: close accounts after the last day, remind overdue steps and expiring training.

Periodic, idempotent (each guarded by a conditional UPDATE on its row), ids only.
"""

from __future__ import annotations

import logging

from portal.extensions import db
from portal.services import people

log = logging.getLogger(__name__)


def close_due_accounts() -> int:
    """Disable the accounts whose last working day is over in the company's time zone."""
    closed = people.close_due_accounts()
    db.session.commit()
    if closed:
        log.info("people: closed the accounts of %s employees after their last day", len(closed))
    return len(closed)


def remind_overdue_tasks() -> int:
    """Notify the assignees of overdue onboarding / offboarding steps (once a day each)."""
    sent = people.remind_overdue()
    db.session.commit()
    return sent


def remind_expiring_training() -> int:
    """Remind employees of mandatory training that expires within a month."""
    sent = people.remind_expiring()
    db.session.commit()
    return sent
