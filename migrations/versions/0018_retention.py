"""LGPD retention policy and talent-pool consent (issue 13)

Revision ID: 0018_retention
Revises: 0017_report_rollups
"""

import sqlalchemy as sa
from alembic import op

import portal.models.types

revision = "0018_retention"
down_revision = "0017_report_rollups"
branch_labels = None
depends_on = None

# recruiting_candidate carries the search triggers on SQLite: plain ADD COLUMN, never a
# batch rebuild (which would drop them).
CANDIDATE_COLUMNS = ("pool_consent_at", "pool_consent_until", "pool_consent_text", "anonymised_at")


def upgrade() -> None:
    op.create_table(
        "people_retention_policy",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("updated_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_people_retention_policy_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_people_retention_policy")),
    )
    for name in ("pool_consent_at", "pool_consent_until", "anonymised_at"):
        op.add_column(
            "recruiting_candidate",
            sa.Column(name, portal.models.types.UTCDateTime(timezone=True), nullable=True),
        )
    op.add_column("recruiting_candidate", sa.Column("pool_consent_text", sa.Text(), nullable=True))
    # The anonymisation job finds the e-mails and notifications about a record by its target.
    op.create_index("ix_outbound_message_target", "outbound_message", ["target_type", "target_id"])
    op.create_index("ix_notification_target", "notification", ["target_type", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_notification_target", table_name="notification")
    op.drop_index("ix_outbound_message_target", table_name="outbound_message")
    for name in reversed(CANDIDATE_COLUMNS):
        op.drop_column("recruiting_candidate", name)
    op.drop_table("people_retention_policy")
