"""shared inbox over IMAP and search (issue 14)

Mailboxes, the messages taken from them (exactly once: unique per UIDVALIDITY + UID and per
Message-ID), their checked attachments, and extra headers on outbox rows (a reply's
In-Reply-To / References).

And the indexes of the header search (see portal/models/search_indexes.py, which declares the
same; this copy is frozen): on PostgreSQL pg_trgm GIN indexes on the folded expression of every
searched column; on SQLite the ``search_gram`` trigram table, kept by triggers, filled here.

Revision ID: 0013_inbox
Revises: 0012_people
"""

import sqlalchemy as sa
from alembic import op

import portal.models.types  # noqa: F401  (custom column types)

revision = "0013_inbox"
down_revision = "0012_people"
branch_labels = None
depends_on = None

UTC = portal.models.types.UTCDateTime


# --- search indexes (a frozen copy of portal/models/search_indexes.py as of this revision) -----

ACCENTED = "áàâãäåÁÀÂÃÄÅéèêëÉÈÊËíìîïÍÌÎÏóòôõöÓÒÔÕÖúùûüÚÙÛÜçÇñÑýÿÝ"
PLAIN = "aaaaaaaaaaaaeeeeeeeeiiiiiiiioooooooooouuuuuuuuccnnyyy"
SEARCHED = {
    "frontdesk_call": (("caller_name", "company", "message"), ("phone",)),
    "frontdesk_fax": (("correspondent",), ("number",)),
    "frontdesk_visit": (("visitor_name", "company"), ()),
    "frontdesk_request": (("title", "description"), ()),
    "supply_item": (("name", "sku"), ()),
    "supplier": (("name", "order_email"), ("phone",)),
    "recruiting_candidate": (("name", "email"), ("phone",)),
    "recruiting_opening": (("title", "location"), ()),
    "inbox_message": ((), ("search_text",)),
}


def _folded_rows(table, alias, source=""):
    folded, plain = SEARCHED[table]
    text = " || ' ' || ".join(f"coalesce({alias}.{c}, '')" for c in (*folded, *plain))
    sql = f"SELECT {alias}.id AS id, lower({text}) AS f{source}"
    pairs = list(zip(ACCENTED, PLAIN, strict=True))
    for start in range(0, len(pairs), 9):
        expression = "f"
        for accented, bare in pairs[start : start + 9]:
            expression = f"replace({expression}, '{accented}', '{bare}')"
        sql = f"SELECT id, {expression} AS f FROM ({sql})"
    return f"SELECT id, f || '  ' AS f FROM ({sql}) LIMIT -1"


def _grams_of(table, alias, source=""):
    return (
        f"SELECT '{table}' AS kind, substr(s.f, j.key + 1, 3) AS gram, s.id AS row_id "
        f"FROM ({_folded_rows(table, alias, source)}) AS s, "
        "json_each('[' || replace(hex(zeroblob(length(s.f) - 2)), '00', '0,') || '0]') AS j "
        "WHERE j.key < length(s.f) - 2"
    )


def _sqlite_triggers(table):
    folded, plain = SEARCHED[table]
    columns = (*folded, *plain)
    add = f"INSERT OR IGNORE INTO search_gram (kind, gram, row_id) {_grams_of(table, 'new')};"
    remove = (
        f"DELETE FROM search_gram WHERE kind = '{table}' AND row_id = old.id AND gram IN "
        f"(SELECT g.gram FROM ({_grams_of(table, 'old')}) AS g);"
    )
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    name = f"search_gram_{table}"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF {', '.join(columns)} "
        f"ON {table} WHEN {changed} BEGIN {remove} {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON {table} BEGIN {remove} END",
    ]


def _search_upgrade() -> None:
    op.create_table(
        "search_gram",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("gram", sa.String(length=3), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "gram", "row_id", name="pk_search_gram"),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        available = bind.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
        ).first()
        if available is None:  # search still works, by scanning; the models expect the indexes
            return
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, (folded, plain) in SEARCHED.items():
            for column in folded:
                op.execute(
                    f"CREATE INDEX ix_search_{table}_{column} ON {table} USING gin "
                    f"(lower(translate(coalesce({column}, ''), '{ACCENTED}', '{PLAIN}')) "
                    "gin_trgm_ops)"
                )
            for column in plain:
                op.execute(
                    f"CREATE INDEX ix_search_{table}_{column} ON {table} "
                    f"USING gin (coalesce({column}, '') gin_trgm_ops)"
                )
    elif bind.dialect.name == "sqlite":
        for table in SEARCHED:
            for statement in _sqlite_triggers(table):
                op.execute(statement)
            op.execute(
                "INSERT OR IGNORE INTO search_gram (kind, gram, row_id) "
                + _grams_of(table, table, f" FROM {table}")
            )


def _search_downgrade() -> None:
    bind = op.get_bind()
    for table, (folded, plain) in SEARCHED.items():
        if bind.dialect.name == "postgresql":
            for column in (*folded, *plain):
                op.execute(f"DROP INDEX IF EXISTS ix_search_{table}_{column}")
        elif bind.dialect.name == "sqlite":
            for suffix in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER IF EXISTS search_gram_{table}_{suffix}")
    op.drop_table("search_gram")


def upgrade() -> None:
    op.create_table(
        "inbox_mailbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=254), nullable=False),
        sa.Column("password_encrypted", sa.Text(), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("after_fetch", sa.String(length=8), nullable=False),
        sa.Column("move_to", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_fetch_at", UTC(timezone=True), nullable=True),
        sa.Column("last_success_at", UTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.Column("lease_until", UTC(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=120), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_mailbox")),
        sa.UniqueConstraint("name", name=op.f("uq_inbox_mailbox_name")),
    )
    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_key", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("thread_key", sa.String(length=255), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("reply_to", sa.String(length=254), nullable=True),
        sa.Column("to_addresses", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("fetched_at", UTC(timezone=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("shown_text", sa.Text(), nullable=False),
        sa.Column("preview", sa.String(length=300), nullable=False),
        sa.Column("automatic", sa.String(length=16), nullable=True),
        sa.Column("unreadable", sa.String(length=300), nullable=True),
        sa.Column("raw_headers", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("handled_as", sa.String(length=16), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", UTC(timezone=True), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("purchase_order_id", sa.Integer(), nullable=True),
        sa.Column("cv_batch", sa.String(length=64), nullable=True),
        sa.Column("opening_id", sa.Integer(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["frontdesk_call.id"],
            name=op.f("fk_inbox_message_call_id_frontdesk_call"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["user_account.id"],
            name=op.f("fk_inbox_message_handled_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["inbox_mailbox.id"],
            name=op.f("fk_inbox_message_mailbox_id_inbox_mailbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["recruiting_opening.id"],
            name=op.f("fk_inbox_message_opening_id_recruiting_opening"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_inbox_message_purchase_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["frontdesk_request.id"],
            name=op.f("fk_inbox_message_request_id_frontdesk_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_message")),
        sa.UniqueConstraint("mailbox_id", "message_key", name="uq_inbox_message_key"),
        sa.UniqueConstraint("mailbox_id", "uidvalidity", "uid", name="uq_inbox_message_uid"),
    )
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_message_from_address"), ["from_address"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbox_message_purchase_order_id"), ["purchase_order_id"], unique=False
        )
        batch_op.create_index(
            "ix_inbox_message_status_received", ["status", "received_at"], unique=False
        )
        batch_op.create_index(
            "ix_inbox_message_thread", ["thread_key", "received_at"], unique=False
        )
    op.create_table(
        "inbox_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("refused", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["inbox_message.id"],
            name=op.f("fk_inbox_attachment_message_id_inbox_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_attachment")),
    )
    with op.batch_alter_table("inbox_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_attachment_message_id"), ["message_id"], unique=False
        )
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))
    _search_upgrade()


def downgrade() -> None:
    _search_downgrade()
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_column("headers")
    with op.batch_alter_table("inbox_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_attachment_message_id"))
    op.drop_table("inbox_attachment")
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_message_thread")
        batch_op.drop_index("ix_inbox_message_status_received")
        batch_op.drop_index(batch_op.f("ix_inbox_message_purchase_order_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_message_from_address"))
    op.drop_table("inbox_message")
    op.drop_table("inbox_mailbox")
