"""Recruiting rules: openings, CV intake, screening, stages, interviews, booking, hiring.

Services flush, never commit.  Scoring lives in ``recruiting_scoring`` (pure), file safety and the
sandboxed parser in ``recruiting_files``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol
from flask import current_app, url_for
from flask_babel import force_locale, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event, vCalAddress, vText
from markupsafe import Markup, escape
from sqlalchemy import Select, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from portal.enqueue import enqueue_after_commit
from portal.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import Department, User
from portal.models.base import utcnow
from portal.models.recruiting import (
    CANCELLED,
    CV_EXTRACTING,  # noqa: F401  (re-exported for the worker)
    CV_FAILED,
    CV_QUEUED,
    CV_SCORED,
    FINAL_STAGES,
    HIRED,
    INTERVIEW,
    NEW,
    OPEN,
    OPENING_STATUSES,
    PIPELINE,
    REJECTED,
    SCHEDULED,
    STAGES,
    WITHDRAWN,
    Application,
    ApplicationEvent,
    BookingToken,
    Candidate,
    CVFile,
    Employee,
    FormToken,
    Interview,
    InterviewSlot,
    Opening,
    Scorecard,
    WorkingHours,
    interview_interviewer,
    summarise_evidence,
)
from portal.pagination import ReadPage, last_page, paged
from portal.services import audit, notifications, outbox
from portal.services import recruiting_files as files
from portal.services import recruiting_scoring as scoring

log = logging.getLogger(__name__)

notifications.register_kind("recruiting.interview", _l("Interviews I take part in"))

STAGE_LABELS = {
    "new": _l("New"),
    "screened": _l("Screened"),
    "shortlisted": _l("Shortlisted"),
    "interview": _l("Interview"),
    "offer": _l("Offer"),
    "hired": _l("Hired"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}
OPENING_STATUS_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "on_hold": _l("On hold"),
    "closed": _l("Closed"),
}
CV_STATUS_LABELS = {
    "queued": _l("Queued"),
    "extracting": _l("Reading"),
    "extracted": _l("Extracted"),
    "scored": _l("Scored"),
    "failed": _l("Failed"),
}
CRITERIA = {
    "technical": _l("Technical skills"),
    "communication": _l("Communication"),
    "problem_solving": _l("Problem solving"),
    "culture": _l("Teamwork"),
}
RECOMMENDATIONS = {
    "strong_yes": _l("Strong yes"),
    "yes": _l("Yes"),
    "no": _l("No"),
    "strong_no": _l("Strong no"),
}


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


# --- openings --------------------------------------------------------------------------------


def parse_requirements(text: str, kind: str) -> list[dict[str, Any]]:
    """Read one requirement per line: ``Excel: planilhas, spreadsheets`` (``SQL*3: ...`` weight)."""
    out = []
    for lineno, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        head, _sep, tail = line.partition(":")
        weight = 1
        m = re.match(r"^(.*?)\s*\*\s*(\d+)\s*$", head)
        if m:
            head, weight = m.group(1), int(m.group(2))
            if not 1 <= weight <= 5:
                raise ValidationError(
                    _("Line %(n)d: the weight must be between 1 and 5.", n=lineno),
                    field="must_haves" if kind == "must" else "nice_to_haves",
                )
        name = head.strip()
        if not name:
            continue
        synonyms = [s.strip() for s in tail.split(",") if s.strip()]
        out.append({"name": name, "synonyms": synonyms, "kind": kind, "weight": weight})
    return scoring.normalise_requirements(out)


def format_requirements(reqs: list[dict[str, Any]], kind: str) -> str:
    lines = []
    for r in reqs or []:
        if r.get("kind") != kind:
            continue
        head = r["name"] + (f"*{r['weight']}" if kind == "nice" and r.get("weight", 1) != 1 else "")
        lines.append(head + (": " + ", ".join(r["synonyms"]) if r.get("synonyms") else ""))
    return "\n".join(lines)


def list_openings(status: str | None = None) -> Select:
    stmt = select(Opening).order_by(Opening.status != OPEN, Opening.created_at.desc())
    if status in OPENING_STATUSES:
        stmt = stmt.where(Opening.status == status)
    return stmt


def get_opening_or_404(opening_id: int, *, interviewers: bool = True) -> Opening:
    """The opening; ``interviewers=False`` skips loading its interviewers (one query less)."""
    options = [] if interviewers else [lazyload(Opening.interviewers)]
    opening = db.session.get(Opening, opening_id, options=options)
    if opening is None:
        raise NotFound(_("This opening does not exist."))
    return opening


def save_opening(
    opening: Opening | None,
    *,
    actor: User,
    title: str,
    description: str,
    must_haves: str,
    nice_to_haves: str,
    min_years: int,
    languages: str,
    location: str,
    status: str,
    department_id: int | None,
    hiring_manager_id: int | None,
    interviewer_ids: Sequence[int],
) -> Opening:
    """Create or update an opening; requirement text is parsed and re-scoring follows."""
    if status not in OPENING_STATUSES:
        raise ValidationError(_("Choose a status."), field="status")
    requirements = parse_requirements(must_haves, "must") + parse_requirements(
        nice_to_haves, "nice"
    )
    if not any(r["kind"] == "must" for r in requirements):
        raise ValidationError(_("List at least one must-have requirement."), field="must_haves")
    interviewers = (
        list(db.session.scalars(select(User).where(User.id.in_(interviewer_ids))))
        if interviewer_ids
        else []
    )
    created = opening is None
    if opening is None:
        opening = Opening()
        db.session.add(opening)
    changed_reqs = opening.requirements != requirements or opening.min_years != min_years
    opening.title = title.strip()
    opening.description = description or ""
    opening.requirements = requirements
    opening.min_years = max(0, int(min_years or 0))
    opening.languages = languages or ""
    opening.location = location or ""
    opening.status = status
    opening.department_id = department_id
    opening.hiring_manager_id = hiring_manager_id
    opening.interviewers = interviewers
    db.session.flush()
    audit.record(
        actor,
        "recruiting.opening.created" if created else "recruiting.opening.updated",
        opening,
        {"title": opening.title, "status": status},
    )
    if changed_reqs and not created:
        rescore_opening(opening)
    return opening


def rescore_opening(opening: Opening) -> int:
    """Score every application of the opening again (after its requirements changed)."""
    count = 0
    for application in db.session.scalars(
        select(Application).where(Application.opening_id == opening.id)
    ):
        _apply_score(application, application.cv_text or "")
        count += 1
    return count


# --- intake ----------------------------------------------------------------------------------


DEFAULT_DAILY_FILES = 200
DEFAULT_DAILY_MB = 200
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_token() -> str:
    """A one-time token for an upload / add-candidate form (see ``FormToken``)."""
    return secrets.token_urlsafe(24)


class AlreadySubmitted(Exception):
    """The same form was submitted before: ``result`` is what the first submission made."""

    def __init__(self, kind: str, result: str | None) -> None:
        super().__init__(kind)
        self.kind, self.result = kind, result


def _check_form_token(token: str | None, *, kind: str, actor: User) -> None:
    """Raise AlreadySubmitted if this form was already submitted (and committed)."""
    if not token:
        return  # a client without the token (scripts, old pages): no idempotency
    if not _TOKEN_RE.fullmatch(token):
        raise ValidationError(_("This form is out of date; reload the page and try again."))
    existing = db.session.get(FormToken, token)
    if existing is not None:
        if existing.user_id != actor.id or existing.kind != kind:
            raise ValidationError(_("This form is out of date; reload the page and try again."))
        raise AlreadySubmitted(kind, existing.result)


def _claim_form_token(token: str | None, *, kind: str, actor: User) -> FormToken | None:
    """Record the form's token (insert); raise AlreadySubmitted if it is already used.

    A concurrent second submission blocks on the primary key until the first commits, then gets
    an IntegrityError: the view rolls back and calls ``submitted_result``.
    """
    _check_form_token(token, kind=kind, actor=actor)
    if not token:
        return None
    row = FormToken(token=token, user_id=actor.id, kind=kind)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        raise AlreadySubmitted(kind, None) from None
    return row


def submitted_result(token: str | None, *, kind: str, actor: User) -> str | None:
    """After AlreadySubmitted (and a rollback): the first submission's result, if it is ours."""
    if not token or not _TOKEN_RE.fullmatch(token):
        return None
    row = db.session.get(FormToken, token)
    if row is None or row.user_id != actor.id or row.kind != kind:
        return None
    return row.result


def quota() -> tuple[int, int]:
    """(files, megabytes) one person may upload per day (``PORTAL_CV_DAILY_FILES`` / ``_MB``)."""
    return (
        int(files.setting("CV_DAILY_FILES", "PORTAL_CV_DAILY_FILES", str(DEFAULT_DAILY_FILES))),
        int(files.setting("CV_DAILY_MB", "PORTAL_CV_DAILY_MB", str(DEFAULT_DAILY_MB))),
    )


def uploaded_today(user: User, now: datetime | None = None) -> tuple[int, int]:
    """(files, bytes) this person uploaded since midnight in the portal's time zone."""
    now = now or utcnow()
    midnight = datetime.combine(now.astimezone(local_tz()).date(), time(0), tzinfo=local_tz())
    count, size = db.session.execute(
        select(func.count(CVFile.id), func.coalesce(func.sum(CVFile.size), 0)).where(
            CVFile.uploaded_by_id == user.id, CVFile.created_at >= midnight.astimezone(UTC)
        )
    ).one()
    return int(count), int(size)


def _check_quota(actor: User, new_files: int, new_bytes: int) -> None:
    max_files, max_mb = quota()
    used_files, used_bytes = uploaded_today(actor)
    if used_files + new_files <= max_files and used_bytes + new_bytes <= max_mb * 1024 * 1024:
        return
    left_files = max(0, max_files - used_files)
    left_mb = max(0.0, (max_mb * 1024 * 1024 - used_bytes) / (1024 * 1024))
    raise ValidationError(
        _(
            "Daily upload limit reached: up to %(files)d files and %(mb)d MB a day per person. "
            "You can still upload %(left_files)d files (%(left_mb).1f MB) today.",
            files=max_files,
            mb=max_mb,
            left_files=left_files,
            left_mb=left_mb,
        ),
        field="files",
    )


def upload_cvs(
    opening: Opening,
    uploads: Iterable[tuple[str | None, bytes]],
    *,
    actor: User,
    token: str | None = None,
) -> str:
    """Check every file, then store them all and queue their extraction; return the batch id.

    All or nothing: one refused file refuses the upload, with a reason per file.  Checks, in
    order: the form token (a second submission of the same form raises AlreadySubmitted), each
    file's name and content, the virus scanner if one is configured, the daily quota.
    """
    _check_form_token(token, kind="upload", actor=actor)  # read only: no lock while scanning
    checked, errors = [], []
    for raw_name, data in uploads:
        try:
            item = files.check_upload(raw_name, data)
            files.scan(item.data)
            checked.append(item)
        except files.Refused as refusal:
            shown = files.sanitise_display(raw_name)
            errors.append(f"{shown}: {refusal.message}")
            log.info("CV refused (%s) for opening %s", refusal.code, opening.id)
            if refusal.code == "av_error":
                break  # the scanner is down: the same answer for every other file
    if errors:
        raise ValidationError(" ".join(errors), field="files")
    if not checked:
        raise ValidationError(_("Choose at least one file."), field="files")
    if opening.status == "closed":
        raise InvalidTransition(_("This opening is closed."))
    form_token = _claim_form_token(token, kind="upload", actor=actor)
    _check_quota(actor, len(checked), sum(len(item.data) for item in checked))
    batch = uuid.uuid4().hex
    if form_token is not None:
        form_token.result = batch
    stored_names: list[str] = []
    try:
        for item in checked:
            stored = files.store(item)
            stored_names.append(stored)
            cv = CVFile(
                opening_id=opening.id,
                batch=batch,
                stored_name=stored,
                original_name=item.name,
                size=len(item.data),
                kind=item.kind,
                content_type=item.content_type,
                sha256=item.sha256,
                status=CV_QUEUED,
                uploaded_by_id=actor.id,
            )
            db.session.add(cv)
            db.session.flush()
            enqueue_after_commit(_process_cv_job(), cv.id, queue="default")
    except Exception:
        for name in stored_names:
            files.delete_stored(name)
        raise
    audit.record(actor, "recruiting.cv.uploaded", opening, {"files": len(checked)})
    return batch


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
        _event(application, "cv_purged", None, files=len(cvs), days=days)
        audit.record(
            None, "recruiting.cv.purged", application, {"files": len(cvs), "retention_days": days}
        )
    # Form tokens only matter for a double click: a day is plenty.
    db.session.execute(
        FormToken.__table__.delete().where(FormToken.created_at < now - timedelta(days=1))
    )
    return len(due)


def _process_cv_job():
    from worker.jobs.recruiting import process_cv

    return process_cv


def list_batch(batch: str) -> list[CVFile]:
    return list(db.session.scalars(select(CVFile).where(CVFile.batch == batch).order_by(CVFile.id)))


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
    duplicate = _duplicate_row(contacts["email"], contacts["phone"])
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


_CANDIDATE = Candidate.__table__
_DUP_BY_EMAIL = (
    select(_CANDIDATE.c.id, _CANDIDATE.c.name)
    .where(_CANDIDATE.c.email == bindparam("email"))
    .order_by(_CANDIDATE.c.id)
    .limit(1)
)
_DUP_BY_PHONE = (
    select(_CANDIDATE.c.id, _CANDIDATE.c.name)
    .where(_CANDIDATE.c.phone == bindparam("phone"))
    .order_by(_CANDIDATE.c.id)
    .limit(1)
)
_DUP_BY_EITHER = (
    select(_CANDIDATE.c.id, _CANDIDATE.c.name)
    .where(or_(_CANDIDATE.c.email == bindparam("email"), _CANDIDATE.c.phone == bindparam("phone")))
    .order_by(_CANDIDATE.c.id)
    .limit(1)
)


def _duplicate_row(email: str | None, phone: str | None) -> tuple[int, str] | None:
    """(id, name) of the earliest candidate with this e-mail or phone."""
    if email and phone:
        stmt = _DUP_BY_EITHER
    elif email:
        stmt = _DUP_BY_EMAIL
    elif phone:
        stmt = _DUP_BY_PHONE
    else:
        return None
    row = db.session.execute(stmt, {"email": email, "phone": phone}).first()
    return (row[0], row[1]) if row is not None else None


def add_candidate(
    opening: Opening,
    *,
    actor: User,
    name: str,
    email: str | None,
    phone: str | None,
    cv_text: str,
    locale: str | None = None,
    token: str | None = None,
) -> Application:
    """Add a candidate typed in by hand (the pasted CV text, if any, is scored).

    ``token`` is the form's one-time token: submitting the same form twice raises
    AlreadySubmitted instead of adding the candidate again.
    """
    form_token = _claim_form_token(token, kind="candidate", actor=actor)
    region = current_app.config["PORTAL_PHONE_REGION"]
    normalised = files.normalise_phone(phone, region) if phone else None
    if phone and normalised is None:
        raise ValidationError(_("This is not a valid phone number."), field="phone")
    application = _new_application(
        opening,
        name=name.strip(),
        email=(email or "").strip().lower() or None,
        phone=normalised,
        text=cv_text or "",
        actor_id=actor.id,
        source=None,
        locale=locale,
    )
    if form_token is not None:
        form_token.result = str(application.id)
    audit.record(actor, "recruiting.candidate.added", application.candidate)
    return application


def _new_application(
    opening: Opening,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    text: str,
    actor_id: int | None,
    source: str | None,
    locale: str | None = None,
) -> Application:
    duplicate = find_duplicate(email, phone)
    candidate = Candidate(
        name=name or _("Unnamed candidate"),
        email=email,
        phone=phone,
        locale=locale or "en",
    )
    db.session.add(candidate)
    db.session.flush()
    application = Application(opening=opening, candidate=candidate, stage=NEW, cv_text=text)
    if duplicate is not None:
        application.duplicate_of_id = duplicate.id
        application.duplicate_state = "possible"
    _apply_score(application, text)
    if not locale:  # the language the CV is written in (found while scoring)
        candidate.locale = application.evidence.get("locale") or "en"
    db.session.add(application)
    db.session.flush()
    _event(application, "applied", actor_id, source=source, score=application.score)
    if duplicate is not None:
        _event(application, "duplicate", None, of=duplicate.name, of_id=duplicate.id)
    return application


def find_duplicate(email: str | None, phone: str | None) -> Candidate | None:
    conds = []
    if email:
        conds.append(Candidate.email == email)
    if phone:
        conds.append(Candidate.phone == phone)
    if not conds:
        return None
    return db.session.scalar(select(Candidate).where(or_(*conds)).order_by(Candidate.id).limit(1))


def _apply_score(application: Application, text: str) -> None:
    opening = application.opening
    result = scoring.score_cv(text, opening.requirements or [], opening.min_years or 0)
    application.score = result["score"]
    application.evidence = result
    application.years = result["years"]
    application.missing_must = scoring.missing_key(result["missing"])


def resolve_duplicate(application: Application, *, action: str, actor: User) -> None:
    """Merge a flagged application into the earlier candidate, or keep both apart."""
    if application.duplicate_state != "possible" or application.duplicate_of is None:
        raise InvalidTransition(_("This candidate is not flagged as a duplicate."))
    original = application.duplicate_of
    if action == "keep":
        application.duplicate_state = "kept"
        _event(application, "duplicate_kept", actor.id, of=original.name)
    elif action == "merge":
        newer = application.candidate
        for field in ("email", "phone"):
            if not getattr(original, field) and getattr(newer, field):
                setattr(original, field, getattr(newer, field))
        application.candidate = original
        application.duplicate_state = None
        application.duplicate_of_id = None
        db.session.flush()
        if not db.session.scalar(
            select(func.count(Application.id)).where(Application.candidate_id == newer.id)
        ):
            db.session.delete(newer)
        _event(application, "duplicate_merged", actor.id, into=original.name)
    else:
        raise ValidationError(_("Choose merge or keep."))
    audit.record(actor, f"recruiting.duplicate.{action}", application)


# --- screening ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpeningHeader:
    """What the ranked page prints about its opening (read with the count, in one statement)."""

    id: int
    title: str
    status: str
    location: str
    min_years: int
    requirements: list[dict[str, Any]]
    department_name: str | None
    hiring_manager_name: str | None

    @property
    def must_haves(self) -> list[dict[str, Any]]:
        return [r for r in self.requirements or [] if r.get("kind") == "must"]

    @property
    def nice_to_haves(self) -> list[dict[str, Any]]:
        return [r for r in self.requirements or [] if r.get("kind") != "must"]


@lru_cache(maxsize=64)
def _rank_statements(stage: str, with_min: bool, missing: str) -> tuple[Select, Select]:
    """Build (header with count, page of rows) once per filter shape; values are bound
    parameters (opening_id, stage, min_score, missing, limit, offset).

    ``stage`` is "" (all), "active" or "one"; ``missing`` is "", "none" or "one".
    """
    terms: list[Any] = [Application.opening_id == bindparam("opening_id")]
    if stage == "one":
        terms.append(Application.stage == bindparam("stage"))
    if with_min:
        terms.append(Application.score >= bindparam("min_score"))
    if missing == "none":
        terms.append(Application.missing_must == "")
    elif missing == "one":
        terms.append(Application.missing_must.contains(bindparam("missing")))
    total = select(func.count()).select_from(Application).where(*terms)
    if stage == "active":
        # All minus the final ones: the (opening_id, stage) index answers "stage IN (hired,
        # rejected, withdrawn)" with three short seeks, while "stage NOT IN (...)" tests every
        # one of the opening's 10,000 index entries (5x slower on SQLite).
        final = total.where(Application.stage.in_(sorted(FINAL_STAGES)))
        count = total.scalar_subquery() - final.scalar_subquery()
        terms.append(Application.stage.notin_(sorted(FINAL_STAGES)))
    else:
        count = total.scalar_subquery()
    # The opening's header and the count in one round trip (an uncorrelated subquery, evaluated
    # once); no ORM objects: the page only prints these values.
    header = (
        select(
            Opening.id,
            Opening.title,
            Opening.status,
            Opening.location,
            Opening.min_years,
            Opening.requirements,
            Department.name,
            User.name,
            count.label("total"),
        )
        .outerjoin(Department, Department.id == Opening.department_id)
        .outerjoin(User, User.id == Opening.hiring_manager_id)
        .where(Opening.id == bindparam("opening_id"))
    )
    # Only what the list prints, as plain rows: no ORM objects to build for 25 applications.
    page = paged(
        select(
            Application.id,
            Application.score,
            Application.stage,
            Application.years,
            Application.duplicate_state,
            Application.rank_summary,
            Candidate.name,
        )
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(*terms)
        # (score, id) both descending: SQLite/PostgreSQL walk the rank index backwards.
        .order_by(Application.score.desc(), Application.id.desc())
    )
    return header, page


def ranked_page(
    opening_id: int,
    *,
    stage: str = "",
    min_score: int | None = None,
    missing: str = "",
    page: int = 1,
    per_page: int | None = None,
) -> tuple[OpeningHeader, ReadPage]:
    """The opening's header and the requested page of its applications, best score first.

    Two statements whatever the number of applications (header + count, then the page; a page
    past the end is the last page).  ``stage``: "" for all, "active" for those
    not hired/rejected/withdrawn, or one stage.  ``missing``: "" any, "none" (every must-have
    matched) or a must-have's name.  Raises NotFound for an unknown opening.
    """
    per_page = min(per_page or current_app.config["PAGE_SIZE"], 200)
    page = max(1, page)
    params: dict[str, Any] = {
        "opening_id": opening_id,
        "page_limit": per_page,
        "page_offset": (page - 1) * per_page,
    }
    stage_kind = "active" if stage == "active" else ("one" if stage in STAGES else "")
    if stage_kind == "one":
        params["stage"] = stage
    if min_score:
        params["min_score"] = min_score
    missing_kind = "none" if missing == "none" else ("one" if missing else "")
    if missing_kind == "one":
        params["missing"] = f"|{scoring.fold(missing)}|"
    header_stmt, page_stmt = _rank_statements(stage_kind, bool(min_score), missing_kind)
    # Core execution on the session's connection (same transaction): nothing here needs the
    # ORM's result processing.
    connection = db.session.connection()
    row = connection.execute(header_stmt, params).first()
    if row is None:
        raise NotFound(_("This opening does not exist."))
    *fields, total = row
    header = OpeningHeader(*fields)
    if params["page_offset"] >= total > 0:  # past the end: the last page, as every list
        page = last_page(total, per_page)
        params["page_offset"] = (page - 1) * per_page
    items = list(connection.execute(page_stmt, params)) if params["page_offset"] < total else []
    return header, ReadPage(page=page, per_page=per_page, items=items, total=int(total))


@dataclass(frozen=True, slots=True)
class RankedRow:
    """One line of the ranked list, ready to print: no lookups or gettext left per row."""

    id: int
    score: int
    tone: str  # high | mid | low
    name: str  # the candidate's name, or "Candidate #id" in blind review
    stage_label: str
    stage_tone: str
    final: bool
    duplicate: bool
    years: str  # "5.5 years of experience"
    evidence: Markup  # the <ul class="evidence"> of matched, missing and nice-to-have items


def stage_labels() -> dict[str, str]:
    """The stage names in the current language, as plain strings."""
    return _stage_labels(str(get_locale()))


# The ranked page's fixed texts.  Catalogues do not change while the process runs, so each
# language's texts are translated once per process instead of ~25 template gettext calls per
# request (~6 µs each, a few percent of the page).
_RANKED_TEXTS = {
    "upload_cvs": _l("Upload CVs"),
    "add_by_hand": _l("Add by hand"),
    "interview_slots": _l("Interview slots"),
    "edit": _l("Edit"),
    "must_have": _l("Must-have"),
    "nice_to_have": _l("Nice-to-have"),
    "stage": _l("Stage"),
    "all_active": _l("All active"),
    "all": _l("All"),
    "minimum_score": _l("Minimum score"),
    "must_haves": _l("Must-haves"),
    "any": _l("Any"),
    "all_matched": _l("All matched"),
    "blind_review": _l("Blind review"),
    "filter": _l("Filter"),
    "select": _l("Select"),
    "score": _l("Score"),
    "possible_duplicate": _l("Possible duplicate"),
    "reason": _l("Reason"),
    "reason_placeholder": _l("e.g. profile does not match"),
    "reject_selected": _l("Reject selected"),
    "one_email_each": _l("Each candidate receives one courteous e-mail in their language."),
    "no_match": _l("No candidates match these filters."),
}


class _Texts(dict):
    """A missing name is an error, not an empty label (Jinja would print nothing)."""

    def __missing__(self, key: str) -> Markup:
        raise RuntimeError(f"recruiting: no ranked-page text named {key!r}")


@lru_cache(maxsize=16)
def _stage_labels(locale: str) -> dict[str, str]:
    return {k: str(v) for k, v in STAGE_LABELS.items()}


@lru_cache(maxsize=16)
def _ranked_texts(locale: str) -> _Texts:
    return _Texts({k: Markup(escape(str(v))) for k, v in _RANKED_TEXTS.items()})


def ranked_texts() -> dict[str, Markup]:
    """The ranked page's fixed texts in the current language, escaped (``t.name`` in its
    templates)."""
    return _ranked_texts(str(get_locale()))


class _EvidenceHTML:
    """Writes a row's evidence list from its ``rank_summary``.

    The markup of a requirement (matched, missing, the nice-to-have chips) depends only on the
    opening's requirement names, which repeat on every row: each is escaped and formatted
    once per page and reused; per row only the CV snippets are escaped.
    """

    def __init__(self) -> None:
        self.t_as = str(escape(_("as “%(term)s”", term="\x00")))
        self.t_missing = str(escape(_("not found in the CV")))
        self.t_nice = str(escape(_("Nice-to-have:")))
        self.heads: dict[tuple[str, str | None], str] = {}
        self.missing: dict[str, str] = {}
        self.nice: dict[tuple[tuple[str, Any], ...], str] = {}

    def head(self, name: str, matched: str | None) -> str:
        key = (name, matched)
        out = self.heads.get(key)
        if out is None:
            out = f'<li class="ev-ok"><strong>✓ {escape(name)}</strong>'
            if matched:
                as_ = self.t_as.replace("\x00", str(escape(matched)))
                out += f' <span class="muted">({as_})</span>'
            self.heads[key] = out
        return out

    def __call__(self, summary: dict[str, Any], snippets: Sequence[str] | None = None) -> Markup:
        """``snippets`` replaces the summary's own (blind review passes redacted ones)."""
        parts = ['<ul class="evidence">']
        must = summary.get("must") or ()
        for i, (name, matched, snippet) in enumerate(must):
            if snippets is not None:
                snippet = snippets[i]
            parts.append(self.head(name, matched))
            if snippet:
                parts.append(f" — <q>{escape(snippet)}</q>")
            parts.append("</li>")
        for name in summary.get("missing") or ():
            out = self.missing.get(name)
            if out is None:
                out = self.missing[name] = (
                    f'<li class="ev-missing"><strong>✗ {escape(name)}</strong>'
                    f" — {self.t_missing}</li>"
                )
            parts.append(out)
        nice = summary.get("nice")
        if nice:
            key = tuple((n, w) for n, w in nice)
            out = self.nice.get(key)
            if out is None:
                chips = "".join(
                    f'<span class="chip">{escape(n)} ×{escape(w)}</span>' for n, w in key
                )
                out = self.nice[key] = f'<li class="ev-nice">{self.t_nice} {chips}</li>'
            parts.append(out)
        parts.append("</ul>")
        return Markup("".join(parts))


def ranked_rows(
    applications: Sequence[Any], *, blind: bool, labels: dict[str, str] | None = None
) -> list[RankedRow]:
    """Prepare a page of ``ranked_page`` rows for printing (translations done once per page)."""
    labels = labels or stage_labels()
    # gettext once with a placeholder; each row fills in its value.
    t_years = _("%(years)s years of experience", years="\x00")
    t_blind = _("Candidate #%(id)d", id=0).replace("0", "\x00")
    decimal_sign = get_decimal_symbol(get_locale() or "en")  # 1.6 in English, 1,6 in pt_BR
    evidence = _EvidenceHTML()
    rows = []
    for a in applications:
        summary = a.rank_summary or {}
        name = a.name
        snippets = None
        if blind:
            redact = scoring.redactor(name)
            snippets = [redact(snippet) for _n, _m, snippet in summary.get("must") or ()]
        stage = a.stage
        rows.append(
            RankedRow(
                id=a.id,
                score=a.score,
                tone="high" if a.score >= 70 else ("mid" if a.score >= 40 else "low"),
                name=t_blind.replace("\x00", str(a.id)) if blind else name,
                stage_label=labels[stage],
                stage_tone="danger"
                if stage == REJECTED
                else ("success" if stage in ("offer", HIRED) else "info"),
                final=stage in FINAL_STAGES,
                duplicate=a.duplicate_state == "possible",
                years=t_years.replace("\x00", str(a.years).replace(".", decimal_sign)),
                evidence=evidence(summary, snippets),
            )
        )
    return rows


def get_application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound(_("This application does not exist."))
    return application


def blind_view(application: Application) -> dict[str, Any]:
    """The evidence with names, contacts, age and gender cues hidden."""
    ev = dict(application.evidence or {})
    name = application.candidate.name
    for key in ("must", "nice", "ranges"):
        ev[key] = [
            {
                **item,
                **(
                    {"snippet": scoring.redact(item["snippet"], name)}
                    if "snippet" in item
                    else {"text": scoring.redact(item["text"], name)}
                ),
            }
            for item in ev.get(key, [])
        ]
    return ev


def move_stage(
    application: Application, *, stage: str, actor: User, reason: str = ""
) -> Application:
    """Move along the pipeline; rejected / withdrawn need a reason; hired goes through ``hire``."""
    if stage not in STAGES:
        raise ValidationError(_("Choose a stage."), field="stage")
    if application.is_final:
        raise InvalidTransition(
            _("This application is closed (%(stage)s).", stage=STAGE_LABELS[application.stage])
        )
    if stage == HIRED:
        raise InvalidTransition(_("Use “Hire” to hire a candidate."))
    if stage in (REJECTED, WITHDRAWN) and not reason.strip():
        raise ValidationError(_("Give a reason."), field="reason")
    old = application.stage
    if old == stage:
        return application
    application.stage = stage
    application.stage_reason = reason.strip() or None
    application.closed_at = utcnow() if stage in (REJECTED, WITHDRAWN) else None
    _event(application, "stage", actor.id, old=old, new=stage, reason=reason.strip() or None)
    audit.record(actor, "recruiting.stage", application, {"stage": [old, stage]})
    return application


def bulk_reject(
    opening: Opening, application_ids: Sequence[int], *, actor: User, reason: str
) -> int:
    """Reject several applications; each candidate gets one courteous e-mail in their language."""
    if not reason.strip():
        raise ValidationError(_("Give a reason."), field="reason")
    if not application_ids:
        raise ValidationError(_("Select at least one candidate."), field="ids")
    apps = list(
        db.session.scalars(
            select(Application).where(
                Application.opening_id == opening.id, Application.id.in_(application_ids)
            )
        )
    )
    count = 0
    for application in apps:
        if application.is_final:
            continue
        move_stage(application, stage=REJECTED, actor=actor, reason=reason)
        candidate = application.candidate
        if candidate.email:
            outbox.queue_email(
                candidate.email,
                "recruiting_rejection",
                {"name": candidate.name, "opening": opening.title},
                dedupe_key=f"recruiting:rejection:{application.id}",
                locale=candidate.locale if candidate.locale in ("en", "pt_BR") else "en",
                target=application,
            )
        count += 1
    return count


def hire(
    application: Application,
    *,
    actor: User,
    start_date: date,
    position: str | None = None,
) -> Employee:
    """Mark hired and create the employee record linked to the application."""
    if application.stage in (REJECTED, WITHDRAWN, HIRED):
        raise InvalidTransition(
            _("This application is closed (%(stage)s).", stage=STAGE_LABELS[application.stage])
        )
    candidate = application.candidate
    employee = Employee(
        application_id=application.id,
        name=candidate.name,
        email=candidate.email,
        phone=candidate.phone,
        position=(position or application.opening.title).strip(),
        department_id=application.opening.department_id,
        start_date=start_date,
    )
    db.session.add(employee)
    old = application.stage
    application.stage = HIRED
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("This candidate was already hired.")) from None
    _event(application, "hired", actor.id, start=start_date.isoformat(), old=old)
    audit.record(actor, "recruiting.hired", application, {"employee": employee.id})
    return employee


def list_employees() -> Select:
    return select(Employee).order_by(Employee.start_date.desc(), Employee.id.desc())


def timeline(application: Application) -> list[ApplicationEvent]:
    return list(
        db.session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application.id)
            .order_by(ApplicationEvent.at, ApplicationEvent.id)
        )
    )


def _event(application: Application, kind: str, actor_id: int | None, **details: Any) -> None:
    db.session.add(
        ApplicationEvent(
            application_id=application.id, kind=kind, actor_id=actor_id, details=details
        )
    )


def cv_files_of(application: Application) -> list[CVFile]:
    return list(
        db.session.scalars(
            select(CVFile).where(CVFile.application_id == application.id).order_by(CVFile.id)
        )
    )


def get_cv_or_404(cv_id: int) -> CVFile:
    cv = db.session.get(CVFile, cv_id)
    if cv is None or cv.status == CV_FAILED:
        raise NotFound(_("This file does not exist."))
    return cv


def record_cv_view(cv: CVFile, *, actor: User) -> None:
    audit.record(actor, "recruiting.cv.viewed", cv, {"application": cv.application_id})


# --- interviews --------------------------------------------------------------------------------


def _conflicts(
    user_ids: Sequence[int], start: datetime, end: datetime, exclude: int | None
) -> list[Interview]:
    stmt = (
        select(Interview)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .where(
            interview_interviewer.c.user_id.in_(user_ids),
            Interview.status == SCHEDULED,
            Interview.start_at < end,
            Interview.end_at > start,
        )
    )
    if exclude is not None:
        stmt = stmt.where(Interview.id != exclude)
    return list(db.session.scalars(stmt).unique())


def _check_times(
    start: datetime, end: datetime, people: Sequence[User], exclude: int | None = None
) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("interview times must be timezone-aware")
    if end <= start:
        raise ValidationError(_("The interview must end after it starts."), field="duration")
    if start < utcnow():
        raise ValidationError(_("Choose a time in the future."), field="start")
    clash = _conflicts([u.id for u in people], start, end, exclude)
    if clash:
        names = sorted({u.name for i in clash for u in i.interviewers if u in people})
        raise Conflict(
            _(
                "%(names)s already has an interview at that time.",
                names=", ".join(names) or _("An interviewer"),
            )
        )
    tz = local_tz()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    hours = {
        (h.user_id, h.weekday): h
        for h in db.session.scalars(
            select(WorkingHours).where(WorkingHours.user_id.in_([u.id for u in people]))
        )
    }
    with_hours = {uid for uid, _wd in hours}
    for person in people:
        if person.id not in with_hours:
            continue
        h = hours.get((person.id, local_start.weekday()))
        s_min = local_start.hour * 60 + local_start.minute
        e_min = s_min + int((local_end - local_start).total_seconds() // 60)
        if h is None or s_min < h.start_minute or e_min > h.end_minute:
            raise ValidationError(
                _("This is outside %(name)s's working hours.", name=person.name), field="start"
            )


def schedule_interview(
    application: Application,
    *,
    actor: User,
    start: datetime,
    end: datetime,
    interviewers: Sequence[User],
    location: str = "",
    slot: InterviewSlot | None = None,
    organizer: User | None = None,
) -> Interview:
    """Book an interview, refuse conflicts, and send the calendar invitations."""
    if application.is_final:
        raise InvalidTransition(
            _("This application is closed (%(stage)s).", stage=STAGE_LABELS[application.stage])
        )
    if not interviewers:
        raise ValidationError(_("Choose at least one interviewer."), field="interviewers")
    _check_times(start, end, interviewers)
    interview = Interview(
        application=application,
        uid=f"interview-{uuid.uuid4()}@{_domain()}",
        sequence=0,
        status=SCHEDULED,
        start_at=start,
        end_at=end,
        location=location.strip(),
        organizer=organizer or actor,
        slot_id=slot.id if slot else None,
    )
    interview.interviewers = list(interviewers)
    db.session.add(interview)
    db.session.flush()
    if application.stage in PIPELINE and PIPELINE.index(application.stage) < PIPELINE.index(
        INTERVIEW
    ):
        old = application.stage
        application.stage = INTERVIEW
        _event(application, "stage", actor.id if actor else None, old=old, new=INTERVIEW)
    _event(application, "interview_scheduled", actor.id if actor else None, at=start.isoformat())
    _send_invitations(interview, "REQUEST")
    url = url_for("recruiting.application", application_id=application.id)
    for person in interview.interviewers:
        notifications.notify(
            person,
            "recruiting.interview",
            interview,
            text=lambda: _("Interview with %(name)s scheduled.", name=application.candidate.name),
            url=url,
            email=False,
            dedupe_key=f"recruiting:interview:{interview.id}:notify:{person.id}",
        )
    audit.record(actor, "recruiting.interview.scheduled", interview, {"start": start.isoformat()})
    return interview


def reschedule_interview(
    interview: Interview, *, actor: User, start: datetime, end: datetime
) -> Interview:
    """Move an interview: same UID, SEQUENCE + 1, an updated invitation to everyone."""
    if interview.status != SCHEDULED:
        raise InvalidTransition(_("This interview was cancelled."))
    _check_times(start, end, interview.interviewers, exclude=interview.id)
    old = interview.start_at
    changes = audit.diff(interview, ["start_at", "end_at"], {"start_at": start, "end_at": end})
    interview.start_at, interview.end_at = start, end
    interview.sequence += 1
    interview.reminder_sent_at = None
    db.session.flush()
    _event(
        interview.application,
        "interview_rescheduled",
        actor.id,
        old=old.isoformat(),
        at=start.isoformat(),
    )
    _send_invitations(interview, "REQUEST")
    audit.record(actor, "recruiting.interview.rescheduled", interview, changes)
    return interview


def cancel_interview(interview: Interview, *, actor: User) -> Interview:
    """Cancel: METHOD:CANCEL with the same UID; the booked slot is freed."""
    if interview.status != SCHEDULED:
        raise InvalidTransition(_("This interview was already cancelled."))
    interview.status = CANCELLED
    if interview.slot_id:  # the candidate's booking is undone: the slot is free again
        slot_id = interview.slot_id
        db.session.execute(
            update(InterviewSlot).where(InterviewSlot.id == slot_id).values(application_id=None)
        )
        interview.slot_id = None
        audit.record(
            actor,
            "recruiting.slot.released",
            ("InterviewSlot", slot_id),
            {"application_id": [interview.application_id, None]},
        )
    db.session.flush()
    _event(interview.application, "interview_cancelled", actor.id)
    _send_invitations(interview, "CANCEL")
    audit.record(
        actor, "recruiting.interview.cancelled", interview, {"status": [SCHEDULED, CANCELLED]}
    )
    return interview


def get_interview_or_404(interview_id: int) -> Interview:
    interview = db.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound(_("This interview does not exist."))
    return interview


def interviews_of(application: Application) -> list[Interview]:
    return list(
        db.session.scalars(
            select(Interview)
            .where(Interview.application_id == application.id)
            .order_by(Interview.start_at)
        )
    )


def _domain() -> str:
    return urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "localhost"


def _recipients(interview: Interview) -> list[tuple[str, str, str]]:
    """(e-mail, name, locale) of the candidate and every interviewer."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    out = []
    candidate = interview.application.candidate
    if candidate.email:
        out.append((candidate.email, candidate.name, candidate.locale or default))
    for person in interview.interviewers:
        out.append((person.email, person.name, person.locale or default))
    return out


def build_ics(interview: Interview, method: str, *, stamp: datetime) -> bytes:
    """An iTIP message (RFC 5546) for the interview; times in the portal's time zone."""
    tz = local_tz()
    application = interview.application
    cal = Calendar()
    cal.add("prodid", "-//Back Office Portal//Recruiting//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", interview.uid)
    event.add("sequence", interview.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", interview.start_at.astimezone(tz))
    event.add("dtend", interview.end_at.astimezone(tz))
    event.add(
        "summary",
        f"Interview: {application.candidate.name} — {application.opening.title}",
    )
    if interview.location:
        event.add("location", interview.location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = interview.organizer
    if organizer is not None:
        org = vCalAddress(f"mailto:{organizer.email}")
        org.params["cn"] = vText(organizer.name)
        event["organizer"] = org
    for email, name, _locale in _recipients(interview):
        att = vCalAddress(f"mailto:{email}")
        att.params["cn"] = vText(name)
        att.params["role"] = vText("REQ-PARTICIPANT")
        att.params["partstat"] = vText("NEEDS-ACTION")
        att.params["rsvp"] = vText("TRUE")
        event.add("attendee", att, encode=0)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _send_invitations(interview: Interview, method: str) -> None:
    # DTSTAMP frozen now: a retry of the same outbox row sends the same bytes.
    stamp = utcnow().replace(microsecond=0)
    ics = build_ics(interview, method, stamp=stamp)
    application = interview.application
    for email, name, locale in _recipients(interview):
        with force_locale(locale):
            when = format_datetime(interview.start_at, "full")
        outbox.queue_email(
            email,
            "recruiting_invitation",
            {
                "name": name,
                "opening": application.opening.title,
                "candidate": application.candidate.name,
                "when": when,
                "location": interview.location,
                "method": method,
                "updated": interview.sequence > 0,
            },
            dedupe_key=f"interview:{interview.id}:v{interview.sequence}:{method}:{email}",
            attachments=[outbox.Attachment("invite.ics", f"text/calendar; method={method}", ics)],
            kind="invitation",
            locale=locale,
            target=interview,
        )


def send_due_reminders(now: datetime | None = None) -> int:
    """Remind everyone of interviews starting in the next 24 hours, once per interview."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Interview.id).where(
                Interview.status == SCHEDULED,
                Interview.start_at > now,
                Interview.start_at <= now + timedelta(hours=24),
                Interview.reminder_sent_at.is_(None),
            )
        )
    )
    sent = 0
    for interview_id in ids:
        claimed = db.session.execute(
            update(Interview)
            .where(Interview.id == interview_id, Interview.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        interview = db.session.get(Interview, interview_id, populate_existing=True)
        assert interview is not None
        application = interview.application
        for email, name, locale in _recipients(interview):
            with force_locale(locale):
                when = format_datetime(interview.start_at, "full")
            outbox.queue_email(
                email,
                "recruiting_reminder",
                {
                    "name": name,
                    "opening": application.opening.title,
                    "candidate": application.candidate.name,
                    "when": when,
                    "location": interview.location,
                },
                dedupe_key=f"interview:{interview.id}:v{interview.sequence}:reminder:{email}",
                locale=locale,
                target=interview,
            )
        sent += 1
    return sent


# --- working hours and busy slots ----------------------------------------------------------------


def working_hours_of(user: User) -> dict[int, WorkingHours]:
    return {
        h.weekday: h
        for h in db.session.scalars(select(WorkingHours).where(WorkingHours.user_id == user.id))
    }


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _hours_text(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def set_working_hours(
    user: User, hours: dict[int, tuple[int, int] | None], *, actor: User | None = None
) -> None:
    """Replace the weekly hours: ``{weekday: (start_minute, end_minute) or None}``.

    Audited day by day, old -> new (``actor`` defaults to the user, who sets their own hours).
    """
    existing = working_hours_of(user)
    before: dict[str, str | None] = dict.fromkeys(_WEEKDAYS)
    before.update(
        {_WEEKDAYS[d]: _hours_text(h.start_minute, h.end_minute) for d, h in existing.items()}
    )
    after: dict[str, str | None] = dict.fromkeys(_WEEKDAYS)
    after.update({_WEEKDAYS[d]: _hours_text(*v) for d, v in hours.items() if v is not None})
    for weekday in range(7):
        value = hours.get(weekday)
        row = existing.get(weekday)
        if value is None:
            if row is not None:
                db.session.delete(row)
            continue
        start, end = value
        if not 0 <= start < end <= 24 * 60:
            raise ValidationError(_("The end must be after the start."), field=f"day{weekday}")
        if row is None:
            row = WorkingHours(user_id=user.id, weekday=weekday)
            db.session.add(row)
        row.start_minute, row.end_minute = start, end
    db.session.flush()
    changes = audit.diff(SimpleNamespace(**before), list(_WEEKDAYS), after)
    if changes:
        audit.record(actor or user, "recruiting.hours.changed", ("User", user.id), changes)


def busy_slots(user: User, start: datetime, end: datetime) -> list[Interview]:
    """The user's scheduled interviews between ``start`` and ``end``."""
    return list(
        db.session.scalars(
            select(Interview)
            .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
            .where(
                interview_interviewer.c.user_id == user.id,
                Interview.status == SCHEDULED,
                Interview.start_at < end,
                Interview.end_at > start,
            )
            .order_by(Interview.start_at)
        ).unique()
    )


# --- self-booking ------------------------------------------------------------------------------


def add_slot(opening: Opening, *, actor: User, start: datetime, end: datetime) -> InterviewSlot:
    """Offer a time for self-booking; it must not clash with the interviewers' interviews."""
    if not opening.interviewers:
        raise ValidationError(_("Give the opening interviewers first."), field="start")
    _check_times(start, end, opening.interviewers)
    overlap = db.session.scalar(
        select(InterviewSlot.id).where(
            InterviewSlot.opening_id == opening.id,
            InterviewSlot.start_at < end,
            InterviewSlot.end_at > start,
        )
    )
    if overlap:
        raise Conflict(_("Another offered slot overlaps this one."))
    slot = InterviewSlot(opening_id=opening.id, start_at=start, end_at=end)
    db.session.add(slot)
    db.session.flush()
    audit.record(
        actor,
        "recruiting.slot.added",
        slot,
        {
            "opening_id": [None, opening.id],
            "start_at": [None, start.isoformat()],
            "end_at": [None, end.isoformat()],
        },
    )
    return slot


def list_slots(opening: Opening, *, free_only: bool = False) -> list[InterviewSlot]:
    stmt = select(InterviewSlot).where(InterviewSlot.opening_id == opening.id)
    if free_only:
        stmt = stmt.where(InterviewSlot.application_id.is_(None), InterviewSlot.start_at > utcnow())
    return list(db.session.scalars(stmt.order_by(InterviewSlot.start_at)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_booking_link(application: Application, *, actor: User) -> str:
    """Make a single-use, expiring link and e-mail it to the candidate; return the token."""
    if application.is_final:
        raise InvalidTransition(
            _("This application is closed (%(stage)s).", stage=STAGE_LABELS[application.stage])
        )
    candidate = application.candidate
    if not candidate.email:
        raise ValidationError(_("The candidate has no e-mail address."))
    if not list_slots(application.opening, free_only=True):
        raise ValidationError(_("Offer some free slots first."))
    token = secrets.token_urlsafe(32)
    days = int(current_app.config.get("RECRUITING_BOOKING_DAYS", 7))
    row = BookingToken(
        application_id=application.id,
        token_hash=_hash(token),
        expires_at=utcnow() + timedelta(days=days),
        created_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    outbox.queue_email(
        candidate.email,
        "recruiting_booking",
        {
            "name": candidate.name,
            "opening": application.opening.title,
            "link": url_for("recruiting.book", token=token),
            "days": days,
        },
        dedupe_key=f"recruiting:booking:{row.id}",
        locale=candidate.locale,
        target=application,
    )
    _event(application, "booking_link", actor.id)
    audit.record(
        actor,
        "recruiting.booking_link.created",
        application,
        {"booking_link_id": [None, row.id], "expires_at": [None, row.expires_at.isoformat()]},
    )
    return token


def booking_locale(token: str) -> str | None:
    """The language of the candidate a booking link was made for (valid or not), if known.

    The public booking page speaks the candidate's language (stored with their application),
    not whatever the browser asks for; unknown tokens fall back to the browser's.
    """
    locale = db.session.scalar(
        select(Candidate.locale)
        .join(Application, Application.candidate_id == Candidate.id)
        .join(BookingToken, BookingToken.application_id == Application.id)
        .where(BookingToken.token_hash == _hash(token))
    )
    return locale if locale in current_app.config["LANGUAGES"] else None


def booking_for(token: str) -> BookingToken:
    """The live booking for a token, or a domain error saying why it cannot be used."""
    row = db.session.scalar(select(BookingToken).where(BookingToken.token_hash == _hash(token)))
    if row is None:
        raise NotFound(_("This booking link is not valid."))
    if row.used_at is not None:
        raise Conflict(_("This booking link was already used."))
    if row.expires_at <= utcnow():
        raise Conflict(_("This booking link has expired. Please ask us for a new one."))
    if row.application.is_final:
        raise Conflict(_("This booking link is no longer valid."))
    return row


def book_slot(token: str, slot_id: int) -> Interview:
    """Take a slot with a single-use token; two candidates racing for one slot: one wins."""
    row = booking_for(token)
    now = utcnow()
    used = db.session.execute(
        update(BookingToken)
        .where(
            BookingToken.id == row.id,
            BookingToken.used_at.is_(None),
            BookingToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise Conflict(_("This booking link was already used."))
    application = row.application
    slot = db.session.get(InterviewSlot, slot_id)
    if slot is None or slot.opening_id != application.opening_id or slot.start_at <= now:
        raise NotFound(_("This time is not offered."))
    try:
        with db.session.begin_nested():
            taken = db.session.execute(
                update(InterviewSlot)
                .where(InterviewSlot.id == slot.id, InterviewSlot.application_id.is_(None))
                .values(application_id=application.id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        raise Conflict(_("You already booked a time.")) from None
    if taken.rowcount != 1:
        raise Conflict(_("Sorry, someone has just taken this time. Please choose another."))
    opening = application.opening
    organizer = opening.hiring_manager or db.session.get(User, row.created_by_id)
    assert organizer is not None
    interview = schedule_interview(
        application,
        actor=organizer,
        start=slot.start_at,
        end=slot.end_at,
        interviewers=opening.interviewers,
        slot=slot,
        organizer=organizer,
        location=opening.location,
    )
    # The candidate acted (no portal user): the link is spent, the slot taken.
    audit.record(
        None,
        "recruiting.booking_link.used",
        application,
        {
            "booking_link_id": row.id,
            "used_at": [None, now.isoformat()],
        },
    )
    audit.record(
        None,
        "recruiting.slot.booked",
        slot,
        {
            "application_id": [None, application.id],
            "interview_id": [None, interview.id],
        },
    )
    return interview


# --- scorecards --------------------------------------------------------------------------------


def save_scorecard(
    interview: Interview,
    *,
    interviewer: User,
    ratings: dict[str, int],
    notes: str,
    recommendation: str,
) -> Scorecard:
    """Each interviewer fills one scorecard per interview (and may correct it)."""
    if interviewer not in interview.interviewers:
        raise NotAllowed(_("Only the interviewers fill in this scorecard."))
    if recommendation not in RECOMMENDATIONS:
        raise ValidationError(_("Choose a recommendation."), field="recommendation")
    clean = {}
    for key in CRITERIA:
        value = ratings.get(key)
        if value is None or not 1 <= int(value) <= 5:
            raise ValidationError(_("Rate every criterion from 1 to 5."), field=key)
        clean[key] = int(value)
    card = db.session.scalar(
        select(Scorecard).where(
            Scorecard.interview_id == interview.id, Scorecard.interviewer_id == interviewer.id
        )
    )
    created = card is None
    before: dict[str, Any] = dict.fromkeys([*CRITERIA, "recommendation", "notes"])
    if card is None:
        card = Scorecard(interview=interview, interviewer=interviewer)
        db.session.add(card)
    else:
        before.update(card.ratings or {}, recommendation=card.recommendation, notes=card.notes)
    after = {**clean, "recommendation": recommendation, "notes": notes or ""}
    changes = audit.diff(SimpleNamespace(**before), list(after), after)
    card.ratings, card.notes, card.recommendation = clean, notes or "", recommendation
    db.session.flush()
    _event(interview.application, "scorecard", interviewer.id, recommendation=recommendation)
    if changes:
        action = "recruiting.scorecard.created" if created else "recruiting.scorecard.changed"
        audit.record(interviewer, action, card, changes)
    return card


# --- dashboard -----------------------------------------------------------------------------------


def dashboard_numbers() -> dict[str, Any]:
    now = utcnow()
    tz = local_tz()
    local_today = now.astimezone(tz).date()
    week_start = datetime.combine(
        local_today - timedelta(days=local_today.weekday()), time(0), tz
    ).astimezone(UTC)
    week_end = week_start + timedelta(days=7)
    open_openings = db.session.scalar(select(func.count(Opening.id)).where(Opening.status == OPEN))
    to_screen = db.session.scalar(
        select(func.count(Application.id)).where(Application.stage == NEW)
    )
    this_week = db.session.scalar(
        select(func.count(Interview.id)).where(
            Interview.status == SCHEDULED,
            Interview.start_at >= week_start,
            Interview.start_at < week_end,
        )
    )
    return {"open": open_openings or 0, "new": to_screen or 0, "week": this_week or 0}


def funnel(opening: Opening | None = None) -> list[tuple[str, int]]:
    """Applications that reached each pipeline stage (of the busiest open opening)."""
    if opening is None:
        opening_id = db.session.scalar(
            select(Application.opening_id)
            .join(Opening, Opening.id == Application.opening_id)
            .where(Opening.status == OPEN)
            .group_by(Application.opening_id)
            .order_by(func.count(Application.id).desc())
            .limit(1)
        )
        if opening_id is None:
            return []
        opening = db.session.get(Opening, opening_id)
        assert opening is not None
    counts = dict(
        db.session.execute(
            select(Application.stage, func.count(Application.id))
            .where(Application.opening_id == opening.id)
            .group_by(Application.stage)
        ).all()
    )
    out = []
    for i, stage in enumerate(PIPELINE):
        reached = sum(counts.get(s, 0) for s in PIPELINE[i:])
        if i == 0:
            reached += counts.get(REJECTED, 0) + counts.get(WITHDRAWN, 0)
        out.append((str(STAGE_LABELS[stage]), reached))
    return out


def busiest_open_opening() -> Opening | None:
    opening_id = db.session.scalar(
        select(Application.opening_id)
        .join(Opening, Opening.id == Application.opening_id)
        .where(Opening.status == OPEN)
        .group_by(Application.opening_id)
        .order_by(func.count(Application.id).desc())
        .limit(1)
    )
    return db.session.get(Opening, opening_id) if opening_id else None
