"""LGPD retention policy and talent-pool consent (issue 13)

Revision ID: 0018_retention
Revises: 0017_report_rollups
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0018_retention"
down_revision = "0017_report_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
