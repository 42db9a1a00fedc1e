"""handover at exit and checklist templates (issue 13)

Revision ID: 0020_people_handover
Revises: 0019_units
"""

import sqlalchemy as sa
from alembic import op

import portal.models.types

revision = "0020_people_handover"
down_revision = "0019_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild): when the open work was handed over, and the counts.
    op.add_column(
        "people_termination",
        sa.Column("handed_over_at", portal.models.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("people_termination", sa.Column("handover_counts", sa.JSON(), nullable=True))
    # The directory and HR's employee list read pages in name order; counts by status.
    op.create_index("ix_people_employee_name", "people_employee", ["name", "id"])
    op.create_index(
        "ix_people_employee_status_anonymised", "people_employee", ["status", "anonymised_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_people_employee_status_anonymised", table_name="people_employee")
    op.drop_index("ix_people_employee_name", table_name="people_employee")
    with op.batch_alter_table("people_termination") as batch_op:
        batch_op.drop_column("handover_counts")
        batch_op.drop_column("handed_over_at")
