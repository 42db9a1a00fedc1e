"""supplies: indexes for the approval queue and item list; average daily use per item

- ix_purchase_order_on_behalf_approved: "approved on your behalf" on the queue page
  (was a scan of the category index);
- ix_purchase_order_category_spend (category_id, approved_at, status, total) replaces
  ix_purchase_order_category_approved: the monthly budget meters read only the index;
- ix_supply_item_active_name: the item list (active items by name) and its count;
- ix_purchase_order_created, ix_purchase_order_status_created: the purchase-order list newest
  first (all, or one status) without sorting years of orders;
- supply_item.daily_use: average daily use over the last 90 days (issue movements), refreshed
  once a day by the low-stock job, so lead-time-aware suggestions stay one query over items.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("supply_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("daily_use", sa.Numeric(precision=10, scale=3), nullable=True)
        )
        batch_op.create_index("ix_supply_item_active_name", ["active", "name"], unique=False)
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_order_on_behalf_approved", ["on_behalf_of_id", "approved_at"], unique=False
        )
        batch_op.create_index(
            "ix_purchase_order_category_spend",
            ["category_id", "approved_at", "status", "total"],
            unique=False,
        )
        batch_op.drop_index("ix_purchase_order_category_approved")
        batch_op.create_index("ix_purchase_order_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_purchase_order_status_created", ["status", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_status_created")
        batch_op.drop_index("ix_purchase_order_created")
        batch_op.create_index(
            "ix_purchase_order_category_approved", ["category_id", "approved_at"], unique=False
        )
        batch_op.drop_index("ix_purchase_order_category_spend")
        batch_op.drop_index("ix_purchase_order_on_behalf_approved")
    with op.batch_alter_table("supply_item", schema=None) as batch_op:
        batch_op.drop_index("ix_supply_item_active_name")
        batch_op.drop_column("daily_use")
