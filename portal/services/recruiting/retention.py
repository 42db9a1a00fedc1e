"""Retention: CVs of closed applications are purged after ``retention_days()``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.recruiting import REJECTED, WITHDRAWN, Application, FormToken
from portal.services import audit
from portal.services.recruiting import files
from portal.services.recruiting.applications import cv_files_of, record_event

DEFAULT_RETENTION_DAYS = 180


def retention_days() -> int:
    """Days a rejected / withdrawn candidate's CV is kept (``PORTAL_CV_RETENTION_DAYS``).

    0 keeps CVs forever.
    """
    return int(
        files.setting("CV_RETENTION_DAYS", "PORTAL_CV_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))
    )


def _strip_cv_text(evidence: dict[str, Any] | None) -> dict[str, Any]:
    """The evidence without the quotes from the CV (matched requirements and points stay)."""
    ev = dict(evidence or {})
    for key in ("must", "nice"):
        ev[key] = [{**item, "snippet": ""} for item in ev.get(key, [])]
    ev["ranges"] = [{**r, "text": ""} for r in ev.get("ranges", [])]
    return ev


def purge_expired_cvs(now: datetime | None = None, limit: int = 500) -> int:
    """Delete the CV files, extracted text and CV quotes of applications rejected or withdrawn
    more than ``retention_days()`` ago.  The candidate and application stay (name, stage, score,
    timeline) with a note on the timeline and an audit entry.  Returns how many were purged.
    """
    days = retention_days()
    if days <= 0:
        return 0
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Application)
            .where(
                Application.stage.in_((REJECTED, WITHDRAWN)),
                Application.closed_at < now - timedelta(days=days),
                Application.cv_purged_at.is_(None),
            )
            .order_by(Application.closed_at)
            .limit(limit)
        )
    )
    for application in due:
        cvs = cv_files_of(application)
        for cv in cvs:
            files.delete_stored(cv.stored_name)
            db.session.delete(cv)
        application.cv_text = None
        application.evidence = _strip_cv_text(application.evidence)
        application.cv_purged_at = now
        record_event(application, "cv_purged", None, files=len(cvs), days=days)
        audit.record(
            None, "recruiting.cv.purged", application, {"files": len(cvs), "retention_days": days}
        )
    # Form tokens only matter for a double click: a day is plenty.
    db.session.execute(
        FormToken.__table__.delete().where(FormToken.created_at < now - timedelta(days=1))
    )
    return len(due)
