"""Supplies' part of an exit hand-over: the leaver's open orders and the absences they cover.

Registered with ``registry.handover_provider`` (portal/blueprints/supplies/__init__.py); the
people area calls it when someone leaves, without importing anything of supplies.

Orders waiting for approval are not anybody's in particular (the approval chain offers them to
every active approver), and a closed account drops out of the chain by itself; what does belong
to one person is an order they requested (they edit the draft, hear of its approval, cancel it)
and an absence in which they stand in for a manager.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.supplies import (
    DELEGATE_ROLES,
    OPEN_STATUSES,
    Delegation,
    PurchaseOrder,
    local_today,
)
from portal.services import audit


def hand_over(leaver: User, colleague: User, *, actor: User | None) -> int:
    """Give the leaver's open orders and stand-in absences to ``colleague``; return how many.

    An order changes requester only if ``colleague`` may draft orders and did not approve it
    (requester and approver are never the same person).  An absence not over yet gets
    ``colleague`` as the stand-in when they may stand in (back office or office manager, not the
    absent manager), otherwise it is called off so the manager's approvals go up the chain.
    """
    orders: list[int] = []
    if colleague.can("purchase.create"):
        orders = list(
            db.session.scalars(
                select(PurchaseOrder.id)
                .where(
                    PurchaseOrder.requester_id == leaver.id,
                    PurchaseOrder.status.in_(OPEN_STATUSES),
                    or_(
                        PurchaseOrder.approver_id.is_(None),
                        PurchaseOrder.approver_id != colleague.id,
                    ),
                )
                .order_by(PurchaseOrder.id)
            )
        )
    if orders:
        db.session.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.id.in_(orders), PurchaseOrder.requester_id == leaver.id)
            .values(
                requester_id=colleague.id,
                version=PurchaseOrder.version + 1,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session="fetch")
        )
    absences = list(
        db.session.scalars(
            select(Delegation)
            .where(
                Delegation.delegate_id == leaver.id,
                Delegation.cancelled_at.is_(None),
                Delegation.ends_on >= local_today(),
            )
            .order_by(Delegation.id)
        )
    )
    may_stand_in = colleague.active and any(colleague.has_role(r) for r in DELEGATE_ROLES)
    moved, called_off = [], []
    for absence in absences:
        if may_stand_in and absence.manager_id != colleague.id:
            absence.delegate = colleague
            moved.append(absence.id)
        else:
            absence.cancelled_at = utcnow()
            called_off.append(absence.id)
    db.session.flush()
    if orders or absences:
        audit.record(
            actor,
            "supplies.handover",
            leaver,
            {
                "to": colleague.id,
                "orders": orders,
                "absences": moved,
                "absences_called_off": called_off,
            },
        )
    return len(orders) + len(absences)
