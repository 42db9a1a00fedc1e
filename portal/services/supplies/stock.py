"""The stock ledger: every change of on-hand is a ledger row written with a conditional UPDATE,
so stock can never go negative and on-hand always equals the sum of the ledger.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.supplies import (
    ISSUE,
    RECEIPT,
    StockMovement,
    SupplyItem,
)
from portal.services import audit
from portal.services.supplies import units
from portal.services.supplies.common import _int


def _move(
    item: SupplyItem,
    delta: int,
    kind: str,
    *,
    actor: User | None,
    reason: str | None = None,
    issued_to: User | None = None,
    department_id: int | None = None,
    order_line_id: int | None = None,
    count_id: int | None = None,
) -> StockMovement:
    """Change on-hand by ``delta`` and write the ledger row, atomically; never below zero."""
    stmt = update(SupplyItem).where(SupplyItem.id == item.id)
    if delta < 0:
        stmt = stmt.where(SupplyItem.on_hand >= -delta)
    result = db.session.execute(
        stmt.values(on_hand=SupplyItem.on_hand + delta).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(item)
        raise ValidationError(
            _(
                "Only %(n)s of %(item)s on hand; you cannot take %(qty)d.",
                n=units.quantity_with_unit(item.on_hand, item),
                item=item.name,
                qty=-delta,
            ),
            field="quantity",
        )
    movement = StockMovement(
        item_id=item.id,
        kind=kind,
        quantity=delta,
        reason=(reason or None) and reason[:300],
        issued_to_id=issued_to.id if issued_to else None,
        department_id=department_id,
        actor_id=actor.id if actor else None,
        order_line_id=order_line_id,
        count_id=count_id,
    )
    db.session.add(movement)
    db.session.flush()
    db.session.refresh(item, ["on_hand"])
    return movement


def issue_stock(
    item: SupplyItem,
    *,
    quantity: Any,
    actor: User,
    issued_to: User | None = None,
    department_id: int | None = None,
    reason: str | None = None,
) -> StockMovement:
    qty = _int(quantity, "quantity", minimum=1)
    movement = _move(
        item,
        -qty,
        ISSUE,
        actor=actor,
        reason=reason,
        issued_to=issued_to,
        department_id=department_id,
    )
    audit.record(actor, "supplies.stock.issue", item, {"quantity": qty})
    return movement


def receive_stock(
    item: SupplyItem, *, quantity: Any, actor: User, reason: str | None = None
) -> StockMovement:
    qty = _int(quantity, "quantity", minimum=1)
    movement = _move(item, qty, RECEIPT, actor=actor, reason=reason)
    audit.record(actor, "supplies.stock.receipt", item, {"quantity": qty})
    return movement


def list_movements(item: SupplyItem):
    return (
        select(StockMovement)
        .where(StockMovement.item_id == item.id)
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())
    )
