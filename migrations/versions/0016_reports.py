"""reports and monthly summaries (issue 15)

- report_subscription: who receives the monthly PDF summary (one row per person and kind);
- indexes for the reports' grouped queries: ix_purchase_order_sent (supplier lead times),
  ix_stock_movement_kind_at_item (items issued in a period, read from the index alone),
  ix_frontdesk_request_created (requests by type), ix_recruiting_application_created
  (funnel, sources, time in stage), ix_recruiting_event_kind_at (hires in a period).

Plain CREATE INDEX (not batch mode): a SQLite batch rebuild of purchase_order would drop the
segregation-of-duties triggers.

Revision ID: 0016_reports
Revises: 0015_approval_chain
"""

import sqlalchemy as sa
from alembic import op

import portal.models.types

revision = "0016_reports"
down_revision = "0015_approval_chain"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_purchase_order_sent", "purchase_order", ["sent_at"]),
    ("ix_stock_movement_kind_at_item", "stock_movement", ["kind", "at", "item_id", "quantity"]),
    ("ix_frontdesk_request_created", "frontdesk_request", ["created_at", "type"]),
    ("ix_recruiting_application_created", "recruiting_application", ["created_at"]),
    ("ix_recruiting_event_kind_at", "recruiting_event", ["kind", "at"]),
)


def upgrade() -> None:
    op.create_table(
        "report_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", name="uq_report_subscription_user_kind"),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("report_subscription")
