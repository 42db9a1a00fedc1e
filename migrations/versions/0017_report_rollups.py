"""daily rollups for the reports (issue 15)

Revision ID: 0017_report_rollups
Revises: 0016_reports
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0017_report_rollups"
down_revision = "0016_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
