"""Interviews: scheduling, invitations (iCalendar), reminders, working hours, scorecards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select, update

from portal import formatting
from portal.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.recruiting import (
    CANCELLED,
    INTERVIEW,
    PIPELINE,
    SCHEDULED,
    Application,
    Interview,
    InterviewSlot,
    Scorecard,
    WorkingHours,
    interview_interviewer,
)
from portal.services import audit, company, notifications, outbox
from portal.services.recruiting.applications import STAGE_LABELS, local_tz, record_event

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


def check_times(
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
    check_times(start, end, interviewers)
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
        record_event(application, "stage", actor.id if actor else None, old=old, new=INTERVIEW)
    record_event(
        application, "interview_scheduled", actor.id if actor else None, at=start.isoformat()
    )
    _send_invitations(interview, "REQUEST")
    url = url_for("recruiting.application", application_id=application.id)
    for person in interview.interviewers:
        notifications.notify(
            person,
            "recruiting.interview",
            interview,
            _l("Interview with %(name)s scheduled for %(start)s."),
            {"name": application.candidate.name, "start": start},
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
    check_times(start, end, interview.interviewers, exclude=interview.id)
    old = interview.start_at
    changes = audit.diff(interview, ["start_at", "end_at"], {"start_at": start, "end_at": end})
    interview.start_at, interview.end_at = start, end
    interview.sequence += 1
    interview.reminder_sent_at = None
    db.session.flush()
    record_event(
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
    record_event(interview.application, "interview_cancelled", actor.id)
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


def _summary(interview: Interview, *, for_candidate: bool) -> str:
    """The calendar entry's title in the current locale: the candidate sees the company."""
    application = interview.application
    if for_candidate:
        return _(
            "Interview for %(opening)s — %(company)s",
            opening=application.opening.title,
            company=company.display_name(),
        )
    return _(
        "Interview: %(candidate)s — %(opening)s",
        candidate=application.candidate.name,
        opening=application.opening.title,
    )


def build_ics(
    interview: Interview,
    method: str,
    *,
    stamp: datetime,
    locale: str | None = None,
    for_candidate: bool = False,
) -> bytes:
    """An iTIP message (RFC 5546) for the interview; times in the portal's time zone.

    The SUMMARY is written in ``locale`` (the recipient's); every recipient's copy has the same
    UID and SEQUENCE, so calendars see one event.
    """
    tz = local_tz()
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        summary = _summary(interview, for_candidate=for_candidate)
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
    event.add("summary", summary)
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
    application = interview.application
    candidate_email = application.candidate.email
    for email, name, locale in _recipients(interview):
        to_candidate = email == candidate_email
        ics = build_ics(interview, method, stamp=stamp, locale=locale, for_candidate=to_candidate)
        with force_locale(locale):
            when = formatting.format_datetime(interview.start_at, "when")
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
                "to_candidate": to_candidate,
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
                when = formatting.format_datetime(interview.start_at, "when")
            outbox.queue_email(
                email,
                "recruiting_reminder",
                {
                    "name": name,
                    "opening": application.opening.title,
                    "candidate": application.candidate.name,
                    "when": when,
                    "location": interview.location,
                    "to_candidate": email == application.candidate.email,
                },
                dedupe_key=f"interview:{interview.id}:v{interview.sequence}:reminder:{email}",
                locale=locale,
                target=interview,
            )
        sent += 1
    return sent


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
    """The user's scheduled interviews between ``start`` and ``end``, one per time range.

    Two interviews at the same time (a panel seeing two candidates, a slot booked twice before
    the conflict check) are one busy period for the person: listed once.
    """
    seen: set[tuple[datetime, datetime]] = set()
    out: list[Interview] = []
    for interview in db.session.scalars(
        select(Interview)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .where(
            interview_interviewer.c.user_id == user.id,
            Interview.status == SCHEDULED,
            Interview.start_at < end,
            Interview.end_at > start,
        )
        .order_by(Interview.start_at, Interview.end_at, Interview.id)
    ).unique():
        key = (interview.start_at, interview.end_at)
        if key not in seen:
            seen.add(key)
            out.append(interview)
    return out


def scorecard_open(interview: Interview) -> bool:
    """Whether the interview has started (a scorecard before it would rate nobody)."""
    return interview.start_at <= utcnow()


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
    if not scorecard_open(interview):
        raise ValidationError(
            _(
                "The interview has not taken place yet: the scorecard opens when it starts "
                "(%(start)s).",
                start=formatting.format_datetime(interview.start_at, "short"),
            ),
            field="recommendation",
        )
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
    record_event(interview.application, "scorecard", interviewer.id, recommendation=recommendation)
    if changes:
        action = "recruiting.scorecard.created" if created else "recruiting.scorecard.changed"
        audit.record(interviewer, action, card, changes)
    return card
