"""recruiting: CV retention, daily upload quota, one-time form tokens

- recruiting_application.closed_at: when it was rejected / withdrawn (the retention clock);
  filled from updated_at for applications already closed;
- recruiting_application.cv_purged_at: when the retention job deleted its CV files, extracted
  text and CV snippets (the record stays);
- ix_recruiting_cv_file_uploader_created: the daily upload quota reads one person's files of
  the day from the index;
- recruiting_form_token: one row per submitted upload / add-candidate form, so a double click
  does not create the batch or the candidate twice.

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa

import portal.models.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("recruiting_application", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", portal.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("cv_purged_at", portal.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_recruiting_application_closed", ["closed_at"], unique=False)
    op.execute(
        "UPDATE recruiting_application SET closed_at = updated_at "
        "WHERE stage IN ('rejected', 'withdrawn') AND closed_at IS NULL"
    )
    with op.batch_alter_table("recruiting_cv_file", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recruiting_cv_file_uploader_created",
            ["uploaded_by_id", "created_at"],
            unique=False,
        )
    op.create_table(
        "recruiting_form_token",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=64), nullable=True),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_recruiting_form_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_recruiting_form_token")),
    )
    with op.batch_alter_table("recruiting_form_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recruiting_form_token_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("recruiting_form_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recruiting_form_token_created_at"))
    op.drop_table("recruiting_form_token")
    with op.batch_alter_table("recruiting_cv_file", schema=None) as batch_op:
        batch_op.drop_index("ix_recruiting_cv_file_uploader_created")
    with op.batch_alter_table("recruiting_application", schema=None) as batch_op:
        batch_op.drop_index("ix_recruiting_application_closed")
        batch_op.drop_column("cv_purged_at")
        batch_op.drop_column("closed_at")
