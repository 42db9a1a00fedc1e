"""Shared inbox: the mailboxes an admin connected, and every message taken from them exactly once.

Exactly once is kept by the database, not by the worker: a message is one row per
(mailbox, UIDVALIDITY, UID) and one row per (mailbox, message key) — the Message-ID, or a hash of
the raw bytes for mail without one.  A restart, a second worker or a UIDVALIDITY change that
offers the same message again hits one of the two unique constraints and is skipped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime
from portal.models.users import User

# What the fetch does with a message on the server once it is stored: never deleted.
MARK_SEEN = "seen"
MOVE = "move"
AFTER_FETCH = (MARK_SEEN, MOVE)

SECURITY = ("ssl", "starttls", "none")

# Message status in the portal.
NEW = "new"
DONE = "done"  # turned into something (see ``handled_as``)
ARCHIVED = "archived"
STATUSES = (NEW, DONE, ARCHIVED)

# What a message was turned into.
AS_MESSAGE = "message"
AS_REQUEST = "request"
AS_SUPPLIER_REPLY = "supplier_reply"
AS_CV = "cv"
AS_REPLY = "reply"

# Mail that must never be answered automatically.
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
LIST = "list"
LOOP = "loop"


class Mailbox(db.Model):
    __tablename__ = "inbox_mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(default=993)
    security: Mapped[str] = mapped_column(String(10), default="ssl")
    username: Mapped[str] = mapped_column(String(254))
    # Fernet token (portal.services.inbox.secrets): never the password in clear.
    password_encrypted: Mapped[str] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    after_fetch: Mapped[str] = mapped_column(String(8), default=MARK_SEEN)
    move_to: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Where the fetch got to: UIDs above ``last_uid`` under this UIDVALIDITY are new.
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    # Health: the last error is shown to the admin; failures drive the backoff.
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # One worker fetches a mailbox at a time (conditional UPDATE + lease).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __str__(self) -> str:
        return self.name


class InboxMessage(db.Model):
    __tablename__ = "inbox_message"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "uidvalidity", "uid", name="uq_inbox_message_uid"),
        UniqueConstraint("mailbox_id", "message_key", name="uq_inbox_message_key"),
        Index("ix_inbox_message_status_received", "status", "received_at"),
        Index("ix_inbox_message_thread", "thread_key", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("inbox_mailbox.id", ondelete="CASCADE"))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    # The Message-ID (angle brackets kept), or "sha256:<hex>" of the raw bytes without one.
    message_key: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str | None] = mapped_column(String(255))
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    references: Mapped[str | None] = mapped_column(Text)
    # The first Message-ID of the conversation: every message of a thread shares it.
    thread_key: Mapped[str] = mapped_column(String(255))
    from_address: Mapped[str] = mapped_column(String(254), default="", index=True)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    reply_to: Mapped[str | None] = mapped_column(String(254))
    to_addresses: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    size: Mapped[int] = mapped_column(default=0)
    # The plain text, and what the portal shows of it (quoted history stripped).
    body_text: Mapped[str] = mapped_column(Text, default="")
    shown_text: Mapped[str] = mapped_column(Text, default="")
    preview: Mapped[str] = mapped_column(String(300), default="")
    # AUTO_REPLY / BOUNCE / LIST / LOOP: never answered automatically.
    automatic: Mapped[str | None] = mapped_column(String(16))
    # A malformed or oversized message keeps its headers and the reason here.
    unreadable: Mapped[str | None] = mapped_column(String(300))
    raw_headers: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=NEW)
    handled_as: Mapped[str | None] = mapped_column(String(16))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What it became (one of these, by ``handled_as``).
    call_id: Mapped[int | None] = mapped_column(ForeignKey("frontdesk_call.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("frontdesk_request.id"))
    # supplies has no public note/timeline function: the link to the order lives here.
    purchase_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order.id"), index=True
    )
    cv_batch: Mapped[str | None] = mapped_column(String(64))
    opening_id: Mapped[int | None] = mapped_column(ForeignKey("recruiting_opening.id"))
    # Lower-case, accent-free sender, subject and text: what the search box matches.
    search_text: Mapped[str] = mapped_column(Text, default="")

    mailbox: Mapped[Mailbox] = relationship()
    handled_by: Mapped[User | None] = relationship()
    attachments: Mapped[list[InboxAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="InboxAttachment.id", back_populates="message"
    )

    @property
    def sender(self) -> str:
        return self.from_name or self.from_address

    @property
    def cv_attachments(self) -> list[InboxAttachment]:
        """The kept PDF/Word attachments: what "take in as a CV" would take (none: no action)."""
        return [a for a in self.attachments if a.kind in ("pdf", "docx") and a.data is not None]

    def __str__(self) -> str:
        return self.subject or self.message_key


class InboxAttachment(db.Model):
    __tablename__ = "inbox_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("inbox_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(default=0)
    # "pdf" / "docx" once checked by portal.services.filecheck; None for other types.
    kind: Mapped[str | None] = mapped_column(String(8))
    # Kept only when the check passed; ``refused`` holds the filecheck code otherwise.
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    refused: Mapped[str | None] = mapped_column(String(32))

    message: Mapped[InboxMessage] = relationship(back_populates="attachments")
