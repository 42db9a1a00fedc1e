"""Segregation of duties on purchase orders, enforced by the database (triggers).

Kept apart from ``portal.models.supplies`` (the tables) so each module stays readable; imported
with every other model module by ``portal.models``.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from portal.models.supplies import PurchaseOrderContributor

# Segregation of duties, enforced by the database as well as by services.supplies: the same
# rules for any writer (a script, a hand-written UPDATE, a future bug).  A CHECK cannot look at
# another table, so these are triggers; SQLite and PostgreSQL spell them differently, with the
# same conditions and both failing as an integrity error.  migrations/versions/0010_orders_sod.py
# creates the same triggers; a later SQLite batch rebuild of purchase_order or
# purchase_order_contributor drops them and must create them again.
_SQLITE_ABORT = "SELECT RAISE(ABORT, 'segregation of duties: {}');"
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

SOD_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        f"""CREATE TRIGGER purchase_order_approver_not_composer
BEFORE UPDATE OF approver_id, on_behalf_of_id ON purchase_order FOR EACH ROW
WHEN (NEW.approver_id IS NOT OLD.approver_id OR NEW.on_behalf_of_id IS NOT OLD.on_behalf_of_id)
    AND {_APPROVED_BY_COMPOSER}
BEGIN {_SQLITE_ABORT.format(_BY_COMPOSER)} END""",
        f"""CREATE TRIGGER purchase_order_contributor_not_approver
BEFORE INSERT ON purchase_order_contributor FOR EACH ROW
WHEN {_COMPOSER_IS_APPROVER}
BEGIN {_SQLITE_ABORT.format(_COMPOSER)} END""",
        f"""CREATE TRIGGER purchase_order_contributor_not_approver_update
BEFORE UPDATE ON purchase_order_contributor FOR EACH ROW
WHEN {_COMPOSER_IS_APPROVER}
BEGIN {_SQLITE_ABORT.format(_COMPOSER)} END""",
        f"""CREATE TRIGGER purchase_order_cancel_authority
BEFORE UPDATE OF status ON purchase_order FOR EACH ROW
WHEN NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND {_CANCEL_NOT_ALLOWED}
BEGIN {_SQLITE_ABORT.format(_CANCEL)} END""",
    ],
    "postgresql": [
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
    ],
}

# Created with the contributor table (the last of the tables they read or guard).
for _dialect, _statements in SOD_TRIGGERS.items():
    for _statement in _statements:
        event.listen(
            PurchaseOrderContributor.__table__,
            "after_create",
            DDL(_statement).execute_if(dialect=_dialect),
        )
event.listen(
    PurchaseOrderContributor.__table__,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS purchase_order_sod() CASCADE").execute_if(dialect="postgresql"),
)
