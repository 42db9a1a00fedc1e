"""Inbox pages: who may open them, what they show, the one-step actions through the views."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models.inbox import InboxMessage
from portal.services import inbox


def test_inbox_pages_only_for_back_office(app, client, login_as, make_user, mailbox, deliver):
    deliver("Orçamento <script>", "Texto com <b>tags</b>")
    inbox.fetch_mailbox(mailbox.id)
    msg = db.session.scalar(select(InboxMessage))
    for roles, status in ((["staff"], 403), (["hr_manager"], 403), (["back_office"], 200)):
        login_as(make_user(roles=roles))
        assert client.get("/inbox/").status_code == status
        assert client.get(f"/inbox/{msg.id}").status_code == status
    body = client.get("/inbox/").get_data(as_text=True)
    assert "Orçamento &lt;script&gt;" in body and "Ana Souza" in body
    page = client.get(f"/inbox/{msg.id}").get_data(as_text=True)
    assert "Texto com &lt;b&gt;tags&lt;/b&gt;" in page


def test_mailbox_admin_page_shows_an_unreachable_mailbox(app, client, login_as, make_user, mailbox):
    box = inbox.get_mailbox_or_404(mailbox.id)
    box.port = 1
    db.session.commit()
    inbox.fetch_mailbox(mailbox.id)
    login_as(make_user(roles=["back_office"]))
    assert client.get("/inbox/mailboxes").status_code == 403
    login_as(make_user(roles=["admin"]))
    page = client.get("/inbox/mailboxes").get_data(as_text=True)
    assert "Cannot be reached" in page and box.last_error.split(":")[0] in page


def test_mailbox_form_refuses_a_wrong_password_with_422(
    app, client, login_as, make_user, dovecot, imap_folder
):
    login_as(make_user(roles=["admin"]))
    response = client.post(
        "/inbox/mailboxes/new",
        data={
            "name": "Contato",
            "host": dovecot.host,
            "port": dovecot.port,
            "security": "none",
            "username": "contato",
            "password": "nope",
            "folder": imap_folder,
            "after_fetch": "seen",
        },
    )
    assert response.status_code == 422
    assert "authentication failed" in response.get_data(as_text=True).lower()


def test_reply_through_the_view(app, client, login_as, make_user, mailbox, deliver):
    deliver("Pergunta", "Oi?")
    inbox.fetch_mailbox(mailbox.id)
    msg = db.session.scalar(select(InboxMessage))
    login_as(make_user(roles=["back_office"]))
    assert client.post(f"/inbox/{msg.id}/reply", data={"body": ""}).status_code == 422
    response = client.post(f"/inbox/{msg.id}/reply", data={"body": "Resposta"})
    assert response.status_code == 303
    page = client.get(f"/inbox/{msg.id}").get_data(as_text=True)
    assert "Resposta" in page and "Our reply" in page
