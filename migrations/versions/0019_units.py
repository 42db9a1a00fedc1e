"""singular and plural unit names of supply items (issue 17)

Revision ID: 0019_units
Revises: 0018_retention
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0019_units"
down_revision = "0018_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
