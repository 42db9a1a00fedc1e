"""The inbox offers "take in as a CV" only for a message with a kept PDF/Word attachment."""

from __future__ import annotations

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.inbox import InboxAttachment, InboxMessage, Mailbox
from portal.models.recruiting import Opening

ACTION = "Take in the attachment as a CV"


def _message(mailbox, uid, attachments):
    message = InboxMessage(
        mailbox_id=mailbox.id,
        uidvalidity=1,
        uid=uid,
        message_key=f"<{uid}@x>",
        thread_key=f"<{uid}@x>",
        subject=f"Currículo {uid}",
        from_address="maria@example.com",
        received_at=utcnow(),
        fetched_at=utcnow(),
    )
    message.attachments = [InboxAttachment(size=10, **a) for a in attachments]
    db.session.add(message)
    return message


def test_cv_action_only_with_a_kept_pdf_or_docx(app, client, login_as, make_user):
    user = login_as(make_user(roles=["back_office", "hr_manager"]))
    db.session.add(Opening(title="Analista", hiring_manager_id=user.id, status="open"))
    mailbox = Mailbox(name="c", host="h", username="u", password_encrypted="x", last_uid=0)
    db.session.add(mailbox)
    db.session.flush()
    bare = _message(mailbox, 1, [])
    picture = _message(
        mailbox, 2, [{"filename": "foto.png", "content_type": "image/png", "data": b"png"}]
    )
    refused = _message(
        mailbox,
        3,
        [
            {
                "filename": "cv.pdf",
                "content_type": "application/pdf",
                "kind": "pdf",
                "refused": "bad_pdf",
            }
        ],
    )
    pdf = _message(
        mailbox,
        4,
        [
            {
                "filename": "cv.pdf",
                "content_type": "application/pdf",
                "kind": "pdf",
                "data": b"%PDF-1.4",
            }
        ],
    )
    docx = _message(
        mailbox,
        5,
        [
            {
                "filename": "cv.docx",
                "content_type": "application/octet-stream",
                "kind": "docx",
                "data": b"PK",
            }
        ],
    )
    db.session.commit()
    for message, offered in (
        (bare, False),
        (picture, False),
        (refused, False),
        (pdf, True),
        (docx, True),
    ):
        response = client.get(f"/inbox/{message.id}")
        assert response.status_code == 200
        assert (ACTION in response.get_data(as_text=True)) is offered, message.subject
