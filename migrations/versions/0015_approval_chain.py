"""approval chain, absences, budget reasons (issue 16)

Approval bands name who approves them (office manager or director) and may approve small orders
automatically; an order approved beyond its budget keeps the reason; suppliers get a language,
a contact and payment terms.  Only ADD COLUMN: SQLite alters in place (no batch rebuild of
purchase_order, so the segregation-of-duties triggers of 0010 stay as they are).

Revision ID: 0015_approval_chain
Revises: 0014_brazil
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_approval_chain"
down_revision = "0014_brazil"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "approval_rule",
        sa.Column(
            "approver_role", sa.String(length=32), nullable=False, server_default="office_manager"
        ),
    )
    op.add_column(
        "approval_rule",
        sa.Column("auto_approve", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "purchase_order", sa.Column("over_budget_reason", sa.String(length=500), nullable=True)
    )
    op.add_column(
        "purchase_order",
        sa.Column("auto_approved", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "supplier",
        sa.Column("language", sa.String(length=10), nullable=False, server_default="pt_BR"),
    )
    op.add_column("supplier", sa.Column("contact_name", sa.String(length=120), nullable=True))
    op.add_column("supplier", sa.Column("payment_terms", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # DROP COLUMN: SQLite (3.35+) drops these in place too, so purchase_order keeps its triggers.
    op.drop_column("supplier", "payment_terms")
    op.drop_column("supplier", "contact_name")
    op.drop_column("supplier", "language")
    op.drop_column("purchase_order", "auto_approved")
    op.drop_column("purchase_order", "over_budget_reason")
    op.drop_column("approval_rule", "auto_approve")
    op.drop_column("approval_rule", "approver_role")
