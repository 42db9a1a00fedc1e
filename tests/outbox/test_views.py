"""The admin "Outbox & jobs" page, retry/cancel, the test e-mail button and the dev mailbox."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from portal.extensions import db
from portal.models.devmail import DevMailboxMessage
from portal.models.outbox import OutboundMessage
from portal.services import outbox
from portal.services.outbox import Attachment


@pytest.fixture
def admin(make_user, login_as):
    return login_as(make_user(roles=["admin"], email="admin@example.com"))


def _queue(n: int = 1, **kw) -> list[OutboundMessage]:
    rows = [
        outbox.queue_email(
            f"to{i}@example.com",
            "outbox_test",
            {"requested_by": "X", "requested_at": "now", "backend": "dev"},
            dedupe_key=f"view-test:{i}:{kw.get('tag', '')}",
        )
        for i in range(n)
    ]
    db.session.commit()
    return rows


def test_page_lists_messages_filtered_by_status(client, admin, rendered_templates):
    rows = _queue(3)
    rows[0].status = "failed"
    rows[0].last_error = "550 5.1.1 No such user here"
    rows[0].attempts = 1
    db.session.commit()
    page = client.get("/admin/outbox/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Outbox & jobs" in html and "to2@example.com" in html
    assert 'id="outbox-jobs"' in html and 'hx-trigger="every 5s"' in html
    assert rendered_templates[-1] == "outbox/index.html"
    rendered_templates.clear()
    failed = client.get("/admin/outbox/?status=failed", headers={"HX-Request": "true"})
    body = failed.get_data(as_text=True)
    assert failed.status_code == 200
    assert rendered_templates == ["outbox/_partials/_messages.html"]
    assert 'id="outbox-messages"' in body
    assert "to0@example.com" in body and "to1@example.com" not in body
    assert "550 5.1.1 No such user here" in body


def test_page_is_paginated(client, admin, app):
    app.config["PAGE_SIZE"] = 2
    _queue(5)
    html = client.get("/admin/outbox/?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in html


def test_only_admins_see_the_outbox(client, make_user, login_as):
    assert client.get("/admin/outbox/").status_code in (302, 303, 401)
    login_as(make_user(roles=["back_office"]))
    for url in ("/admin/outbox/", "/admin/outbox/jobs", "/admin/outbox/mailbox"):
        assert client.get(url).status_code == 403


def test_anonymous_htmx_gets_401_with_redirect(client):
    response = client.get("/admin/outbox/jobs", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "HX-Redirect" in response.headers


def test_jobs_fragment_counts_queues_and_workers(client, admin, app):
    import time

    from portal.enqueue import get_queue, get_redis
    from portal.services.health import HEARTBEAT_KEY

    get_queue("mail").enqueue("worker.jobs.mail.send_message", 999999)
    get_redis().hset(HEARTBEAT_KEY, "portal-test-worker", time.time())
    response = client.get("/admin/outbox/jobs", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="queue-mail"' in html and "1 worker alive" in html
    assert "portal-test-worker" in html
    full = client.get("/admin/outbox/jobs").get_data(as_text=True)
    assert "<html" in full and 'id="outbox-jobs"' in full


def test_jobs_fragment_survives_redis_down(client, admin, app):
    from redis import Redis

    app.extensions["portal_redis"] = Redis.from_url(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.2
    )
    response = client.get("/admin/outbox/jobs", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Redis is unreachable" in response.get_data(as_text=True)


def test_retry_a_failed_message_sets_pending_and_nudges(client, admin, run_jobs):
    from portal.enqueue import get_queue

    (row,) = _queue(1)
    get_queue("mail").empty()  # forget the first nudge: this row is dead
    row.status, row.attempts, row.last_error = "dead", 10, "421 later"
    db.session.commit()
    response = client.post(f"/admin/outbox/{row.id}/retry")
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(OutboundMessage, row.id)
    assert row.status == "pending"
    row_id = row.id
    assert run_jobs() == 1  # the nudge was enqueued after the commit
    assert db.session.get(OutboundMessage, row_id).status == "sent"


def test_retry_refuses_a_sent_message(client, admin):
    (row,) = _queue(1)
    row.status = "sent"
    db.session.commit()
    response = client.post(f"/admin/outbox/{row.id}/retry")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(OutboundMessage, row.id).status == "sent"


def test_cancel_a_pending_message_then_it_is_never_sent(client, admin, run_jobs):
    (row,) = _queue(1)
    row_id = row.id
    response = client.post(f"/admin/outbox/{row_id}/cancel", headers={"HX-Request": "true"})
    assert response.status_code == 204 and "HX-Location" in response.headers
    run_jobs()
    assert db.session.get(OutboundMessage, row_id).status == "cancelled"
    assert db.session.query(DevMailboxMessage).count() == 0
    again = client.post(f"/admin/outbox/{row_id}/cancel")
    assert again.status_code == 409


def test_detail_shows_per_recipient_status(client, admin):
    (row,) = _queue(1)
    row.recipients = ["a@example.com", "b@example.com"]
    row.status = "sent"
    row.recipient_status = {"a@example.com": "sent", "b@example.com": "550 5.1.1 No such user"}
    db.session.commit()
    html = client.get(f"/admin/outbox/{row.id}").get_data(as_text=True)
    assert "b@example.com" in html and "550 5.1.1 No such user" in html
    assert client.get("/admin/outbox/424242").status_code == 404


def test_send_test_email_goes_through_outbox_and_worker(client, admin, run_jobs):
    response = client.post("/admin/outbox/test", data={"to": "check@example.com"})
    assert response.status_code == 303
    row = db.session.query(OutboundMessage).one()
    assert row.recipients == ["check@example.com"] and row.status == "pending"
    run_jobs()
    mail = db.session.query(DevMailboxMessage).one()
    assert mail.recipients == ["check@example.com"] and "Test e-mail" in mail.subject


def test_send_test_email_rejects_a_bad_address_with_422(client, admin):
    response = client.post(
        "/admin/outbox/test", data={"to": "not-an-address"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="outbox-test"' in html and "field-error" in html and "<html" not in html
    assert db.session.query(OutboundMessage).count() == 0
    full = client.post("/admin/outbox/test", data={"to": ""})
    assert full.status_code == 422 and "<html" in full.get_data(as_text=True)


# --- dev mailbox -------------------------------------------------------------------------------


def _mailbox_message() -> DevMailboxMessage:
    mime = EmailMessage()
    mime["From"] = "portal@localhost"
    mime["To"] = "x@example.com"
    mime["Subject"] = "Hello <b>there</b>"
    mime["Message-ID"] = "<abc@portal.test>"
    mime.set_content("plain text body")
    mime.add_alternative(
        '<p>Hi</p><script>alert(1)</script><img src="http://tracker.example/x.gif">',
        subtype="html",
    )
    mime.add_attachment(
        b"<html><script>alert(2)</script></html>",
        maintype="text",
        subtype="html",
        filename="evil.html",
    )
    mime.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="a.pdf")
    row = DevMailboxMessage(
        message_id="<abc@portal.test>",
        sender="portal@localhost",
        recipients=["x@example.com"],
        subject="Hello <b>there</b>",
        raw=mime.as_bytes(),
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_mailbox_lists_and_shows_a_message_safely(client, admin):
    row = _mailbox_message()
    listing = client.get("/admin/outbox/mailbox").get_data(as_text=True)
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in listing
    page = client.get(f"/admin/outbox/mailbox/{row.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in html  # never inlined in the portal page
    assert "plain text body" in html
    assert f'<iframe class="mail-html" sandbox src="/admin/outbox/mailbox/{row.id}/html"' in html
    assert "evil.html" in html and "a.pdf" in html


def test_mailbox_html_is_served_sandboxed(client, admin):
    row = _mailbox_message()
    response = client.get(f"/admin/outbox/mailbox/{row.id}/html")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp
    assert "script-src" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_mailbox_attachments_are_downloads(client, admin):
    row = _mailbox_message()
    response = client.get(f"/admin/outbox/mailbox/{row.id}/attachments/0")
    assert response.status_code == 200
    assert response.data == b"<html><script>alert(2)</script></html>"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="evil.html"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/octet-stream"
    assert client.get(f"/admin/outbox/mailbox/{row.id}/attachments/1").data == b"%PDF-1.4 fake"
    assert client.get(f"/admin/outbox/mailbox/{row.id}/attachments/7").status_code == 404


def test_message_with_attachment_reaches_dev_mailbox(client, admin, run_jobs):
    outbox.queue_email(
        "y@example.com",
        "outbox_test",
        {"requested_by": None, "requested_at": "now", "backend": "dev"},
        dedupe_key="attach-1",
        attachments=[Attachment("list.csv", "text/csv", b"a,b\n1,2\n")],
    )
    db.session.commit()
    run_jobs()
    row = db.session.query(DevMailboxMessage).one()
    html = client.get(f"/admin/outbox/mailbox/{row.id}").get_data(as_text=True)
    assert "list.csv" in html
    data = client.get(f"/admin/outbox/mailbox/{row.id}/attachments/0").data
    assert data == b"a,b\n1,2\n"
