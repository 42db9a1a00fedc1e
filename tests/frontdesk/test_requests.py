"""Staff requests: filing, triage, comments both ways, status flow, notifications, visibility."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from portal import ui
from portal.extensions import db
from portal.models import Notification
from portal.models.frontdesk import StaffRequest
from portal.services.notifications import render
from tests.frontdesk.conftest import deliver_all


def _file(client, **overrides):
    data = {
        "type": "equipment_fault",
        "title": "Printer jammed",
        "description": "The 2nd floor printer eats paper.",
    }
    data.update(overrides)
    return client.post("/frontdesk/requests", data=data)


def _notes(user) -> list[str]:
    return [
        render(note)
        for note in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def test_file_and_see_only_own(client, login_as, ana, bruno):
    login_as(ana)
    assert client.get("/frontdesk/requests/new").status_code == 200
    resp = _file(client)
    assert resp.status_code == 303
    req = db.session.scalar(select(StaffRequest))
    assert req.status == "new" and req.requester_id == ana.id
    assert "Printer jammed" in client.get("/frontdesk/requests").get_data(as_text=True)
    login_as(bruno)
    assert "Printer jammed" not in client.get("/frontdesk/requests").get_data(as_text=True)
    assert client.get(f"/frontdesk/requests/{req.id}").status_code == 404
    assert (
        client.post(f"/frontdesk/requests/{req.id}/comments", data={"body": "hi"}).status_code
        == 404
    )
    assert (
        client.post(f"/frontdesk/requests/{req.id}/status", data={"status": "done"}).status_code
        == 403
    )


def test_bad_request_input_is_422(client, login_as, ana):
    login_as(ana)
    resp = _file(client, type="nonsense", description="")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="type-error"' in body or "Not a valid choice" in body
    resp = _file(client, description="")
    assert resp.status_code == 422 and 'id="description-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StaffRequest.id))) == 0


def test_triage_comments_and_status_flow(client, login_as, desk_user, ana, smtp_sink, run_jobs):
    login_as(ana)
    _file(client)
    req_id = db.session.scalar(select(StaffRequest.id))
    login_as(desk_user)
    assert "Printer jammed" in client.get("/frontdesk/requests?status=new").get_data(as_text=True)
    due = (date.today() + timedelta(days=3)).isoformat()
    resp = client.post(
        f"/frontdesk/requests/{req_id}/triage",
        data={"assignee_id": str(desk_user.id), "priority": "high", "due_date": due},
    )
    assert resp.status_code == 303
    resp = client.post(f"/frontdesk/requests/{req_id}/comments", data={"body": "Which tray?"})
    assert resp.status_code == 303
    login_as(ana)
    page = client.get(f"/frontdesk/requests/{req_id}").get_data(as_text=True)
    assert "Which tray?" in page and "Juliana Costa" in page
    assert (
        client.post(f"/frontdesk/requests/{req_id}/comments", data={"body": "Tray 2"}).status_code
        == 303
    )
    login_as(desk_user)
    assert (
        client.post(
            f"/frontdesk/requests/{req_id}/status", data={"status": "in_progress"}
        ).status_code
        == 303
    )
    # Reject needs a reason.
    resp = client.post(f"/frontdesk/requests/{req_id}/status", data={"status": "rejected"})
    assert resp.status_code == 422 and 'id="reason-error"' in resp.get_data(as_text=True)
    assert (
        client.post(f"/frontdesk/requests/{req_id}/status", data={"status": "done"}).status_code
        == 303
    )
    # Closed: nothing more moves.
    assert (
        client.post(
            f"/frontdesk/requests/{req_id}/status", data={"status": "in_progress"}
        ).status_code
        == 409
    )
    req = db.session.get(StaffRequest, req_id)
    assert req.status == "done" and req.priority == "high" and req.assignee_id == desk_user.id
    texts = _notes(ana)
    assert len(texts) == 4  # triaged, comment, in progress, done
    assert any("In progress" in t for t in texts) and any("Done" in t for t in texts)
    assert any("commented on request" in t for t in _notes(desk_user))
    got = deliver_all(run_jobs, smtp_sink, 5)
    assert sum(m["X-Sink-Rcpts"] == "ana@example.com" for m in got) == 4


def test_reject_with_reason(client, login_as, desk_user, ana):
    login_as(ana)
    _file(client, type="supplies", title="Post-its")
    req_id = db.session.scalar(select(StaffRequest.id))
    login_as(desk_user)
    assert (
        client.post(
            f"/frontdesk/requests/{req_id}/status",
            data={"status": "rejected", "reason": "Stock in cupboard B"},
        ).status_code
        == 303
    )
    req = db.session.get(StaffRequest, req_id)
    assert req.status == "rejected" and req.reject_reason == "Stock in cupboard B"
    assert any("Stock in cupboard B" in t for t in _notes(ana))


def test_triage_only_to_back_office(client, login_as, desk_user, ana, bruno):
    login_as(ana)
    _file(client)
    req_id = db.session.scalar(select(StaffRequest.id))
    login_as(desk_user)
    resp = client.post(
        f"/frontdesk/requests/{req_id}/triage",
        data={"assignee_id": str(bruno.id), "priority": "normal"},
    )
    assert resp.status_code == 422
    login_as(ana)
    assert (
        client.post(
            f"/frontdesk/requests/{req_id}/triage", data={"assignee_id": "", "priority": "high"}
        ).status_code
        == 403
    )


def test_request_types_are_extensible(app, ana):
    from portal.services import frontdesk

    seen = []
    ui.registry(app).request_type("it_access", "IT access", on_filed=seen.append)
    req = frontdesk.file_request(
        requester=ana, type="it_access", title="VPN", description="Need VPN"
    )
    assert seen == [req]
