"""Self-booking: interview slots and the candidate's booking link."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.config import public_url
from portal.errors import Conflict, InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.recruiting import (
    Application,
    BookingToken,
    Candidate,
    Interview,
    InterviewSlot,
    Opening,
)
from portal.services import audit, outbox
from portal.services.recruiting.applications import STAGE_LABELS, record_event
from portal.services.recruiting.interviews import check_times, schedule_interview


def add_slot(opening: Opening, *, actor: User, start: datetime, end: datetime) -> InterviewSlot:
    """Offer a time for self-booking; it must not clash with the interviewers' interviews."""
    if not opening.interviewers:
        raise ValidationError(_("Give the opening interviewers first."), field="start")
    check_times(start, end, opening.interviewers)
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
            # Built on the address candidates reach, not the internal portal's.
            "link": public_url(current_app.config) + url_for("recruiting.book", token=token),
            "to_candidate": True,
            "days": days,
        },
        dedupe_key=f"recruiting:booking:{row.id}",
        locale=candidate.locale,
        target=application,
    )
    record_event(application, "booking_link", actor.id)
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
