"""Retention: CVs of closed applications are purged after ``retention_days()``; candidates who
were not hired are anonymised once the LGPD policy's period is over (the job and the policy live
in ``portal.services.people.retention``); the talent-pool consent that keeps them longer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, delete, func, not_, or_, select, update

from portal.errors import Conflict
from portal.extensions import db
from portal.models import (
    AuditEntry,
    DevMailboxMessage,
    Notification,
    OutboundAttachment,
    OutboundMessage,
    User,
)
from portal.models.base import utcnow
from portal.models.recruiting import (
    CLOSED,
    HIRED,
    REJECTED,
    WITHDRAWN,
    Application,
    ApplicationEvent,
    Candidate,
    CVFile,
    FormToken,
    Interview,
    Opening,
    Scorecard,
    summarise_evidence,
)
from portal.services import audit, company
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


# --- LGPD: talent-pool consent, and anonymising candidates who were not hired ------------------

ANONYMOUS = "[anonymised]"
ANONYMOUS_EMAIL = "anonymised@invalid"
# Timeline details that are statistics (stages, scores, counts); anything else (a reason typed
# by HR, the name of a duplicate) goes.
SAFE_EVENT_KEYS = frozenset(
    {"old", "new", "source", "score", "recommendation", "files", "days", "start", "of_id"}
)


def shift_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months (the day clipped to the month's last)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def consent_text(months: int) -> str:
    """The consent the candidate agrees to, in the current language, stored word for word."""
    return _(
        "I agree that %(company)s keeps my CV and contact details in its talent pool for "
        "%(months)d months, to consider me for future openings. I may withdraw this consent at "
        "any time by asking the company.",
        company=company.display_name() or _("the company"),
        months=months,
    )


def record_consent(
    candidate: Candidate, *, actor: User | None, months: int, now: datetime | None = None
) -> Candidate:
    """Record the candidate's consent to stay in the talent pool for ``months`` months."""
    if candidate.anonymised_at is not None:
        raise Conflict(_("This candidate is anonymised."))
    now = now or utcnow()
    candidate.pool_consent_at = now
    candidate.pool_consent_until = shift_months(now, months)
    candidate.pool_consent_text = consent_text(months)
    audit.record(
        actor,
        "recruiting.consent.recorded",
        ("Candidate", candidate.id),
        {"until": candidate.pool_consent_until.isoformat(), "months": months},
    )
    return candidate


def withdraw_consent(
    candidate: Candidate, *, actor: User | None, now: datetime | None = None
) -> Candidate:
    """End the consent now: the candidate is anonymised once the "not hired" period is over."""
    if candidate.pool_consent_until is None or candidate.anonymised_at is not None:
        raise Conflict(_("There is no consent to withdraw."))
    candidate.pool_consent_until = min(candidate.pool_consent_until, now or utcnow())
    audit.record(actor, "recruiting.consent.withdrawn", ("Candidate", candidate.id))
    return candidate


def consent_is_valid(candidate: Candidate, now: datetime | None = None) -> bool:
    until = candidate.pool_consent_until
    return until is not None and until > (now or utcnow())


def _closed_before(cutoff: datetime) -> Any:
    """An application that ended before ``cutoff``: rejected / withdrawn, or left in an opening
    that was closed (and not hired)."""
    closed_openings = select(Opening.id).where(Opening.status == CLOSED)
    return or_(
        and_(Application.stage.in_((REJECTED, WITHDRAWN)), Application.closed_at < cutoff),
        and_(
            Application.stage != HIRED,
            Application.opening_id.in_(closed_openings),
            func.coalesce(Application.closed_at, Application.updated_at) < cutoff,
        ),
    )


def expired_candidates(cutoff: datetime, now: datetime) -> Select[Any]:
    """Ids of candidates not hired whose every application ended before ``cutoff`` and who hold
    no valid talent-pool consent: the ones the retention job anonymises, oldest first."""
    ended = _closed_before(cutoff)
    live = (
        select(Application.id).where(Application.candidate_id == Candidate.id, not_(ended)).exists()
    )
    ended_any = (
        select(Application.id).where(Application.candidate_id == Candidate.id, ended).exists()
    )
    return (
        select(Candidate.id)
        .where(
            Candidate.anonymised_at.is_(None),
            or_(Candidate.pool_consent_until.is_(None), Candidate.pool_consent_until <= now),
            ended_any,
            ~live,
        )
        .order_by(Candidate.id)
    )


def _targets(column_type: Any, column_id: Any, targets: dict[str, list[int]]) -> Any:
    return or_(
        *(and_(column_type == kind, column_id.in_(ids)) for kind, ids in targets.items() if ids)
    )


def scrub_traces(targets: dict[str, list[int]]) -> None:
    """Erase what other tables say about these rows (``{"Candidate": [ids], ...}``):
    notifications about them, the e-mails sent about them (addresses, bodies, attachments, the
    dev mailbox's copy), the labels and values in the audit log (who did what, and when,
    stays).  One statement per table for all the kinds (indexed on the target)."""
    if not any(targets.values()):
        return
    db.session.execute(
        delete(Notification).where(
            _targets(Notification.target_type, Notification.target_id, targets)
        )
    )
    about = _targets(OutboundMessage.target_type, OutboundMessage.target_id, targets)
    messages = list(db.session.scalars(select(OutboundMessage.id).where(about)))
    if messages:
        db.session.execute(
            delete(OutboundAttachment).where(OutboundAttachment.message_id.in_(messages))
        )
        # The dev mailbox (no SMTP server configured) keeps a copy of each message as sent.
        db.session.execute(
            delete(DevMailboxMessage).where(DevMailboxMessage.outbound_id.in_(messages))
        )
        db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(messages))
            .values(
                recipients=[ANONYMOUS_EMAIL],
                subject=ANONYMOUS,
                text_body=ANONYMOUS,
                html_body=None,
                headers=None,
                recipient_status=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(AuditEntry)
        .where(_targets(AuditEntry.target_type, AuditEntry.target_id, targets))
        .values(target_label=ANONYMOUS, changes=None)
        .execution_options(synchronize_session=False)
    )


def anonymise_candidates(ids: list[int], *, now: datetime | None = None) -> int:
    """Anonymise these candidates in a few set-based statements; irreversible.

    Kept for the statistics: the candidate row (counted), every application with its opening
    (and so the department), stage, score, dates and timeline kinds; interviews with their
    times and ratings.  Gone: name, e-mail, phone, consent text, CV files and text, the CV
    quotes in the evidence, reasons typed by HR, scorecard notes, the e-mails sent to them,
    their notifications and the labels of their audit entries.

    Everything is read first and the application and candidate rows are written last, so the
    rows a page is most likely to write are locked for the shortest time.
    """
    if not ids:
        return 0
    now = now or utcnow()
    applications = list(
        db.session.scalars(select(Application.id).where(Application.candidate_id.in_(ids)))
    )
    interviews: list[int] = []
    stored: list[str] = []
    events: dict[str, tuple[dict[str, Any], list[int]]] = {}
    if applications:
        interviews = list(
            db.session.scalars(
                select(Interview.id).where(Interview.application_id.in_(applications))
            )
        )
        stored = list(
            db.session.scalars(
                select(CVFile.stored_name).where(CVFile.application_id.in_(applications))
            )
        )
        events = _events_to_strip(
            or_(
                ApplicationEvent.application_id.in_(applications),
                ApplicationEvent.application_id.in_(
                    select(Application.id).where(Application.duplicate_of_id.in_(ids))
                ),
            )
        )
        for details, event_ids in events.values():
            db.session.execute(
                update(ApplicationEvent)
                .where(ApplicationEvent.id.in_(event_ids))
                .values(details=details)
                .execution_options(synchronize_session=False)
            )
    if interviews:
        db.session.execute(
            update(Scorecard)
            .where(Scorecard.interview_id.in_(interviews))
            .values(notes="")
            .execution_options(synchronize_session=False)
        )
    scrub_traces({"Candidate": ids, "Application": applications, "Interview": interviews})
    # Last, the rows HR's pages write to (an application's stage, a candidate's details): their
    # locks last only until the commit that follows.
    if applications:
        db.session.execute(delete(CVFile).where(CVFile.application_id.in_(applications)))
        db.session.execute(
            update(Application)
            .where(Application.id.in_(applications))
            .values(
                cv_text=None,
                stage_reason=None,
                evidence={},
                rank_summary=summarise_evidence({}),
                cv_purged_at=func.coalesce(Application.cv_purged_at, now),
            )
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(Candidate)
        .where(Candidate.id.in_(ids))
        .values(
            name=ANONYMOUS,
            email=None,
            phone=None,
            pool_consent_text=None,
            anonymised_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    for name in stored:
        files.delete_stored(name)
    return len(ids)


def _events_to_strip(where: Any) -> dict[str, tuple[dict[str, Any], list[int]]]:
    """Timeline events holding more than statistics, grouped by what they keep (one UPDATE per
    group: a batch's events mostly keep the same few keys)."""
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for event_id, details in db.session.execute(
        select(ApplicationEvent.id, ApplicationEvent.details).where(where)
    ):
        details = details or {}
        if not set(details) - SAFE_EVENT_KEYS:
            continue
        kept = {k: v for k, v in details.items() if k in SAFE_EVENT_KEYS}
        key = json.dumps(kept, sort_keys=True, default=str)
        groups.setdefault(key, (kept, []))[1].append(event_id)
    return groups
