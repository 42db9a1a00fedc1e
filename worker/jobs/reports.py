"""Reports jobs: the monthly summary e-mail (idempotent per person and month) and the daily
rollups (idempotent: a day is rolled up once it is sealed, and rewritten whole)."""

from __future__ import annotations

import logging

from portal.extensions import db
from portal.services import reports

log = logging.getLogger(__name__)


def send_monthly_summaries() -> int:
    """Queue last month's PDF summary for each subscriber who has not had it; commit."""
    try:
        queued = reports.send_monthly_summaries()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if queued:
        log.info("queued %d monthly summaries", queued)
    return queued


def refresh_rollups() -> int:
    """Add the sealed days not yet in the reports' daily rollups; commit."""
    try:
        added = reports.refresh_rollups()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if added:
        log.info("rolled up %d days", added)
    return added
