"""outbox: tables of the outbox area (empty until the area adds its tables)

Revision ID: 0002
Revises: 0001
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.models.types  # noqa: F401  (custom column types)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
