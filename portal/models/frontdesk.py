"""Front desk: the call log and messages, the visitor and fax registers, staff requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime
from portal.models.users import User

# Call outcomes.  A taken message and a requested callback stay open until the recipient marks
# them returned; a transfer or a handled call needs nothing more.
MESSAGE = "message"
TRANSFERRED = "transferred"
CALLBACK = "callback"
HANDLED = "handled"
OUTCOMES = (MESSAGE, TRANSFERRED, CALLBACK, HANDLED)
OPEN_OUTCOMES = (MESSAGE, CALLBACK)

# Call status.
OPEN = "open"
RETURNED = "returned"
CLOSED = "closed"
VOID = "void"

# Request status.
NEW = "new"
IN_PROGRESS = "in_progress"
DONE = "done"
REJECTED = "rejected"
REQUEST_STATUSES = (NEW, IN_PROGRESS, DONE, REJECTED)
REQUEST_TRANSITIONS = {
    NEW: (IN_PROGRESS, DONE, REJECTED),
    IN_PROGRESS: (DONE, REJECTED),
    DONE: (),
    REJECTED: (),
}
PRIORITIES = ("low", "normal", "high")


class _Logged:
    """Who logged a register entry, when, and whether it was voided (never deleted)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(500))


class Call(_Logged, db.Model):
    __tablename__ = "frontdesk_call"
    __table_args__ = (
        # Today's list and date ranges.
        Index("ix_frontdesk_call_created", "created_at"),
        # "My messages" and its badge: one indexed count on (recipient, status).
        Index("ix_frontdesk_call_recipient_status", "recipient_id", "status", "created_at"),
        # Repeat-caller lookup.
        Index("ix_frontdesk_call_phone_created", "phone", "created_at"),
        # Overdue callbacks and the reminder sweep.
        Index("ix_frontdesk_call_status_due", "status", "callback_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), default="in")
    caller_name: Mapped[str] = mapped_column(String(160))
    company: Mapped[str | None] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    for_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    transferred_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Who sees the call in "My messages": the transferee, else the person asked for.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    message: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    callback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_note: Mapped[str | None] = mapped_column(String(1000))
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    for_user: Mapped[User | None] = relationship(foreign_keys=[for_user_id])
    transferred_to: Mapped[User | None] = relationship(
        foreign_keys=[transferred_to_id],
    )
    recipient: Mapped[User | None] = relationship(foreign_keys=[recipient_id])
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])

    def is_overdue(self, now: datetime) -> bool:
        return (
            self.status == OPEN and self.callback_due_at is not None and self.callback_due_at < now
        )

    def __str__(self) -> str:
        return f"{self.caller_name} ({self.phone or '-'})"


class Visit(_Logged, db.Model):
    __tablename__ = "frontdesk_visit"
    __table_args__ = (
        Index("ix_frontdesk_visit_left_arrived", "left_at", "arrived_at"),
        Index("ix_frontdesk_visit_arrived", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_name: Mapped[str] = mapped_column(String(160))
    company: Mapped[str | None] = mapped_column(String(160))
    host_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    badge_number: Mapped[str | None] = mapped_column(String(32))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    host: Mapped[User | None] = relationship(foreign_keys=[host_id])
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])

    def __str__(self) -> str:
        return self.visitor_name


class Fax(_Logged, db.Model):
    __tablename__ = "frontdesk_fax"
    __table_args__ = (Index("ix_frontdesk_fax_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), default="in")
    number: Mapped[str | None] = mapped_column(String(32))  # E.164
    correspondent: Mapped[str] = mapped_column(String(160))
    pages: Mapped[int] = mapped_column(default=1)
    for_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    # Server-chosen name under UPLOAD_FOLDER; the client's name is kept for the download only.
    stored_name: Mapped[str | None] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(200))
    size_bytes: Mapped[int | None]
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    for_user: Mapped[User | None] = relationship(foreign_keys=[for_user_id])
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])

    def __str__(self) -> str:
        return f"{self.correspondent} ({self.number or '-'})"


class StaffRequest(db.Model):
    __tablename__ = "frontdesk_request"
    __table_args__ = (
        Index("ix_frontdesk_request_requester", "requester_id", "created_at"),
        Index("ix_frontdesk_request_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=NEW)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    comments: Mapped[list[RequestComment]] = relationship(
        back_populates="request",
        order_by="RequestComment.id",
    )

    def can_move_to(self, status: str) -> bool:
        return status in REQUEST_TRANSITIONS.get(self.status, ())

    def __str__(self) -> str:
        return f"#{self.id} {self.title}"


class RequestComment(db.Model):
    __tablename__ = "frontdesk_request_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("frontdesk_request.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[StaffRequest] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship(lazy="joined")
