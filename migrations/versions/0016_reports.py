"""reports and monthly summaries (issue 15)

Placeholder in the chain; filled by the issue's work.

Revision ID: 0016_reports
Revises: 0015_approval_chain
"""

revision = "0016_reports"
down_revision = "0015_approval_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
