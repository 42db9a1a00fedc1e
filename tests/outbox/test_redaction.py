"""A candidate's live booking link reaches the candidate in full, and no admin page shows it.

The database keeps only the booking token's hash; the e-mail carrying the link is stored in the
outbox (and, without a mail server, in the dev mailbox).  Whoever reads those pages must not be
able to book in the candidate's place.
"""

from __future__ import annotations

import secrets

import pytest
from flask import template_rendered, url_for

from portal.config import public_url
from portal.extensions import db
from portal.models.devmail import DevMailboxMessage
from portal.services import outbox

REDACTED = "/recruiting/book/\u2022\u2022\u2022\u2022\u2022"


@pytest.fixture
def admin(make_user, login_as):
    return login_as(make_user(roles=["admin"], email="admin@example.com"))


def _booking_email(app) -> tuple[int, str]:
    """Queue the booking e-mail as recruiting.create_booking_link does; return (row id, token)."""
    token = secrets.token_urlsafe(32)
    with app.test_request_context():
        row = outbox.queue_email(
            "mariana@example.com",
            "recruiting_booking",
            {
                "name": "Mariana",
                "opening": "Analista financeiro",
                "link": public_url(app.config) + url_for("recruiting.book", token=token),
                "days": 7,
            },
            dedupe_key=f"recruiting:booking:test-{token[:8]}",
        )
        db.session.commit()
    return row.id, token


def _pages(client, urls: list[str]) -> dict[str, str]:
    pages = {}
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):  # full page and fragment alike
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            pages[f"{url} {headers}"] = response.get_data(as_text=True)
    return pages


def test_smtp_recipient_gets_the_link_and_the_outbox_shows_it_redacted(
    app, client, admin, smtp_sink, run_jobs
):
    row_id, token = _booking_email(app)
    run_jobs()
    (mail,) = smtp_sink.wait_for(1)
    parts = [
        part.get_payload(decode=True).decode()
        for part in mail.walk()
        if part.is_multipart() is False
    ]
    assert all(f"/recruiting/book/{token}" in part for part in parts)  # text and HTML: in full

    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        pages = _pages(client, ["/admin/outbox/", f"/admin/outbox/{row_id}"])
    assert {"outbox/detail.html", "outbox/_partials/_message.html"} <= set(rendered)
    for name, html in pages.items():
        assert token not in html, name
    detail = pages[f"/admin/outbox/{row_id} {{}}"]
    assert REDACTED in detail and "Choose a time" in detail
    assert "Secret links (such as candidate booking links) are hidden here" in detail


def test_dev_mailbox_shows_the_link_redacted_in_text_and_html(app, client, admin, run_jobs):
    assert not app.config["MAIL_SERVER"]  # the dev mailbox is the recipient
    _row_id, token = _booking_email(app)
    run_jobs()
    stored = db.session.query(DevMailboxMessage).one()
    assert token.encode() in stored.raw  # delivered as sent

    urls = ["/admin/outbox/mailbox", f"/admin/outbox/mailbox/{stored.id}"]
    pages = _pages(client, urls)
    pages["html part"] = client.get(f"/admin/outbox/mailbox/{stored.id}/html").get_data(
        as_text=True
    )
    for name, html in pages.items():
        assert token not in html, name
    assert REDACTED in pages[f"/admin/outbox/mailbox/{stored.id} {{}}"]
    assert f'href="http://portal.test{REDACTED}"' in pages["html part"]


def test_redaction_touches_only_secret_links():
    token = "Ab-_9" + secrets.token_urlsafe(32)
    text = (
        f"Book: http://x.test/recruiting/book/{token}\n"
        f'<a href="/recruiting/book/{token}?lang=pt">go</a>\n'
        "Order: http://x.test/supplies/orders/12\n"
    )
    shown, hidden = outbox.redact_links(text)
    assert hidden == 2 and token not in shown
    assert shown.count(REDACTED) == 2 and "?lang=pt" in shown
    assert "http://x.test/supplies/orders/12" in shown
    assert outbox.redact_links(None) == ("", 0)
