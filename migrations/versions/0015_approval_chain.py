"""approval chain, absences, budget reasons (issue 16)

Placeholder in the chain; filled by the issue's work.

Revision ID: 0015_approval_chain
Revises: 0014_brazil
"""

revision = "0015_approval_chain"
down_revision = "0014_brazil"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
