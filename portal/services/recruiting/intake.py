"""CV intake: form tokens, daily quota, upload, candidates added by hand, duplicates."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.enqueue import enqueue_after_commit
from portal.errors import InvalidTransition, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.recruiting import (
    CV_QUEUED,
    HIRED,
    NEW,
    Application,
    ApplicationEvent,
    BookingToken,
    Candidate,
    CVFile,
    FormToken,
    Interview,
    InterviewSlot,
    Opening,
)
from portal.services import audit
from portal.services.recruiting import files, scoring
from portal.services.recruiting.applications import local_tz, record_event

log = logging.getLogger(__name__)

# Enqueued by name: services never import ``worker``.
PROCESS_CV_JOB = "worker.jobs.recruiting.process_cv"


CV_STATUS_LABELS = {
    "queued": _l("Queued"),
    "extracting": _l("Reading"),
    "extracted": _l("Extracted"),
    "scored": _l("Scored"),
    "failed": _l("Failed"),
}


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


@dataclass(frozen=True)
class UploadOutcome:
    """What an upload stored (``batch``, ``stored`` files) and what it refused, file by file."""

    batch: str | None
    stored: int
    refused: list[str]


def upload_cvs(
    opening: Opening,
    uploads: Iterable[tuple[str | None, bytes]],
    *,
    actor: User,
    token: str | None = None,
) -> str:
    """Check every file, then store them all and queue their extraction; return the batch id.

    All or nothing (e-mail attachments): one refused file refuses the upload, with a reason per
    file.  See ``upload_cv_batch`` for the upload form, which keeps the good files.
    """
    outcome = _upload(opening, uploads, actor=actor, token=token, keep_good=False)
    assert outcome.batch is not None
    return outcome.batch


def upload_cv_batch(
    opening: Opening,
    uploads: Iterable[tuple[str | None, bytes]],
    *,
    actor: User,
    token: str | None = None,
) -> UploadOutcome:
    """Store the files that pass the checks and report each refused one with its reason.

    Nothing stored (every file refused, the scanner down, the quota reached) is a
    ValidationError listing the reasons, as before.
    """
    return _upload(opening, uploads, actor=actor, token=token, keep_good=True)


def _upload(
    opening: Opening,
    uploads: Iterable[tuple[str | None, bytes]],
    *,
    actor: User,
    token: str | None,
    keep_good: bool,
) -> UploadOutcome:
    """Checks, in order: the form token (a second submission of the same form raises
    AlreadySubmitted), each file's name and content, the virus scanner if one is configured,
    the daily quota."""
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
                # the scanner is down: the same answer for every other file, and none is kept
                raise ValidationError(" ".join(errors), field="files") from None
    if errors and (not keep_good or not checked):
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
            enqueue_after_commit(PROCESS_CV_JOB, cv.id, queue="default")
    except Exception:
        for name in stored_names:
            files.delete_stored(name)
        raise
    audit.record(
        actor, "recruiting.cv.uploaded", opening, {"files": len(checked), "refused": len(errors)}
    )
    return UploadOutcome(batch=batch, stored=len(checked), refused=errors)


def list_batch(batch: str) -> list[CVFile]:
    return list(db.session.scalars(select(CVFile).where(CVFile.batch == batch).order_by(CVFile.id)))


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


def duplicate_row(email: str | None, phone: str | None) -> tuple[int, str] | None:
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
    apply_score(application, text)
    if not locale:  # the language the CV is written in (found while scoring)
        candidate.locale = application.evidence.get("locale") or "en"
    db.session.add(application)
    db.session.flush()
    record_event(application, "applied", actor_id, source=source, score=application.score)
    if duplicate is not None:
        record_event(application, "duplicate", None, of=duplicate.name, of_id=duplicate.id)
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


def apply_score(application: Application, text: str) -> None:
    opening = application.opening
    result = scoring.score_cv(text, opening.requirements or [], opening.min_years or 0)
    application.score = result["score"]
    application.evidence = result
    application.years = result["years"]
    application.missing_must = scoring.missing_key(result["missing"])


def resolve_duplicate(application: Application, *, action: str, actor: User) -> Application:
    """Merge a flagged application into the earlier candidate, or keep both apart.

    Returns the application that remains: when the earlier candidate already applied to the same
    opening, the flagged application is folded into that one (its CVs, interviews, booking links
    and timeline move over, then it is deleted), so the ranked list shows the person once.
    """
    if application.duplicate_state != "possible" or application.duplicate_of is None:
        raise InvalidTransition(_("This candidate is not flagged as a duplicate."))
    original = application.duplicate_of
    if action == "keep":
        application.duplicate_state = "kept"
        record_event(application, "duplicate_kept", actor.id, of=original.name)
        audit.record(actor, "recruiting.duplicate.keep", application)
        return application
    if action != "merge":
        raise ValidationError(_("Choose merge or keep."))
    if application.stage == HIRED:
        raise InvalidTransition(_("A hired candidate cannot be merged."))
    newer = application.candidate
    for field in ("email", "phone"):
        if not getattr(original, field) and getattr(newer, field):
            setattr(original, field, getattr(newer, field))
    earlier = db.session.scalar(
        select(Application)
        .where(
            Application.candidate_id == original.id,
            Application.opening_id == application.opening_id,
            Application.id != application.id,
        )
        .order_by(Application.id)
        .limit(1)
    )
    survivor = earlier or application
    if earlier is not None:
        _fold_into(application, earlier)
    else:
        application.candidate = original
        application.duplicate_state = None
        application.duplicate_of_id = None
    db.session.flush()
    if not db.session.scalar(
        select(func.count(Application.id)).where(Application.candidate_id == newer.id)
    ):
        db.session.delete(newer)
    record_event(survivor, "duplicate_merged", actor.id, into=original.name, of=newer.name)
    audit.record(
        actor,
        "recruiting.duplicate.merge",
        survivor,
        {"merged": application.id, "into": original.id},
    )
    return survivor


def _fold_into(application: Application, earlier: Application) -> None:
    """Move what hangs on ``application`` to ``earlier`` (same person, same opening); delete it."""
    moved = {"old": application.id, "new": earlier.id}
    for model in (CVFile, Interview, BookingToken, ApplicationEvent):
        db.session.execute(
            update(model)
            .where(model.application_id == bindparam("old"))
            .values(application_id=bindparam("new"))
            .execution_options(synchronize_session=False),
            moved,
        )
    # A slot holds one application: the earlier one keeps its own, the other is offered again.
    has_slot = db.session.scalar(
        select(func.count(InterviewSlot.id)).where(InterviewSlot.application_id == earlier.id)
    )
    db.session.execute(
        update(InterviewSlot)
        .where(InterviewSlot.application_id == application.id)
        .values(application_id=None if has_slot else earlier.id)
        .execution_options(synchronize_session=False)
    )
    if application.score > earlier.score:  # the better-scored CV explains the rank
        earlier.evidence = application.evidence
        earlier.score, earlier.years = application.score, application.years
        earlier.missing_must = application.missing_must
    db.session.flush()
    db.session.delete(application)
