"""LGPD retention: anonymise what has outlived its retention period, in short transactions.

Periodic (daily) and on HR's "run now".  Each batch of ``retention.BATCH`` rows is one
transaction, committed before the next is read, so the rows it locks are released within a
fraction of a second and the web pages never wait on it (``bench/retention.py`` measures this
on PostgreSQL).  Idempotent: a second run finds nothing left.
"""

from __future__ import annotations

import logging

from portal.extensions import db
from portal.models.base import utcnow
from portal.services.people import retention

log = logging.getLogger(__name__)


def anonymise_expired(batch: int = retention.BATCH) -> dict[str, int]:
    """Anonymise every expired record, kind by kind, ``batch`` rows per transaction."""
    now = utcnow()
    totals: dict[str, int] = {}
    for kind in retention.ANONYMISED:
        total = 0
        while True:
            try:
                done = retention.anonymise_batch(kind, now=now, limit=batch)
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            total += done
            if done < batch:
                break
        totals[kind] = total
        if total:
            log.info("retention: anonymised %s %s", total, kind)
    return totals
