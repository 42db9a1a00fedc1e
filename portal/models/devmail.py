"""The dev mailbox: where messages land when no SMTP server is configured."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime


class DevMailboxMessage(db.Model):
    __tablename__ = "dev_mailbox_message"
    __table_args__ = (Index("ix_dev_mailbox_message_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbound_id: Mapped[int | None]
    message_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(254))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
