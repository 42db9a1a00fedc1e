"""What back office does with a message, each in one step: a "while you were out" message, a
staff request, a supplier reply on an order, a CV for an opening, a reply, or archive.

A message is turned into one thing once (a conditional UPDATE on ``handled_as``); replying is
allowed besides.  Mail written by a machine (auto-replies, bounces, lists, loops) is never
answered automatically; a person may still answer it, except a bounce, which has nobody to read.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from portal.errors import InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.frontdesk import MESSAGE, Call, StaffRequest
from portal.models.inbox import (
    ARCHIVED,
    AS_CV,
    AS_MESSAGE,
    AS_REPLY,
    AS_REQUEST,
    AS_SUPPLIER_REPLY,
    BOUNCE,
    DONE,
    NEW,
    InboxAttachment,
    InboxMessage,
)
from portal.models.outbox import OutboundMessage
from portal.models.recruiting import Opening
from portal.models.supplies import PurchaseOrder
from portal.models.users import User
from portal.services import audit, frontdesk, outbox, recruiting

ORDER_RE = re.compile(r"\bPO[-\s#]?0*(\d{1,9})\b", re.IGNORECASE)
REPLY_TEMPLATE = "inbox/reply"


def get_message_or_404(message_id: int) -> InboxMessage:
    message = db.session.get(InboxMessage, message_id)
    if message is None:
        raise NotFound(_("That message does not exist."))
    return message


def list_messages(*, show: str = "new"):
    """Messages, newest first: "new" (to handle), "done", "archived" or "all"."""
    stmt = select(InboxMessage).order_by(InboxMessage.received_at.desc(), InboxMessage.id.desc())
    if show in (NEW, DONE, ARCHIVED):
        stmt = stmt.where(InboxMessage.status == show)
    return stmt


def new_count() -> int:
    """Messages waiting to be handled (the nav badge)."""
    return (
        db.session.scalar(select(func.count(InboxMessage.id)).where(InboxMessage.status == NEW))
        or 0
    )


def openings_for_cv() -> list[Opening]:
    """Openings a CV can be taken in for (not closed)."""
    return list(
        db.session.scalars(
            select(Opening).where(Opening.status != "closed").order_by(Opening.title)
        )
    )


def attachment_counts(message_ids: list[int]) -> dict[int, int]:
    """Attachments per message for a page of the list (one grouped query)."""
    if not message_ids:
        return {}
    rows = db.session.execute(
        select(InboxAttachment.message_id, func.count(InboxAttachment.id))
        .where(InboxAttachment.message_id.in_(message_ids))
        .group_by(InboxAttachment.message_id)
    )
    return {message_id: count for message_id, count in rows}


def thread_of(message: InboxMessage) -> list[InboxMessage]:
    """Every message of the conversation, oldest first (this one included)."""
    keys = {message.thread_key}
    if message.message_id:
        keys.add(message.message_id)
    return list(
        db.session.scalars(
            select(InboxMessage)
            .where(or_(InboxMessage.thread_key.in_(keys), InboxMessage.message_id.in_(keys)))
            .order_by(InboxMessage.received_at, InboxMessage.id)
        )
    )


def replies_of(messages: list[InboxMessage]) -> list[OutboundMessage]:
    """The portal's replies in this conversation, oldest first."""
    ids = [m.id for m in messages]
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.target_type == "InboxMessage",
                OutboundMessage.target_id.in_(ids),
            )
            .order_by(OutboundMessage.created_at)
        )
    )


def order_in_subject(message: InboxMessage) -> PurchaseOrder | None:
    """The purchase order named in the subject ("PO-00021", "po 21"), if it exists."""
    match = ORDER_RE.search(message.subject or "")
    return db.session.get(PurchaseOrder, int(match.group(1))) if match else None


def sender_account(message: InboxMessage) -> User | None:
    """The active colleague whose e-mail is the sender's address."""
    if not message.from_address:
        return None
    return db.session.scalar(
        select(User).where(
            func.lower(User.email) == message.from_address.lower(), User.active.is_(True)
        )
    )


def _mark(message: InboxMessage, as_: str, actor: User, **links: Any) -> None:
    """Record what the message became; refuse if someone turned it into something already."""
    table = InboxMessage.__table__
    done = db.session.execute(
        update(table)
        .where(
            table.c.id == message.id,
            or_(table.c.handled_as.is_(None), table.c.handled_as == AS_REPLY),
        )
        .values(status=DONE, handled_as=as_, handled_by_id=actor.id, handled_at=utcnow(), **links)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_("Someone already handled this message."))
    db.session.refresh(message)
    audit.record(actor, f"inbox.message.{as_}", message, {k: v for k, v in links.items()})


def _body_for_desk(message: InboxMessage) -> str:
    text = message.shown_text or message.preview or ""
    head = _(
        "E-mail from %(sender)s: %(subject)s", sender=message.from_address, subject=message.subject
    )
    return f"{head}\n\n{text}".strip()[:4000]


def to_staff_message(message: InboxMessage, *, recipient: str, actor: User) -> Call:
    """A "while you were out" message for a colleague, notified as for calls."""
    call = frontdesk.log_call(
        frontdesk.CallInput(
            direction="in",
            caller_name=(message.from_name or message.from_address or _("Unknown sender"))[:160],
            for_whom=recipient,
            message=_body_for_desk(message),
            outcome=MESSAGE,
        ),
        actor=actor,
    )
    _mark(message, AS_MESSAGE, actor, call_id=call.id)
    return call


def to_staff_request(message: InboxMessage, *, type: str, actor: User) -> StaffRequest:
    """A staff request filed in the name of the colleague who wrote the e-mail."""
    requester = sender_account(message)
    if requester is None:
        raise ValidationError(
            _(
                "No colleague has the address %(address)s: only staff can file requests.",
                address=message.from_address or "-",
            ),
            field="type",
        )
    req = frontdesk.file_request(
        requester=requester,
        type=type,
        title=message.subject or _("(no subject)"),
        description=message.shown_text or message.preview or message.subject,
    )
    _mark(message, AS_REQUEST, actor, request_id=req.id)
    return req


def to_supplier_reply(message: InboxMessage, *, actor: User) -> PurchaseOrder:
    """Attach the e-mail to the order its subject names (the link is kept on the message)."""
    order = order_in_subject(message)
    if order is None:
        raise ValidationError(
            _("No purchase order number (such as PO-00021) in the subject matches an order."),
            field="order",
        )
    _mark(message, AS_SUPPLIER_REPLY, actor, purchase_order_id=order.id)
    return order


def to_cv(message: InboxMessage, *, opening_id: int, actor: User) -> str:
    """Take the message's PDF/DOCX attachments in as CVs for an opening (same checks as upload)."""
    opening = db.session.get(Opening, opening_id)
    if opening is None:
        raise ValidationError(_("Choose an opening."), field="opening")
    files = [(a.filename, a.data) for a in message.attachments if a.data is not None]
    if not files:
        raise ValidationError(
            _("This message has no PDF or Word attachment that passed the checks."),
            field="opening",
        )
    batch = recruiting.upload_cvs(opening, files, actor=actor)
    _mark(message, AS_CV, actor, cv_batch=batch, opening_id=opening.id)
    return batch


def reply(
    message: InboxMessage, *, body: str | None, actor: User, locale: str | None = None
) -> OutboundMessage:
    """Answer from the portal, through the outbox, in the sender's thread."""
    text = (body or "").strip()
    if not text:
        raise ValidationError(_("Write the reply."), field="body")
    if len(text) > 20000:
        raise ValidationError(_("The reply is too long."), field="body")
    if message.automatic == BOUNCE or not (message.reply_to or message.from_address):
        raise InvalidTransition(
            _("This message came from a mail server; nobody would read a reply.")
        )
    references = (message.references or "").split()
    if message.message_id and message.message_id not in references:
        references.append(message.message_id)
    headers = {"References": " ".join(references)[-2000:]} if references else {}
    if message.message_id:
        headers["In-Reply-To"] = message.message_id
    subject = message.subject or ""
    if not re.match(r"(?i)^(re|res|aw)\s*:", subject):
        subject = f"Re: {subject}".strip()
    sent = outbox.queue_email(
        message.reply_to or message.from_address,
        REPLY_TEMPLATE,
        {"subject": subject, "body": text, "sender": actor.name},
        dedupe_key=f"inbox-reply:{message.id}:{uuid.uuid4().hex}",
        locale=locale,
        target=message,
        headers=headers,
    )
    if message.handled_as is None:
        message.status = DONE
        message.handled_as = AS_REPLY
        message.handled_by_id = actor.id
        message.handled_at = utcnow()
    audit.record(actor, "inbox.message.reply", message, {"outbox_id": sent.id})
    return sent


def archive(message: InboxMessage, *, actor: User) -> None:
    if message.status == ARCHIVED:
        return
    message.status = ARCHIVED
    audit.record(actor, "inbox.message.archived", message)


def unarchive(message: InboxMessage, *, actor: User) -> None:
    if message.status != ARCHIVED:
        return
    message.status = DONE if message.handled_as else NEW
    audit.record(actor, "inbox.message.unarchived", message)
