"""daily rollups for the reports (issue 15)

- report_call_rollup: calls per local day, hour and recipient (void entries excluded);
- report_stock_rollup: quantity issued per local day and item;
- report_rollup_state: the last local day each rollup holds;
- ix_purchase_order_approved: the mean wait for approval of the orders approved in a period.

Filled by ``flask reports rebuild-rollups`` and kept current by the periodic job
``reports-rollups`` (portal/services/reports/rollups.py); new tables and plain
CREATE INDEX only (no batch rebuild of purchase_order: its triggers stay).

Revision ID: 0017_report_rollups
Revises: 0016_reports
"""

import sqlalchemy as sa
from alembic import op

import portal.models.types

revision = "0017_report_rollups"
down_revision = "0016_reports"
branch_labels = None
depends_on = None

INDEXES = (("ix_purchase_order_approved", "purchase_order", ["approved_at", "submitted_at"]),)


def upgrade() -> None:
    op.create_table(
        "report_call_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_report_call_rollup_day",
        "report_call_rollup",
        ["day", "hour", "recipient_id", "calls"],
        unique=False,
    )
    op.create_table(
        "report_stock_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_report_stock_rollup_day",
        "report_stock_rollup",
        ["day", "item_id", "issued"],
        unique=False,
    )
    op.create_table(
        "report_rollup_state",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("built_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("report_rollup_state")
    op.drop_index("ix_report_stock_rollup_day", table_name="report_stock_rollup")
    op.drop_table("report_stock_rollup")
    op.drop_index("ix_report_call_rollup_day", table_name="report_call_rollup")
    op.drop_table("report_call_rollup")
