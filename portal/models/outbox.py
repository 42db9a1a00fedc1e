"""The outbox: every message that leaves the building is first a row here.

A row is written in the same transaction as the change that caused it; RQ only carries "process
row N"; a sweeper re-drives rows that are due or whose lease expired.  See ARCHITECTURE.md §3.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
DEAD = "dead"
CANCELLED = "cancelled"
# A supplier order whose worker died mid-send: the supplier may or may not have it.  A person
# confirms or resends; it is never resent automatically.
UNCERTAIN = "uncertain"
STATUSES = (PENDING, SENDING, SENT, FAILED, DEAD, CANCELLED, UNCERTAIN)
# Kinds that must never be sent twice automatically (at-most-once + human reconciliation).
AT_MOST_ONCE_KINDS = frozenset({"supplier_order", "repair_request"})


class OutboundMessage(db.Model):
    __tablename__ = "outbound_message"
    __table_args__ = (
        Index("ix_outbound_message_status_next", "status", "next_attempt_at"),
        Index("ix_outbound_message_created_at", "created_at"),
        # LGPD anonymisation finds the e-mails sent about a record (migration 0018).
        Index("ix_outbound_message_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique business key, e.g. "notify:42:call.message:1234": writing it twice is refused.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # What this message is for ("email", "supplier_order", "invitation"); the worker sends each
    # kind the same way, but supplier orders are never resent automatically.
    kind: Mapped[str] = mapped_column(String(32), default="email")
    template: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    sender: Mapped[str] = mapped_column(String(254))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # RFC 5322 Message-ID fixed at creation: a resend after a crash carries the same one.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Per-recipient outcome: {"a@x": "sent", "b@y": "550 no such user"}.
    recipient_status: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Extra MIME headers, e.g. In-Reply-To / References of a reply from the shared inbox.
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # The record this message is about, for a link from the admin page.
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[int | None]

    attachments: Mapped[list[OutboundAttachment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OutboundAttachment.id"
    )


class OutboundAttachment(db.Model):
    __tablename__ = "outbound_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbound_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    data: Mapped[bytes] = mapped_column(LargeBinary)
