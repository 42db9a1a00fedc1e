"""shared inbox over IMAP and search (issue 14)

Placeholder in the chain; filled by the issue's work.

Revision ID: 0013_inbox
Revises: 0012_people
"""

revision = "0013_inbox"
down_revision = "0012_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
