"""company profile, notifications by kind and parameters (issue 17)

Notifications stop storing text rendered in one language: ``message`` (the msgid) and
``params`` (JSON) are rendered in the reader's language when shown.  Existing rows cannot be
taken back to their msgid reliably, so their text moves to ``params["text"]`` with no message:
they keep reading as they always did, new ones follow the reader's language.

Revision ID: 0014_brazil
Revises: 0013_inbox
"""

import sqlalchemy as sa
from alembic import op

import portal.models.types  # noqa: F401  (custom column types)

revision = "0014_brazil"
down_revision = "0013_inbox"
branch_labels = None
depends_on = None

_notification = sa.table(
    "notification",
    sa.column("id", sa.Integer),
    sa.column("text", sa.String),
    sa.column("message", sa.String),
    sa.column("params", sa.JSON),
)


def upgrade() -> None:
    op.create_table(
        "company_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("trade_name", sa.String(length=200), nullable=True),
        sa.Column("cnpj", sa.String(length=14), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("delivery_address", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_content_type", sa.String(length=32), nullable=True),
        sa.Column("updated_at", portal.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_company_profile_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_profile")),
    )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_notification.c.id, _notification.c.text)).all()
    for row_id, text in rows:
        bind.execute(
            _notification.update()
            .where(_notification.c.id == row_id)
            .values(message=None, params={"text": text or ""})
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("params", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("text")


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.String(length=500), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_notification.c.id, _notification.c.message, _notification.c.params)
    ).all()
    for row_id, message, params in rows:
        params = params or {}
        text = params.get("text", "")
        if message:  # the English source with its plain values: the best a downgrade can do
            plain = {k: v for k, v in params.items() if not isinstance(v, dict)}
            try:
                text = message.split("\x04")[-1] % plain
            except (KeyError, ValueError, TypeError):
                text = message.split("\x04")[-1]
        bind.execute(
            _notification.update().where(_notification.c.id == row_id).values(text=text[:500])
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("text", existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column("params")
        batch_op.drop_column("message")
    op.drop_table("company_profile")
