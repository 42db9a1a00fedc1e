"""Supply requests from the front desk (staff requests of type "supplies"): issue what is on hand,
turn each shortfall into a draft order line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.errors import InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.frontdesk import DONE as REQUEST_DONE
from portal.models.frontdesk import IN_PROGRESS as REQUEST_IN_PROGRESS
from portal.models.frontdesk import NEW as REQUEST_NEW
from portal.models.frontdesk import StaffRequest
from portal.models.supplies import (
    DRAFT,
    ISSUE,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplyItem,
)
from portal.routing import parse_int
from portal.services import audit, frontdesk
from portal.services.supplies import units
from portal.services.supplies.common import _int
from portal.services.supplies.orders import _recompute, _record_contributor
from portal.services.supplies.stock import _move


def list_supply_requests():
    """Open staff requests of type "supplies", oldest first (front-desk area)."""
    return (
        select(StaffRequest)
        .where(
            StaffRequest.type == "supplies",
            StaffRequest.status.in_((REQUEST_NEW, REQUEST_IN_PROGRESS)),
        )
        .options(selectinload(StaffRequest.requester))
        .order_by(StaffRequest.created_at, StaffRequest.id)
    )


def get_supply_request_or_404(request_id: int):
    req = db.session.get(StaffRequest, request_id)
    if req is None or req.type != "supplies":
        raise NotFound(_("This supply request does not exist."))
    return req


def _draft_for(supplier_id: int, actor: User) -> PurchaseOrder:
    """The actor's newest draft for this supplier, or a new one (shortfalls gather there)."""
    order = db.session.scalar(
        select(PurchaseOrder)
        .where(
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrder.status == DRAFT,
            PurchaseOrder.requester_id == actor.id,
        )
        .order_by(PurchaseOrder.id.desc())
        .limit(1)
    )
    if order is None:
        order = PurchaseOrder(
            supplier_id=supplier_id, requester_id=actor.id, updated_by_id=actor.id
        )
        db.session.add(order)
        db.session.flush()
        audit.record(actor, "supplies.order.create", order, {"from": "supply request"})
    return order


def fulfil_supply_request(
    req: Any, *, actor: User, lines: Sequence[tuple[Any, Any]]
) -> tuple[list[tuple[SupplyItem, int]], list[tuple[SupplyItem, int, PurchaseOrder | None]]]:
    """Issue what is on hand to the requester; turn each shortfall into a draft order line.

    Returns (issued, shortfalls); the request gets a comment saying what happened and moves to
    "done" when everything was issued, else "in progress".
    """
    if req.status not in (REQUEST_NEW, REQUEST_IN_PROGRESS):
        raise InvalidTransition(_("This request is already closed."))
    wanted: list[tuple[SupplyItem, int]] = []
    for index, (item_id, raw_qty) in enumerate(lines):
        if not item_id and not str(raw_qty or "").strip():
            continue
        item = db.session.get(SupplyItem, parse_int(item_id)) if parse_int(item_id) else None
        if item is None:
            raise ValidationError(_("Choose an item."), field=f"item-{index}")
        wanted.append((item, _int(raw_qty, f"qty-{index}", minimum=1)))
    if not wanted:
        raise ValidationError(_("Add at least one item."), field="item-0")
    issued: list[tuple[SupplyItem, int]] = []
    short: list[tuple[SupplyItem, int, PurchaseOrder | None]] = []
    requester = req.requester
    for item, qty in wanted:
        db.session.refresh(item, ["on_hand"])
        give = min(qty, item.on_hand)
        if give:
            _move(
                item,
                -give,
                ISSUE,
                actor=actor,
                issued_to=requester,
                department_id=requester.department_id,
                reason=_("Request #%(id)s", id=req.id),
            )
            issued.append((item, give))
        missing = qty - give
        if missing:
            order = None
            if item.supplier_id is not None:
                order = _draft_for(item.supplier_id, actor)
                packs = math.ceil(missing / item.pack_size)
                existing = next((ln for ln in order.lines if ln.item_id == item.id), None)
                if existing is not None:
                    existing.quantity += packs * item.pack_size
                else:
                    order.lines.append(
                        PurchaseOrderLine(
                            item=item, quantity=packs * item.pack_size, unit_cost=item.unit_cost
                        )
                    )
                db.session.flush()
                _recompute(order)
                _record_contributor(order, actor)
            short.append((item, missing, order))
    parts = (
        [
            _(
                "Issued: %(what)s.",
                what=", ".join(f"{units.quantity_with_unit(q, i)} {i.name}" for i, q in issued),
            )
        ]
        if issued
        else []
    )
    if short:
        parts.append(
            _(
                "To be ordered: %(what)s.",
                what=", ".join(
                    f"{units.quantity_with_unit(q, i)} {i.name}" + (f" ({o.number})" if o else "")
                    for i, q, o in short
                ),
            )
        )
    frontdesk.add_request_comment(req, author=actor, body=" ".join(parts))
    target = REQUEST_DONE if not short else REQUEST_IN_PROGRESS
    if req.status != target and req.can_move_to(target):
        frontdesk.change_request_status(req, actor=actor, status=target)
    audit.record(
        actor, "supplies.request.fulfil", req, {"issued": len(issued), "short": len(short)}
    )
    return issued, short
