"""Reports: who receives the monthly summary, the daily rollups, and the indexes the reports'
grouped queries use.

The indexes belong to other areas' tables but exist only for the reports (each names the query
it serves); they are declared here so that area's models stay as they are.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.frontdesk import StaffRequest
from portal.models.recruiting import Application, ApplicationEvent
from portal.models.supplies import PurchaseOrder, StockMovement
from portal.models.types import UTCDateTime
from portal.models.users import User

MONTHLY_SUMMARY = "monthly_summary"


class ReportSubscription(db.Model):
    """A person who receives the monthly PDF summary of the reports they may see."""

    __tablename__ = "report_subscription"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_report_subscription_user_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), default=MONTHLY_SUMMARY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class CallRollup(db.Model):
    """Calls logged per local day, hour and recipient (void entries excluded), for closed days.

    Rebuilt by ``portal.services.reports.rollups``; ``recipient_id`` is a plain number (no
    foreign key) so the rollup never blocks deleting a person."""

    __tablename__ = "report_call_rollup"
    __table_args__ = (Index("ix_report_call_rollup_day", "day", "hour", "recipient_id", "calls"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(SmallInteger)
    recipient_id: Mapped[int | None]
    calls: Mapped[int]


class StockRollup(db.Model):
    """Quantity issued per local day and item, for closed days."""

    __tablename__ = "report_stock_rollup"
    __table_args__ = (Index("ix_report_stock_rollup_day", "day", "item_id", "issued"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    item_id: Mapped[int]
    issued: Mapped[int]


class RollupState(db.Model):
    """How far each rollup reaches: every local day up to ``through`` (inclusive) is in it."""

    __tablename__ = "report_rollup_state"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    through: Mapped[date] = mapped_column(Date)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Mean wait for approval: orders approved in a period.
Index("ix_purchase_order_approved", PurchaseOrder.approved_at, PurchaseOrder.submitted_at)
# Supplier lead times: orders sent in a period.
Index("ix_purchase_order_sent", PurchaseOrder.sent_at)
# Items that move most / least: issues in a period, summed per item from the index alone.
Index(
    "ix_stock_movement_kind_at_item",
    StockMovement.kind,
    StockMovement.at,
    StockMovement.item_id,
    StockMovement.quantity,
)
# Requests by type: requests filed in a period.
Index("ix_frontdesk_request_created", StaffRequest.created_at, StaffRequest.type)
# Funnel, sources, time in stage: applications received in a period.
Index("ix_recruiting_application_created", Application.created_at)
# Time to hire: hires in a period.
Index("ix_recruiting_event_kind_at", ApplicationEvent.kind, ApplicationEvent.at)
