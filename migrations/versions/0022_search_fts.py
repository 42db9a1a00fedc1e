"""full-text search index (issue 14)

Revision ID: 0022_search_fts
Revises: 0021_equipment_labels
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0022_search_fts"
down_revision = "0021_equipment_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
