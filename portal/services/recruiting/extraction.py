"""CV extraction: the worker claims a CV, then the text becomes a scored application."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.recruiting import (
    CV_EXTRACTING,
    CV_FAILED,
    CV_QUEUED,
    CV_SCORED,
    NEW,
    Application,
    ApplicationEvent,
    Candidate,
    CVFile,
    Opening,
    summarise_evidence,
)
from portal.services.recruiting import files, scoring
from portal.services.recruiting.intake import duplicate_row


@dataclass(frozen=True)
class ClaimedCV:
    """What the worker needs of a claimed CV (read in the claiming UPDATE itself)."""

    id: int
    opening_id: int
    batch: str
    kind: str
    stored_name: str
    original_name: str
    uploaded_by_id: int | None


_CV = CVFile.__table__
_CLAIM = (
    update(_CV)
    .where(_CV.c.id == bindparam("cv_id"), _CV.c.status == CV_QUEUED)
    .values(status=CV_EXTRACTING, claimed_at=bindparam("now"))
    .returning(
        _CV.c.id,
        _CV.c.opening_id,
        _CV.c.batch,
        _CV.c.kind,
        _CV.c.stored_name,
        _CV.c.original_name,
        _CV.c.uploaded_by_id,
    )
)
_NEXT_QUEUED = (
    select(_CV.c.kind, _CV.c.stored_name)
    .where(_CV.c.batch == bindparam("batch"), _CV.c.status == CV_QUEUED)
    .where(_CV.c.id > bindparam("after"))
    .order_by(_CV.c.id)
    .limit(files.Sandbox.DEPTH)
)


def claim_cv(cv_id: int) -> ClaimedCV | None:
    """Take a queued CV for extraction (conditional UPDATE ... RETURNING); None if not ours."""
    row = db.session.execute(_CLAIM, {"cv_id": cv_id, "now": utcnow()}).first()
    return ClaimedCV(*row) if row is not None else None


def stuck_cvs(now: datetime | None = None) -> list[int]:
    """CVs whose job was lost (Redis down, worker killed): requeue them.

    Queued for more than a minute, or extracting for longer than the parser's wall clock allows
    (the worker died mid-file): back to "queued", and their ids are returned to be enqueued.
    """
    now = now or utcnow()
    wall = float(current_app.config.get("CV_PARSE_TIMEOUT", 15))
    db.session.execute(
        update(CVFile)
        .where(
            CVFile.status == CV_EXTRACTING,
            CVFile.claimed_at < now - timedelta(seconds=wall + 120),
        )
        .values(status=CV_QUEUED)
        .execution_options(synchronize_session=False)
    )
    return list(
        db.session.scalars(
            select(CVFile.id)
            .where(CVFile.status == CV_QUEUED, CVFile.created_at < now - timedelta(minutes=1))
            .order_by(CVFile.id)
            .limit(500)
        )
    )


def next_queued_cvs(cv: ClaimedCV) -> list[tuple[str, str]]:
    """(kind, stored name) of the CVs of the same batch most likely to be processed next."""
    return [
        (row[0], row[1])
        for row in db.session.execute(_NEXT_QUEUED, {"batch": cv.batch, "after": cv.id})
    ]


def fail_cv(cv: ClaimedCV | CVFile, code: str) -> None:
    """Record why a CV was refused and remove the stored file (nothing hostile is kept)."""
    db.session.execute(
        update(CVFile)
        .where(CVFile.id == cv.id)
        .values(status=CV_FAILED, error=code, processed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    files.delete_stored(cv.stored_name)


# Built once: executing a prepared statement with parameters skips building and caching it anew.
_T_CANDIDATE, _T_APPLICATION = Candidate.__table__, Application.__table__
_T_EVENT, _T_CV = ApplicationEvent.__table__, CVFile.__table__
_INSERT_CANDIDATE = insert(_T_CANDIDATE).returning(_T_CANDIDATE.c.id)
_INSERT_APPLICATION = insert(_T_APPLICATION).returning(_T_APPLICATION.c.id)
_INSERT_EVENT = insert(_T_EVENT)
_OPENING_RULES = select(Opening.requirements, Opening.min_years).where(
    Opening.id == bindparam("opening_id")
)
_CV_SCORED = (
    update(_T_CV)
    .where(_T_CV.c.id == bindparam("cv_id"))
    .values(
        application_id=bindparam("app_id"),
        status=CV_SCORED,
        processed_at=bindparam("now"),
    )
)


def ingest_cv(cv: ClaimedCV, text: str) -> int:
    """Turn an extracted CV into a candidate + scored application (duplicates flagged).

    The worker's hot path: a handful of prepared Core statements (the opening's requirements,
    the duplicate lookup, three inserts, one update) instead of ORM flushes, so the worker spends
    its time on the CV, not on bookkeeping.  Returns the application id.
    """
    region = current_app.config["PORTAL_PHONE_REGION"]
    contacts = files.extract_contacts(text, region)
    name = contacts["name"] or cv.original_name.rsplit(".", 1)[0].replace("_", " ")[:160]
    session = db.session
    opening = session.execute(_OPENING_RULES, {"opening_id": cv.opening_id}).one()
    result = scoring.score_cv(text, opening.requirements or [], opening.min_years or 0)
    duplicate = duplicate_row(contacts["email"], contacts["phone"])
    now = utcnow()
    candidate_id = session.execute(
        _INSERT_CANDIDATE,
        {
            "name": name or _("Unnamed candidate"),
            "email": contacts["email"],
            "phone": contacts["phone"],
            "locale": result["locale"],
            "created_at": now,
        },
    ).scalar_one()
    application_id = session.execute(
        _INSERT_APPLICATION,
        {
            "opening_id": cv.opening_id,
            "candidate_id": candidate_id,
            "stage": NEW,
            "stage_reason": None,
            "cv_text": text,
            "score": result["score"],
            "evidence": result,
            "rank_summary": summarise_evidence(result),
            "years": result["years"],
            "missing_must": scoring.missing_key(result["missing"]),
            "duplicate_of_id": duplicate[0] if duplicate else None,
            "duplicate_state": "possible" if duplicate else None,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    events = [
        {
            "application_id": application_id,
            "kind": "applied",
            "actor_id": cv.uploaded_by_id,
            "details": {"source": cv.original_name, "score": result["score"]},
            "at": now,
        }
    ]
    if duplicate:
        events.append(
            {
                "application_id": application_id,
                "kind": "duplicate",
                "actor_id": None,
                "details": {"of": duplicate[1], "of_id": duplicate[0]},
                "at": now,
            }
        )
    session.execute(_INSERT_EVENT, events)
    session.execute(_CV_SCORED, {"cv_id": cv.id, "app_id": application_id, "now": now})
    return application_id
