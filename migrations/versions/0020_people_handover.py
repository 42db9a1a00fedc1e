"""handover at exit and checklist templates (issue 13)

Revision ID: 0020_people_handover
Revises: 0019_units
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0020_people_handover"
down_revision = "0019_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
