"""equipment register, meters, consumables, faults (issue 12)

Placeholder in the chain; filled by the issue's work.

Revision ID: 0011_equipment
Revises: 0010_orders_sod
"""

revision = "0011_equipment"
down_revision = "0010_orders_sod"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
