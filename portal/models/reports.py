"""Reports: who receives the monthly summary, and the indexes the reports' grouped queries use.

The indexes belong to other areas' tables but exist only for the reports (each names the query
it serves); they are declared here so that area's models stay as they are.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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
