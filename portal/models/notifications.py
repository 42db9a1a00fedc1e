"""In-app notifications and each user's choice of which kinds also come by e-mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        # The bell's unread count is one indexed query on (user_id, read_at).
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("ix_notification_user_created", "user_id", "created_at"),
        # LGPD anonymisation finds the notifications about a record (migration 0018).
        Index("ix_notification_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    # What happened, rendered in the reader's language each time it is shown: ``message`` is the
    # gettext msgid (English source text) and ``params`` its values, some of them translatable
    # themselves (portal.services.notifications.render).  A row without a message shows
    # ``params["text"]`` as it is (notifications written before issue 17, or plain text).
    message: Mapped[str | None] = mapped_column(String(500))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(500))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationPreference(db.Model):
    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    email: Mapped[bool] = mapped_column(default=True)
