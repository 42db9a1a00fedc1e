"""frontdesk: tables of the frontdesk area (empty until the area adds its tables)

Revision ID: 0003
Revises: 0002
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.models.types  # noqa: F401  (custom column types)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
