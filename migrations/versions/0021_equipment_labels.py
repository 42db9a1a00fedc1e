"""equipment labels and supplies wiring (issue 12)

Revision ID: 0021_equipment_labels
Revises: 0020_people_handover
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0021_equipment_labels"
down_revision = "0020_people_handover"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
