"""people records, onboarding, training, discipline, termination (issue 13)

Placeholder in the chain; filled by the issue's work.

Revision ID: 0012_people
Revises: 0011_equipment
"""

revision = "0012_people"
down_revision = "0011_equipment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
