"""supplies: the reorder suggestions read a range of an index instead of every item

- ix_supply_item_margin (on_hand - reorder_point): items whose stock is at most a bound above
  their reorder point, found by a range scan (the bound is the largest daily use times the
  longest lead time, one more); not led by "active", so the item list keeps its own index;
- ix_supply_item_daily_use: that largest daily use, read from the end of the index.

Created outside batch mode: an expression index is plain DDL on both SQLite and PostgreSQL.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_supply_item_margin", "supply_item", [sa.text("(on_hand - reorder_point)")], unique=False
    )
    op.create_index("ix_supply_item_daily_use", "supply_item", ["daily_use"], unique=False)


def downgrade():
    op.drop_index("ix_supply_item_daily_use", table_name="supply_item")
    op.drop_index("ix_supply_item_margin", table_name="supply_item")
