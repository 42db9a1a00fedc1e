"""Issue 10 (part) and 11 (part): no-store on every HR answer, one charset on a TXT CV, and an
audit entry, old -> new, for every change to scorecards, working hours, booking links and bookings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AuditEntry, User
from portal.models.recruiting import Interview, InterviewSlot
from tests.recruiting.hr_world import (
    INVALID,
    SENTINELS,
    TZ,
    area_routes,
    booking_token,
    hr_world_fixture,  # noqa: F401  (the hr_world fixture)
    route_url,
)


def _login(client, user_id: int):
    user = db.session.get(User, user_id)
    with client.session_transaction() as sess:
        sess["_user_id"] = user.session_token
        sess["_fresh"] = True
    return client


def _entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _local(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


# --- Cache-Control: no-store --------------------------------------------------------------------


def test_every_recruiting_answer_says_no_store(app, hr_world):
    """HR, back office and anonymous; pages, fragments, errors, redirects, 404 and 405 alike."""
    clients = {
        "hr": _login(app.test_client(), hr_world["hr_id"]),
        "back_office": _login(app.test_client(), hr_world["caller_ids"]["back_office"]),
        "anonymous": app.test_client(),
    }
    failures = []
    for rule in area_routes(app):
        for who, client in clients.items():
            for method in ("GET", "POST"):
                for headers in ({}, {"HX-Request": "true"}):
                    db.session.rollback()
                    url = route_url(app, rule, hr_world)
                    data = INVALID if method == "POST" else {}
                    response = client.open(url, method=method, data=data, headers=headers)
                    if response.headers.get("Cache-Control") != "no-store":
                        failures.append(
                            f"{who} {method} {url} -> {response.status_code}: "
                            f"{response.headers.get('Cache-Control')!r}"
                        )
    for who, client in clients.items():
        response = client.get("/recruiting/no-such-page")
        assert response.status_code == 404
        if response.headers.get("Cache-Control") != "no-store":
            failures.append(f"{who} 404: {response.headers.get('Cache-Control')!r}")
    assert failures == [], "\n".join(failures)


def test_the_candidates_booking_page_says_no_store(app, client, hr_world):
    token = booking_token(hr_world)
    response = client.get(f"/recruiting/book/{token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    booked = client.post(f"/recruiting/book/{token}", data={"slot": str(hr_world["slot_id"])})
    assert booked.status_code == 200
    assert booked.headers["Cache-Control"] == "no-store"


def test_other_areas_keep_their_own_cache_policy(app, client, hr_world):
    _login(client, hr_world["hr_id"])
    assert client.get("/").headers["Cache-Control"] == "private, no-cache"


# --- the TXT CV ---------------------------------------------------------------------------------


def test_a_txt_cv_is_served_with_one_charset(app, client, hr_world):
    _login(client, hr_world["hr_id"])
    response = client.get(f"/recruiting/cvs/{hr_world['cv_id']}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert SENTINELS["CV file content"] in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


# --- audit: old -> new --------------------------------------------------------------------------


SCORECARD = {
    "technical": "4",
    "communication": "3",
    "problem_solving": "5",
    "culture": "2",
    "recommendation": "yes",
    "notes": "Knows reconciliations well.",
}


def _interview_started(interview_id: int) -> None:
    """Scorecards open once the interview has started: move it two hours back."""
    past = datetime.now(UTC) - timedelta(hours=2)
    db.session.execute(
        update(Interview)
        .where(Interview.id == interview_id)
        .values(start_at=past, end_at=past + timedelta(hours=1))
    )
    db.session.commit()


def test_scorecards_are_audited_field_by_field(app, client, hr_world):
    interviewer_id = hr_world["caller_ids"]["staff"]  # takes part, has no scorecard yet
    _login(client, interviewer_id)
    url = f"/recruiting/interviews/{hr_world['interview_id']}/scorecard"
    _interview_started(hr_world["interview_id"])
    assert client.post(url, data=SCORECARD).status_code == 303
    (created,) = [
        e for e in _entries("recruiting.scorecard.created") if e.actor_id == interviewer_id
    ]
    assert created.target_type == "Scorecard"
    assert created.changes == {
        "technical": [None, 4],
        "communication": [None, 3],
        "problem_solving": [None, 5],
        "culture": [None, 2],
        "recommendation": [None, "yes"],
        "notes": [None, "Knows reconciliations well."],
    }

    changed = {**SCORECARD, "technical": "2", "notes": "Weak on SQL after all."}
    assert client.post(url, data=changed).status_code == 303
    (entry,) = _entries("recruiting.scorecard.changed")
    assert entry.target_id == created.target_id
    assert entry.changes == {
        "technical": [4, 2],
        "notes": ["Knows reconciliations well.", "Weak on SQL after all."],
    }

    assert client.post(url, data=changed).status_code == 303  # saved again, nothing changed
    assert len(_entries("recruiting.scorecard.changed")) == 1


def test_working_hours_are_audited_day_by_day(app, client, hr_world):
    user_id = hr_world["caller_ids"]["back_office"]
    _login(client, user_id)
    week = {**{f"start{d}": "09:00" for d in range(5)}, **{f"end{d}": "17:00" for d in range(5)}}
    assert client.post("/recruiting/availability", data=week).status_code == 303
    (first,) = _entries("recruiting.hours.changed")
    assert first.actor_id == user_id
    assert (first.target_type, first.target_id) == ("User", user_id)
    assert first.changes == {
        day: [None, "09:00-17:00"]
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    }

    week.update(start0="10:00", end0="16:00", start1="", end1="")
    assert client.post("/recruiting/availability", data=week).status_code == 303
    second = _entries("recruiting.hours.changed")[-1]
    assert second.changes == {
        "monday": ["09:00-17:00", "10:00-16:00"],
        "tuesday": ["09:00-17:00", None],
    }
    assert client.post("/recruiting/availability", data=week).status_code == 303
    assert len(_entries("recruiting.hours.changed")) == 2  # unchanged: no entry


def test_booking_links_and_bookings_are_audited(app, hr_world):
    hr_id, application_id = hr_world["hr_id"], hr_world["application_id"]
    hr_client = _login(app.test_client(), hr_id)
    response = hr_client.post(f"/recruiting/applications/{application_id}/booking-link")
    assert response.status_code == 200
    (created,) = _entries("recruiting.booking_link.created")
    assert created.actor_id == hr_id
    assert (created.target_type, created.target_id) == ("Application", application_id)
    assert created.changes["booking_link_id"][0] is None
    assert created.changes["booking_link_id"][1] is not None
    assert created.changes["expires_at"][0] is None

    # The candidate books (no portal user): the link is spent and the slot taken, both audited.
    token = booking_token(hr_world)
    slot_id = hr_world["slot_id"]
    candidate = app.test_client()
    assert candidate.post(f"/recruiting/book/{token}", data={"slot": str(slot_id)}).status_code == (
        200
    )
    (used,) = _entries("recruiting.booking_link.used")
    assert used.actor_id is None and used.target_id == application_id
    assert used.changes["used_at"][0] is None and used.changes["used_at"][1]
    (booked,) = _entries("recruiting.slot.booked")
    interview = db.session.scalar(select(Interview).where(Interview.slot_id == slot_id))
    assert (booked.target_type, booked.target_id) == ("InterviewSlot", slot_id)
    assert booked.changes == {
        "application_id": [None, application_id],
        "interview_id": [None, interview.id],
    }

    # Cancelling the booked interview frees the slot: audited as the booking undone.
    assert hr_client.post(f"/recruiting/interviews/{interview.id}/cancel").status_code == 303
    (released,) = _entries("recruiting.slot.released")
    assert released.actor_id == hr_id
    assert (released.target_type, released.target_id) == ("InterviewSlot", slot_id)
    assert released.changes == {"application_id": [application_id, None]}
    cancelled = [
        e for e in _entries("recruiting.interview.cancelled") if e.target_id == interview.id
    ]
    assert cancelled[0].changes == {"status": ["scheduled", "cancelled"]}
    assert db.session.get(InterviewSlot, slot_id).application_id is None


def test_reschedules_and_offered_slots_are_audited_old_to_new(app, client, hr_world):
    _login(client, hr_world["hr_id"])
    interview = db.session.get(Interview, hr_world["interview_id"])
    old_start, old_end = interview.start_at, interview.end_at
    new_start = old_start + timedelta(days=2, hours=1)
    response = client.post(
        f"/recruiting/interviews/{interview.id}/reschedule",
        data={"start": _local(new_start), "duration": "30"},
    )
    assert response.status_code == 303
    (moved,) = _entries("recruiting.interview.rescheduled")
    assert moved.changes == {
        "start_at": [str(old_start), str(new_start.astimezone(UTC))],
        "end_at": [str(old_end), str(new_start.astimezone(UTC) + timedelta(minutes=30))],
    }

    slot_start = datetime.now(TZ).replace(hour=11, minute=0, second=0, microsecond=0)
    slot_start += timedelta(days=(7 - slot_start.weekday()) % 7 or 7, weeks=5)
    response = client.post(
        f"/recruiting/openings/{hr_world['opening_id']}/slots",
        data={"start": _local(slot_start), "duration": "45"},
    )
    assert response.status_code == 303
    offered = [e for e in _entries("recruiting.slot.added") if e.target_id != hr_world["slot_id"]]
    assert len(offered) == 1
    assert offered[0].changes == {
        "opening_id": [None, hr_world["opening_id"]],
        "start_at": [None, slot_start.astimezone(UTC).isoformat()],
        "end_at": [None, (slot_start + timedelta(minutes=45)).astimezone(UTC).isoformat()],
    }
