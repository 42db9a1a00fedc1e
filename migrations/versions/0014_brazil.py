"""company profile, notifications by kind and parameters (issue 17)

Placeholder in the chain; filled by the issue's work.

Revision ID: 0014_brazil
Revises: 0013_inbox
"""

revision = "0014_brazil"
down_revision = "0013_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
