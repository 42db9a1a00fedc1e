"""One application's record: stage labels, stage moves, its timeline and its CV files."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from sqlalchemy import select

from portal.errors import InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.recruiting import (
    CV_FAILED,
    HIRED,
    REJECTED,
    STAGES,
    WITHDRAWN,
    Application,
    ApplicationEvent,
    CVFile,
)
from portal.services import audit
from portal.services.recruiting import scoring

# A candidate's stage: in Portuguese it agrees with the candidate ("Novo", "Contratado").
STAGE_LABELS = {
    "new": lazy_pgettext("application stage", "New"),
    "screened": lazy_pgettext("application stage", "Screened"),
    "shortlisted": lazy_pgettext("application stage", "Shortlisted"),
    "interview": lazy_pgettext("application stage", "Interview"),
    "offer": lazy_pgettext("application stage", "Offer"),
    "hired": lazy_pgettext("application stage", "Hired"),
    "rejected": lazy_pgettext("application stage", "Rejected"),
    "withdrawn": lazy_pgettext("application stage", "Withdrawn"),
}


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


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
    record_event(application, "stage", actor.id, old=old, new=stage, reason=reason.strip() or None)
    audit.record(actor, "recruiting.stage", application, {"stage": [old, stage]})
    return application


def timeline(application: Application) -> list[ApplicationEvent]:
    return list(
        db.session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application.id)
            .order_by(ApplicationEvent.at, ApplicationEvent.id)
        )
    )


def record_event(application: Application, kind: str, actor_id: int | None, **details: Any) -> None:
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


def record_identity_reveal(application: Application, *, actor: User) -> None:
    """Audit that a reviewer lifted blind review on this application (who, when)."""
    record_event(application, "identity_revealed", actor.id)
    audit.record(actor, "recruiting.identity.revealed", application)
