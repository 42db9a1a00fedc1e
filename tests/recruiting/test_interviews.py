"""Interviews: calendar invitations, conflicts, hours, reminders, self-booking, scorecards."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models.outbox import OutboundMessage
from portal.models.recruiting import BookingToken, Interview, InterviewSlot
from tests.recruiting.cvs import CV_EN, CV_PT

TZ = ZoneInfo("America/Sao_Paulo")


def next_monday(hour: int = 10, weeks: int = 3) -> datetime:
    today = datetime.now(TZ).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7) + timedelta(weeks=weeks)
    return datetime(monday.year, monday.month, monday.day, hour, 0, tzinfo=TZ)


def _local(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def interviewer(make_user):
    return make_user(roles=["staff"], name="Rodrigo Mendes", email="rodrigo@example.com")


@pytest.fixture
def mariana(add_application):
    return add_application(CV_PT, email="mariana@example.com", locale="pt_BR")


def _schedule(client, application, people, start: datetime, minutes: int = 60):
    return client.post(
        f"/recruiting/applications/{application.id}/interviews",
        data={
            "start": _local(start),
            "duration": str(minutes),
            "interviewers": [str(p.id) for p in people],
            "location": "Sala 3, Av. Paulista 1000",
        },
    )


def _invites(method: str | None = None) -> list[tuple[OutboundMessage, Calendar]]:
    out = []
    for m in db.session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.kind == "invitation")
        .order_by(OutboundMessage.id)
    ):
        (att,) = m.attachments
        cal = Calendar.from_ical(att.data)
        if method is None or str(cal["METHOD"]) == method:
            out.append((m, cal))
    return out


def _event(cal: Calendar):
    (event,) = [c for c in cal.walk("VEVENT")]
    return event


def test_scheduling_sends_real_invitations(client, login_as, hr, interviewer, mariana):
    login_as(hr)
    start = next_monday()
    response = _schedule(client, mariana, [hr, interviewer], start)
    assert response.status_code == 303
    interview = db.session.scalar(select(Interview))
    invites = _invites("REQUEST")
    assert sorted(m.recipients[0] for m, _ in invites) == [
        "hr@example.com",
        "mariana@example.com",
        "rodrigo@example.com",
    ]
    for message, cal in invites:
        (att,) = message.attachments
        assert att.filename == "invite.ics"
        assert att.content_type == "text/calendar; method=REQUEST"
        event = _event(cal)
        assert str(event["UID"]) == interview.uid
        assert int(event["SEQUENCE"]) == 0
        assert str(event["ORGANIZER"]) == "mailto:hr@example.com"
        attendees = sorted(str(a) for a in event["ATTENDEE"])
        assert attendees == [
            "mailto:hr@example.com",
            "mailto:mariana@example.com",
            "mailto:rodrigo@example.com",
        ]
        dtstart = event.decoded("DTSTART")
        assert dtstart == start
        assert str(dtstart.tzinfo) == "America/Sao_Paulo"
        assert event["DTSTART"].params["TZID"] == "America/Sao_Paulo"
        assert event.decoded("DTEND") - dtstart == timedelta(hours=1)
        assert [c for c in cal.walk("VTIMEZONE")]
        assert "Sala 3" in str(event["LOCATION"])
    by = {m.recipients[0]: m for m, _ in invites}
    assert by["mariana@example.com"].locale == "pt_BR"
    assert message.dedupe_key.startswith(f"interview:{interview.id}:v0:REQUEST:")
    db.session.expire_all()
    assert interview.application.stage == "interview"


def test_reschedule_keeps_uid_and_bumps_sequence_cancel_keeps_both(
    client, login_as, hr, interviewer, mariana
):
    login_as(hr)
    start = next_monday()
    _schedule(client, mariana, [hr, interviewer], start)
    interview = db.session.scalar(select(Interview))
    uid = interview.uid

    later = start + timedelta(hours=3)
    response = client.post(
        f"/recruiting/interviews/{interview.id}/reschedule",
        data={"start": _local(later), "duration": "45"},
    )
    assert response.status_code == 303
    updates = [(m, c) for m, c in _invites("REQUEST") if int(_event(c)["SEQUENCE"]) == 1]
    assert len(updates) == 3
    for message, cal in updates:
        event = _event(cal)
        assert str(event["UID"]) == uid
        assert event.decoded("DTSTART") == later
        expected = ("Atualizada", "Updated") if message.locale == "pt_BR" else ("Updated",)
        assert message.subject.startswith(expected)

    response = client.post(f"/recruiting/interviews/{interview.id}/cancel")
    assert response.status_code == 303
    cancels = _invites("CANCEL")
    assert len(cancels) == 3
    for message, cal in cancels:
        event = _event(cal)
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1  # only a reschedule bumps it
        assert str(event["STATUS"]) == "CANCELLED"
        assert message.attachments[0].content_type == "text/calendar; method=CANCEL"
    assert len(_invites()) == 9


def test_ics_bytes_are_frozen_in_the_outbox(app, client, login_as, hr, interviewer, mariana):
    login_as(hr)
    _schedule(client, mariana, [hr], next_monday())
    message, cal = _invites()[0]
    stamp = _event(cal).decoded("DTSTAMP")
    assert stamp.tzinfo is not None
    # A second write with the same dedupe key is a no-op: the stored bytes never change.
    from portal.services import recruiting

    interview = db.session.scalar(select(Interview))
    with app.test_request_context():
        recruiting._send_invitations(interview, "REQUEST")
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 2


def test_conflicting_interview_is_refused(
    client, login_as, hr, interviewer, mariana, add_application
):
    login_as(hr)
    start = next_monday()
    _schedule(client, mariana, [interviewer], start)
    james = add_application(CV_EN, name="James O'Connor", email="james@example.com")
    response = _schedule(client, james, [hr, interviewer], start + timedelta(minutes=30))
    assert response.status_code == 422
    assert "Rodrigo Mendes already has an interview at that time." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count(Interview.id))) == 1
    # Back to back is fine.
    assert _schedule(client, james, [interviewer], start + timedelta(hours=1)).status_code == 303


def test_working_hours_are_respected(client, login_as, hr, mariana):
    login_as(hr)
    response = client.post(
        "/recruiting/availability",
        data={**{f"start{d}": "09:00" for d in range(5)}, **{f"end{d}": "17:00" for d in range(5)}},
    )
    assert response.status_code == 303
    page = client.get("/recruiting/availability").get_data(as_text=True)
    assert 'value="09:00"' in page
    saturday = next_monday() + timedelta(days=5)
    response = _schedule(client, mariana, [hr], saturday)
    assert response.status_code == 422
    assert "outside Patrícia Almeida" in response.get_data(as_text=True)
    evening = next_monday(hour=16) + timedelta(minutes=30)
    assert _schedule(client, mariana, [hr], evening).status_code == 422  # ends 17:30
    assert db.session.scalar(select(func.count(Interview.id))) == 0
    assert _schedule(client, mariana, [hr], next_monday(hour=16)).status_code == 303
    bad = client.post("/recruiting/availability", data={"start0": "nine", "end0": "17:00"})
    assert bad.status_code == 422


def test_busy_slots_are_shown(client, login_as, hr, mariana):
    login_as(hr)
    start = next_monday(weeks=0)
    _schedule(client, mariana, [hr], start)
    page = client.get(f"/recruiting/applications/{mariana.id}/interviews/new").get_data(
        as_text=True
    )
    assert "My busy slots" in page
    assert "No interviews booked." not in page


def test_reminder_goes_out_once(app, client, login_as, hr, interviewer, mariana):
    login_as(hr)
    _schedule(client, mariana, [interviewer], next_monday())
    interview = db.session.scalar(select(Interview))
    from worker.jobs.recruiting import send_interview_reminders

    assert send_interview_reminders() == 0  # three weeks away
    soon = datetime.now(UTC) + timedelta(hours=20)
    db.session.execute(update(Interview).values(start_at=soon, end_at=soon + timedelta(hours=1)))
    db.session.commit()
    with app.test_request_context():
        assert send_interview_reminders() == 1
        assert send_interview_reminders() == 0
    reminders = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.template == "recruiting_reminder")
    ).all()
    assert sorted(m.recipients[0] for m in reminders) == [
        "mariana@example.com",
        "rodrigo@example.com",
    ]
    assert all(m.dedupe_key.startswith(f"interview:{interview.id}:v0:reminder:") for m in reminders)


def test_invitation_reaches_the_smtp_server_with_a_valid_ics(
    client, login_as, hr, mariana, smtp_sink, run_jobs
):
    login_as(hr)
    _schedule(client, mariana, [hr], next_monday())
    run_jobs()
    messages = smtp_sink.wait_for(2)
    assert len(messages) == 2
    for message in messages:
        parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert parts, "no calendar part"
        cal = Calendar.from_ical(parts[0].get_payload(decode=True))
        assert str(cal["METHOD"]) == "REQUEST"
        assert _event(cal)["UID"]


# --- scorecards -------------------------------------------------------------------------------


def test_scorecards_side_by_side(client, login_as, hr, interviewer, make_user, mariana):
    login_as(hr)
    _schedule(client, mariana, [hr, interviewer], next_monday())
    interview = db.session.scalar(select(Interview))
    past = datetime.now(UTC) - timedelta(hours=2)  # scorecards open once the interview started
    db.session.execute(update(Interview).values(start_at=past, end_at=past + timedelta(hours=1)))
    db.session.commit()
    data = {
        "technical": "4",
        "communication": "5",
        "problem_solving": "3",
        "culture": "4",
        "recommendation": "yes",
        "notes": "Boa comunicação",
    }
    assert (
        client.post(f"/recruiting/interviews/{interview.id}/scorecard", data=data).status_code
        == 303
    )
    login_as(interviewer)
    assert client.get(f"/recruiting/interviews/{interview.id}/scorecard").status_code == 200
    bad = client.post(
        f"/recruiting/interviews/{interview.id}/scorecard", data={**data, "technical": ""}
    )
    assert bad.status_code == 422
    data2 = {**data, "technical": "2", "recommendation": "no", "notes": "Pouco SQL"}
    assert (
        client.post(f"/recruiting/interviews/{interview.id}/scorecard", data=data2).status_code
        == 303
    )
    login_as(make_user(roles=["staff"]))
    assert client.get(f"/recruiting/interviews/{interview.id}/scorecard").status_code == 403
    login_as(hr)
    page = client.get(f"/recruiting/applications/{mariana.id}").get_data(as_text=True)
    assert "Boa comunicação" in page and "Pouco SQL" in page
    assert "Rodrigo Mendes" in page and "Strong yes" not in page
    assert "Scorecard filled in" in page


# --- self-booking -----------------------------------------------------------------------------


@pytest.fixture
def offered(app, opening, hr, interviewer):
    """An opening with interviewers and two offered slots."""
    from portal.models import User
    from portal.models.recruiting import Opening

    o = db.session.get(Opening, opening.id)
    o.interviewers = [db.session.get(User, interviewer.id)]
    db.session.commit()
    slots = []
    for hour in (10, 14):
        start = next_monday(hour).astimezone(UTC)
        slot = InterviewSlot(opening_id=o.id, start_at=start, end_at=start + timedelta(hours=1))
        db.session.add(slot)
        slots.append(slot)
    db.session.commit()
    return [s.id for s in slots]


def _link(app, application_id: int, hr_id: int) -> str:
    from portal.models import User
    from portal.models.recruiting import Application
    from portal.services import recruiting

    with app.test_request_context():
        token = recruiting.create_booking_link(
            db.session.get(Application, application_id), actor=db.session.get(User, hr_id)
        )
        db.session.commit()
    return token


def test_booking_link_books_a_slot_once(app, client, hr, mariana, offered):
    token = _link(app, mariana.id, hr.id)
    mail = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.template == "recruiting_booking")
    )
    assert f"/recruiting/book/{token}" in mail.text_body
    assert db.session.scalar(select(BookingToken.token_hash)) != token  # stored hashed

    page = client.get(f"/recruiting/book/{token}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count('name="slot"') == 2
    assert "Pedro" not in body and "mariana@example.com" not in body  # nothing else leaks

    response = client.post(f"/recruiting/book/{token}", data={"slot": str(offered[0])})
    assert response.status_code == 200
    # Mariana's application is in Portuguese: so is her booking page.
    assert "Sua entrevista está marcada" in response.get_data(as_text=True)
    interview = db.session.scalar(select(Interview))
    assert interview.slot_id == offered[0]
    assert len(_invites("REQUEST")) == 2  # candidate + the opening's interviewer

    again = client.post(f"/recruiting/book/{token}", data={"slot": str(offered[1])})
    assert again.status_code == 410
    assert "já foi usado" in again.get_data(as_text=True)
    assert client.get(f"/recruiting/book/{token}").status_code == 410


def test_expired_and_unknown_links(app, client, hr, mariana, offered):
    token = _link(app, mariana.id, hr.id)
    db.session.execute(
        update(BookingToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.session.commit()
    response = client.get(f"/recruiting/book/{token}")
    assert response.status_code == 410
    assert "expirou" in response.get_data(as_text=True)  # in Mariana's language
    assert (
        client.post(f"/recruiting/book/{token}", data={"slot": str(offered[0])}).status_code == 410
    )
    assert client.get("/recruiting/book/not-a-token").status_code == 404
    assert db.session.scalar(select(func.count(Interview.id))) == 0


def test_booking_page_speaks_the_candidates_language_not_the_browsers(
    app, client, hr, mariana, add_application, offered
):
    james = add_application(CV_EN, name="James O'Connor", email="james@example.com", locale="en")
    pt_token, en_token = _link(app, mariana.id, hr.id), _link(app, james.id, hr.id)
    # Mariana (pt_BR) opens her link in an English browser: Portuguese page.
    body = client.get(
        f"/recruiting/book/{pt_token}", headers={"Accept-Language": "en-US,en;q=0.9"}
    ).get_data(as_text=True)
    assert '<html lang="pt-BR">' in body
    assert "Escolha um horário" in body or "Horários disponíveis" in body
    assert "Available times" not in body
    # James (en) opens his in a Portuguese browser: English page, English answer after booking.
    body = client.get(
        f"/recruiting/book/{en_token}", headers={"Accept-Language": "pt-BR,pt;q=0.9"}
    ).get_data(as_text=True)
    assert '<html lang="en">' in body and "Available times" in body
    done = client.post(
        f"/recruiting/book/{en_token}",
        data={"slot": str(offered[0])},
        headers={"Accept-Language": "pt-BR"},
    ).get_data(as_text=True)
    assert "Your interview is booked" in done
    # An unknown link has no candidate: the browser's language decides.
    body = client.get(
        "/recruiting/book/not-a-token", headers={"Accept-Language": "pt-BR"}
    ).get_data(as_text=True)
    assert '<html lang="pt-BR">' in body


def test_slot_taken_in_the_meantime(app, client, hr, mariana, add_application, offered):
    james = add_application(CV_EN, name="James O'Connor", email="james@example.com")
    t1, t2 = _link(app, mariana.id, hr.id), _link(app, james.id, hr.id)
    assert client.post(f"/recruiting/book/{t1}", data={"slot": str(offered[0])}).status_code == 200
    response = client.post(f"/recruiting/book/{t2}", data={"slot": str(offered[0])})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "someone has just taken this time" in body
    assert body.count('name="slot"') == 1  # only the free one is offered now
    # The token was not spent: James picks the other slot.
    assert client.post(f"/recruiting/book/{t2}", data={"slot": str(offered[1])}).status_code == 200


def test_two_candidates_racing_for_one_slot_one_wins(app, hr, mariana, add_application, offered):
    james = add_application(CV_EN, name="James O'Connor", email="james@example.com")
    tokens = [_link(app, mariana.id, hr.id), _link(app, james.id, hr.id)]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def book(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        results.append(
            client.post(f"/recruiting/book/{token}", data={"slot": str(offered[0])}).status_code
        )

    threads = [threading.Thread(target=book, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [200, 409]
    assert db.session.scalar(select(func.count(Interview.id))) == 1
    slot = db.session.get(InterviewSlot, offered[0])
    assert slot.application_id in (mariana.id, james.id)


def test_offering_slots_requires_interviewers_and_no_overlap(
    client, login_as, hr, opening, interviewer
):
    login_as(hr)
    start = next_monday()
    response = client.post(
        f"/recruiting/openings/{opening.id}/slots", data={"start": _local(start), "duration": "60"}
    )
    assert response.status_code == 422
    assert "interviewers first" in response.get_data(as_text=True)
