"""supplies: segregation of duties on purchase orders (issue 10, item 2)

- purchase_order_contributor (order_id, user_id, first_at): who created or changed an order's
  lines; for the approval rule they count as a requester.  Filled from the audit log for the
  orders that already exist (line added / removed entries).
- purchase_order.cancelled_by_id: who cancelled the order.
- Triggers, since a CHECK cannot read another table (same conditions on SQLite and PostgreSQL,
  both failing as an integrity error):
  * purchase_order_approver_not_composer: approver_id / on_behalf_of_id may not be set to a
    contributor of the order, nor on_behalf_of_id to its requester (approver_id <> requester_id
    stays the CHECK requester_not_approver);
  * purchase_order_contributor_not_approver: nobody becomes a contributor of an order they
    approved (or that was approved on their behalf);
  * purchase_order_cancel_authority: an order becomes cancelled only with cancelled_by_id set to
    its requester or to an office manager.
  The statements are copied from portal.models.supplies.SOD_TRIGGERS as they were at this
  revision (a migration never imports the models).  On SQLite, a later batch migration that
  rebuilds purchase_order or purchase_order_contributor drops their triggers: such a migration
  must create them again.

The triggers are created after the backfill and fire only on changes, so orders approved before
this revision by someone who had changed their lines stay as history.

Revision ID: 0010_orders_sod
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import portal.models.types

revision = "0010_orders_sod"
down_revision = "0009"
branch_labels = None
depends_on = None

_ABORT = "SELECT RAISE(ABORT, 'segregation of duties: {}');"
_BY_COMPOSER = "approved by someone who composed the order"
_COMPOSER = "the approver cannot compose the order"
_CANCEL = "cancelled by someone other than the requester or an office manager"
_APPROVED_BY_COMPOSER = """(NEW.on_behalf_of_id = NEW.requester_id OR EXISTS (
    SELECT 1 FROM purchase_order_contributor c
    WHERE c.order_id = NEW.id AND c.user_id IN (NEW.approver_id, NEW.on_behalf_of_id)))"""
_COMPOSER_IS_APPROVER = """EXISTS (
    SELECT 1 FROM purchase_order o
    WHERE o.id = NEW.order_id AND NEW.user_id IN (o.approver_id, o.on_behalf_of_id))"""
_CANCEL_NOT_ALLOWED = """(NEW.cancelled_by_id IS NULL OR (
    NEW.cancelled_by_id <> NEW.requester_id AND NOT EXISTS (
        SELECT 1 FROM user_role r
        WHERE r.user_id = NEW.cancelled_by_id AND r.role = 'office_manager')))"""

SQLITE = [
    f"""CREATE TRIGGER purchase_order_approver_not_composer
BEFORE UPDATE OF approver_id, on_behalf_of_id ON purchase_order FOR EACH ROW
WHEN (NEW.approver_id IS NOT OLD.approver_id OR NEW.on_behalf_of_id IS NOT OLD.on_behalf_of_id)
    AND {_APPROVED_BY_COMPOSER}
BEGIN {_ABORT.format(_BY_COMPOSER)} END""",
    f"""CREATE TRIGGER purchase_order_contributor_not_approver
BEFORE INSERT ON purchase_order_contributor FOR EACH ROW
WHEN {_COMPOSER_IS_APPROVER}
BEGIN {_ABORT.format(_COMPOSER)} END""",
    f"""CREATE TRIGGER purchase_order_contributor_not_approver_update
BEFORE UPDATE ON purchase_order_contributor FOR EACH ROW
WHEN {_COMPOSER_IS_APPROVER}
BEGIN {_ABORT.format(_COMPOSER)} END""",
    f"""CREATE TRIGGER purchase_order_cancel_authority
BEFORE UPDATE OF status ON purchase_order FOR EACH ROW
WHEN NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND {_CANCEL_NOT_ALLOWED}
BEGIN {_ABORT.format(_CANCEL)} END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS purchase_order_cancel_authority",
    "DROP TRIGGER IF EXISTS purchase_order_contributor_not_approver_update",
    "DROP TRIGGER IF EXISTS purchase_order_contributor_not_approver",
    "DROP TRIGGER IF EXISTS purchase_order_approver_not_composer",
]

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION purchase_order_sod() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'purchase_order_contributor' THEN
        IF {_COMPOSER_IS_APPROVER} THEN
            RAISE EXCEPTION 'segregation of duties: {_COMPOSER}'
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF TG_ARGV[0] = 'approve' THEN
        IF {_APPROVED_BY_COMPOSER} THEN
            RAISE EXCEPTION 'segregation of duties: {_BY_COMPOSER}'
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF {_CANCEL_NOT_ALLOWED} THEN
        RAISE EXCEPTION 'segregation of duties: {_CANCEL}'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$""",
    """CREATE TRIGGER purchase_order_approver_not_composer
BEFORE UPDATE OF approver_id, on_behalf_of_id ON purchase_order FOR EACH ROW
WHEN (NEW.approver_id IS DISTINCT FROM OLD.approver_id
    OR NEW.on_behalf_of_id IS DISTINCT FROM OLD.on_behalf_of_id)
EXECUTE FUNCTION purchase_order_sod('approve')""",
    """CREATE TRIGGER purchase_order_contributor_not_approver
BEFORE INSERT OR UPDATE ON purchase_order_contributor FOR EACH ROW
EXECUTE FUNCTION purchase_order_sod()""",
    """CREATE TRIGGER purchase_order_cancel_authority
BEFORE UPDATE OF status ON purchase_order FOR EACH ROW
WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled')
EXECUTE FUNCTION purchase_order_sod('cancel')""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS purchase_order_cancel_authority ON purchase_order",
    "DROP TRIGGER IF EXISTS purchase_order_contributor_not_approver ON purchase_order_contributor",
    "DROP TRIGGER IF EXISTS purchase_order_approver_not_composer ON purchase_order",
    "DROP FUNCTION IF EXISTS purchase_order_sod()",
]

BACKFILL = """
INSERT INTO purchase_order_contributor (order_id, user_id, first_at)
SELECT a.target_id, a.actor_id, MIN(a.at)
FROM audit_entry a JOIN purchase_order o ON o.id = a.target_id
JOIN user_account u ON u.id = a.actor_id
WHERE a.target_type = 'PurchaseOrder'
  AND a.action IN ('supplies.order.line_add', 'supplies.order.line_remove')
GROUP BY a.target_id, a.actor_id
"""


def _dialect() -> str:
    return op.get_bind().dialect.name


def upgrade():
    op.create_table(
        "purchase_order_contributor",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("first_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_order_contributor_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_purchase_order_contributor_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("order_id", "user_id", name=op.f("pk_purchase_order_contributor")),
    )
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_purchase_order_cancelled_by_id_user_account"),
            "user_account",
            ["cancelled_by_id"],
            ["id"],
        )
    op.execute(BACKFILL)
    for statement in SQLITE if _dialect() == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade():
    for statement in SQLITE_DROP if _dialect() == "sqlite" else POSTGRESQL_DROP:
        op.execute(statement)
    with op.batch_alter_table("purchase_order", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_purchase_order_cancelled_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("cancelled_by_id")
    op.drop_table("purchase_order_contributor")
