"""recruiting: tables of the recruiting area (empty until the area adds its tables)

Revision ID: 0005
Revises: 0004
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.models.types  # noqa: F401  (custom column types)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
