"""My messages: only one's own, badge count, mark returned, transfers, notifications by e-mail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Notification, OutboundMessage
from portal.models.frontdesk import Call
from portal.services.notifications import render
from tests.frontdesk.conftest import HX, call_form, deliver_all, local_input


def test_staff_see_only_their_own_messages(client, login_as, ana, bruno, log_call):
    log_call(caller_name="For Ana")
    log_call(caller_name="For Bruno", for_whom="bruno@example.com")
    login_as(ana)
    html = client.get("/frontdesk/messages").get_data(as_text=True)
    assert "For Ana" in html and "For Bruno" not in html
    # The nav badge shows one open message.
    assert 'My messages <span class="badge badge-count">1</span>' in html


def test_mark_returned_with_note(client, login_as, ana, bruno, log_call):
    call = log_call()
    login_as(bruno)
    assert client.post(f"/frontdesk/messages/{call.id}/returned").status_code == 403
    login_as(ana)
    resp = client.post(
        f"/frontdesk/messages/{call.id}/returned", data={"note": "Called back"}, headers=HX
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li id="message-{call.id}"') and "Called back" in body
    db.session.expire_all()
    call = db.session.get(Call, call.id)
    assert call.status == "returned" and call.return_note == "Called back"
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "frontdesk.call.returned")
    )
    # Twice is refused; the badge is gone.
    assert client.post(f"/frontdesk/messages/{call.id}/returned").status_code == 409
    assert "badge-count" not in client.get("/frontdesk/messages").get_data(as_text=True)


def test_transfer_is_visible_to_the_transferee(client, login_as, desk_user, ana, bruno):
    login_as(desk_user)
    data = call_form(
        outcome="transferred", transferred_to="Bruno Carvalho <bruno@example.com>", message=""
    )
    assert client.post("/frontdesk/calls", data=data, headers=HX).status_code == 200
    call = db.session.scalar(select(Call))
    assert call.for_user_id == ana.id and call.transferred_to_id == bruno.id
    assert call.recipient_id == bruno.id and call.status == "closed"
    login_as(bruno)
    html = client.get("/frontdesk/messages").get_data(as_text=True)
    assert "Carlos Souza" in html and "transferred to you" in html
    login_as(ana)
    assert "Carlos Souza" not in client.get("/frontdesk/messages").get_data(as_text=True)


def test_recipient_notified_in_app_and_by_email(
    client, login_as, desk_user, ana, smtp_sink, run_jobs
):
    login_as(desk_user)
    data = call_form(urgency="urgent", message="Server room is flooding")
    assert client.post("/frontdesk/calls", data=data, headers=HX).status_code == 200
    note = db.session.scalar(select(Notification).where(Notification.user_id == ana.id))
    assert note.kind == "frontdesk.message" and "Urgent message from Carlos Souza" in render(note)
    messages = deliver_all(run_jobs, smtp_sink, 1)
    assert len(messages) == 1
    assert messages[0]["X-Sink-Rcpts"] == "ana@example.com"
    assert "Carlos Souza" in messages[0]["Subject"]


def test_message_for_pt_br_recipient_is_in_portuguese(make_user, log_call, smtp_sink, run_jobs):
    make_user(roles=["staff"], name="Ana Santos", email="ana@example.com", locale="pt_BR")
    log_call()
    assert deliver_all(run_jobs, smtp_sink, 1)
    # Rendered in the recipient's language (the text itself comes from the merged catalogue).
    assert db.session.scalar(select(OutboundMessage.locale)) == "pt_BR"


def test_nobody_notified_for_handled_calls(log_call, ana):
    log_call(outcome="handled", message="")
    assert db.session.scalar(select(Notification)) is None


def test_overdue_callback_highlighted(client, login_as, ana, log_call):
    call = log_call(outcome="callback", callback_due=local_input(timedelta(hours=1)))
    call.callback_due_at = call.created_at - timedelta(minutes=1)
    db.session.commit()
    login_as(ana)
    html = client.get("/frontdesk/messages?show=open").get_data(as_text=True)
    assert "message-item open overdue" in html and "Overdue" in html


def test_back_office_may_see_any_call_detail(client, login_as, desk_user, ana, log_call):
    call = log_call()
    login_as(desk_user)
    assert client.get(f"/frontdesk/calls/{call.id}").status_code == 200
    login_as(ana)
    assert client.get(f"/frontdesk/calls/{call.id}").status_code == 403
