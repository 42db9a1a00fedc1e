"""Recruiting jobs: CV extraction + scoring, and interview reminders.  Idempotent, ids only."""

from __future__ import annotations

import logging

from portal.extensions import db
from portal.services import recruiting
from portal.services.recruiting import files

log = logging.getLogger(__name__)


def process_cv(cv_id: int) -> str:
    """Extract one CV in the sandbox, then create and score its application."""
    cv = recruiting.claim_cv(cv_id)
    db.session.commit()
    if cv is None:
        return "skipped"
    try:
        text, error = files.extract_text(cv.kind, files.path_of(cv.stored_name))
    except Exception:
        log.exception("CV %s: extraction crashed", cv_id)
        text, error = None, "corrupt"
    try:
        # While this CV is scored and committed, the sandbox parses the next ones of the batch.
        files.prefetch(recruiting.next_queued_cvs(cv))
    except Exception:  # an optimisation only: never let it fail the CV
        log.exception("CV %s: prefetch failed", cv_id)
    if error is not None or text is None:
        recruiting.fail_cv(cv, error or "corrupt")
        db.session.commit()
        log.info("CV %s refused by the parser: %s", cv_id, error)
        return "failed"
    try:
        recruiting.ingest_cv(cv, text)
        db.session.commit()
    except Exception:
        db.session.rollback()
        recruiting.fail_cv(cv, "corrupt")
        db.session.commit()
        raise
    return "scored"


def sweep_cvs() -> int:
    """Periodic: re-enqueue CVs whose job was lost (the database row is the truth)."""
    from portal.enqueue import enqueue_now

    ids = recruiting.stuck_cvs()
    db.session.commit()
    for cv_id in ids:
        enqueue_now(process_cv, cv_id, queue="default")
    return len(ids)


def send_interview_reminders() -> int:
    """Periodic: remind of interviews in the next 24 hours (once each, DB-guarded)."""
    sent = recruiting.send_due_reminders()
    db.session.commit()
    return sent


def purge_expired_cvs() -> int:
    """Periodic: delete CVs of candidates rejected / withdrawn longer than the retention period."""
    purged = recruiting.purge_expired_cvs()
    db.session.commit()
    if purged:
        log.info("retention: deleted the CVs of %s closed applications", purged)
    return purged
