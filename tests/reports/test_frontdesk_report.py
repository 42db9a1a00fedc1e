"""Front desk report figures against a small data set computed by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models.frontdesk import Call, StaffRequest
from portal.services import reports
from tests.reports.conftest import NOVEMBER, local


@pytest.fixture
def desk(people, make_user):
    ana = make_user(roles=["staff"], name="Ana Souza")
    bruno = people["back"]
    rows = [
        # Monday 2 Nov, 09:30: a message and a callback returned on time, both for Ana.
        Call(
            caller_name="C1",
            outcome="message",
            recipient_id=ana.id,
            created_at=local(2026, 11, 2, 9, 30),
        ),
        Call(
            caller_name="C2",
            outcome="callback",
            recipient_id=ana.id,
            status="returned",
            created_at=local(2026, 11, 2, 9, 40),
            callback_due_at=local(2026, 11, 2, 11, 30),
            returned_at=local(2026, 11, 2, 11, 0),
        ),
        # Monday 2 Nov 23:30 local is Tuesday 02:30 UTC: still Monday, hour 23, in the report.
        Call(caller_name="C3", outcome="handled", created_at=local(2026, 11, 2, 23, 30)),
        # Tuesday 3 Nov, 14:00: a callback Bruno returned late.
        Call(
            caller_name="C4",
            outcome="callback",
            recipient_id=bruno.id,
            status="returned",
            created_at=local(2026, 11, 3, 14, 0),
            callback_due_at=local(2026, 11, 3, 15, 0),
            returned_at=local(2026, 11, 3, 16, 0),
        ),
        # Wednesday 4 Nov, 08:15: a callback for Ana never returned (overdue).
        Call(
            caller_name="C5",
            outcome="callback",
            recipient_id=ana.id,
            created_at=local(2026, 11, 4, 8, 15),
            callback_due_at=local(2026, 11, 4, 10, 0),
        ),
        # Void: never counted.
        Call(
            caller_name="C6",
            outcome="handled",
            created_at=local(2026, 11, 4, 9, 0),
            voided_at=local(2026, 11, 4, 9, 5),
        ),
        # 31 Oct 23:00 local (1 Nov 02:00 UTC): the previous period.
        Call(caller_name="C7", outcome="handled", created_at=local(2026, 10, 31, 23, 0)),
    ]
    requester = people["staff"]
    created = local(2026, 11, 5, 10, 0)
    second = local(2026, 11, 6, 10, 0)
    rows += [
        StaffRequest(
            type="supplies",
            title="Toner",
            description="-",
            requester_id=requester.id,
            assignee_id=bruno.id,
            status="done",
            created_at=created,
            triaged_at=created + timedelta(hours=2),
            closed_at=created + timedelta(hours=26),
        ),
        StaffRequest(
            type="supplies",
            title="Papel",
            description="-",
            requester_id=requester.id,
            status="in_progress",
            created_at=second,
            triaged_at=second + timedelta(hours=4),
        ),
        StaffRequest(
            type="general",
            title="Chave",
            description="-",
            requester_id=requester.id,
            created_at=local(2026, 10, 20, 10, 0),
        ),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return {"ana": ana, "bruno": bruno}


def test_calls_per_day_and_hour_of_week(app, desk):
    report = reports.build_report("frontdesk", {**NOVEMBER, "compare": "1"})
    calls = report.section("calls")
    assert calls.table.rows == [["Nov 2", 3], ["Nov 3", 1], ["Nov 4", 1]]
    total = calls.figures[0]
    assert (total.value, total.previous) == (5, 1)
    assert calls.chart.series[0][1][:4] == [0, 3, 1, 1]  # 1 Nov (Sunday) had none
    # Compared day by day: the previous period is 2-31 Oct; its one call was on 31 Oct.
    name, earlier = calls.chart.series[1]
    assert name == "Previous period"
    assert earlier[29] == 1 and sum(earlier) == 1

    hours = report.section("hours")
    header = [str(c.label) for c in hours.table.columns]
    assert header == ["Day", "08h", "09h", "14h", "23h"]
    by_day = {row[0]: row[1:] for row in hours.table.rows}
    assert by_day["Mon"] == [0, 2, 0, 1]
    assert by_day["Tue"] == [0, 0, 1, 0]
    assert by_day["Wed"] == [1, 0, 0, 0]
    assert by_day["Sun"] == [0, 0, 0, 0]


def test_callbacks_on_time_share_and_open_messages(app, desk):
    report = reports.build_report("frontdesk", NOVEMBER)
    callbacks = report.section("callbacks")
    assert callbacks.table.rows == [
        ["Ana Souza", 1, 0, 1, 0, 0.5],
        ["Bruno Back", 0, 1, 0, 0, 0.0],
    ]
    assert callbacks.figures[0].value == pytest.approx(1 / 3)

    still_open = report.section("open")
    assert [(r[0], r[1]) for r in still_open.table.rows] == [("Ana Souza", 2)]


def test_requests_by_type_with_response_and_resolution_hours(app, desk):
    report = reports.build_report("frontdesk", {**NOVEMBER, "compare": "1"})
    section = report.section("requests")
    assert section.table.rows == [["Supplies", 2, 1, 3.0, 26.0]]
    assert (section.figures[0].value, section.figures[0].previous) == (2, 1)


def test_person_filter(app, desk):
    report = reports.build_report("frontdesk", {**NOVEMBER, "person": str(desk["bruno"].id)})
    assert report.section("calls").table.rows == [["Nov 3", 1]]
    assert report.section("requests").table.rows == [["Supplies", 1, 1, 2.0, 26.0]]


def test_empty_period_says_so(app, client, people, login_as):
    login_as(people["back"])
    page = client.get("/reports/frontdesk?period=custom&from=2020-01-01&to=2020-01-31")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count("No data in this period.") == 5
    assert "/chart/calls.svg" not in body
