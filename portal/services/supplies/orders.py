"""Purchase orders: the list (its export: ``order_export``), drafts and their lines, who
composed an order (segregation of duties), cancelling, closing and receiving deliveries.

Every change to an order is a conditional UPDATE on its version (optimistic lock), so two people
acting on the same order at once get exactly one winner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from portal.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.outbox import PENDING as OUTBOX_PENDING
from portal.models.outbox import SENT as OUTBOX_SENT
from portal.models.outbox import UNCERTAIN as OUTBOX_UNCERTAIN
from portal.models.supplies import (
    APPROVED,
    CANCELLED,
    CLOSED,
    DRAFT,
    OPEN_STATUSES,
    PARTLY_RECEIVED,
    PENDING_APPROVAL,
    RECEIPT,
    RECEIVABLE_STATUSES,
    RECEIVED,
    STATUS_LABELS,
    PurchaseOrder,
    PurchaseOrderContributor,
    PurchaseOrderLine,
    Receipt,
    Supplier,
    SupplyItem,
)
from portal.pagination import RowPage, paged, read_rows, row_page
from portal.routing import parse_int
from portal.services import audit
from portal.services.supplies.common import _int
from portal.services.supplies.stock import _move

# --- the order list ----------------------------------------------------------------------------


def _order_filters(stmt, *, status: str = "", q: str = ""):
    """The purchase-order list's filters (status or "open", number or supplier name)."""
    if status == "open":
        stmt = stmt.where(PurchaseOrder.status.in_(OPEN_STATUSES))
    elif status:
        stmt = stmt.where(PurchaseOrder.status == status)
    if q:
        q = q.strip().upper().removeprefix("PO-")
        if (number := parse_int(q)) is not None:
            stmt = stmt.where(PurchaseOrder.id == number)
        else:
            stmt = stmt.where(
                PurchaseOrder.supplier_id.in_(
                    select(Supplier.id).where(Supplier.name.ilike(f"%{q}%"))
                )
            )
    return stmt


@lru_cache(maxsize=16)
def _order_page_statements(status_kind: str, q_kind: str):
    """The order list's row and count statements for one filter shape, built once.

    ``status_kind``: "" (all), "open" or "one"; ``q_kind``: "" , "number" or "supplier".
    """
    requester = aliased(User)
    stmt = (
        select(
            PurchaseOrder.id,
            Supplier.name.label("supplier"),
            requester.name.label("requester"),
            PurchaseOrder.created_at,
            PurchaseOrder.total,
            PurchaseOrder.status,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(requester, requester.id == PurchaseOrder.requester_id)
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
    )
    count = select(func.count(PurchaseOrder.id))
    out = []
    for base in (stmt, count):
        if status_kind == "open":
            base = base.where(PurchaseOrder.status.in_(OPEN_STATUSES))
        elif status_kind == "one":
            base = base.where(PurchaseOrder.status == bindparam("status"))
        if q_kind == "number":
            base = base.where(PurchaseOrder.id == bindparam("order_id"))
        elif q_kind == "supplier":
            base = base.where(
                PurchaseOrder.supplier_id.in_(
                    select(Supplier.id).where(Supplier.name.ilike(bindparam("like")))
                )
            )
        out.append(base)
    return paged(out[0]), out[1]


def order_page(*, status: str = "", q: str = "", page: int, per_page: int) -> RowPage:
    """One page of the purchase-order list as rows (id, supplier, requester, created_at, total,
    status), newest first, with the same filters as the CSV export: two queries."""
    status_kind = "open" if status == "open" else ("one" if status else "")
    term = q.strip().upper().removeprefix("PO-")
    number = parse_int(term)
    q_kind = "" if not term else ("number" if number is not None else "supplier")
    stmt, count = _order_page_statements(status_kind, q_kind)
    params = {
        "status": status,
        "order_id": number,
        "like": f"%{term}%",
    }
    return row_page(stmt, count, list, page=page, per_page=per_page, params=params)


# --- one order: version checks and transitions ----------------------------------------------------


def get_order_or_404(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound(_("This purchase order does not exist."))
    return order


def _recompute(order: PurchaseOrder) -> None:
    """Set the total and the category (the one with the largest share of the total)."""
    total = Decimal("0")
    share: dict[int, Decimal] = {}
    for line in order.lines:
        total += line.line_total
        cid = line.item.category_id if line.item else None
        if cid is not None:
            share[cid] = share.get(cid, Decimal("0")) + line.line_total
    order.total = total
    order.category_id = max(share, key=lambda c: share[c]) if share else None
    db.session.flush()


def changed_message(order: PurchaseOrder) -> str:
    who = order.updated_by.name if order.updated_by else _("the system")
    return _(
        "This order was changed by %(name)s at %(time)s (now: %(status)s). "
        "Reload to see the current version.",
        name=who,
        time=format_datetime(order.updated_at, "short"),
        status=order.status_label,
    )


def _check_version(order: PurchaseOrder, seen_version: int | None) -> None:
    if seen_version is not None and int(seen_version) != order.version:
        raise Conflict(changed_message(order))


def _transition(
    order: PurchaseOrder,
    *,
    seen_version: int | None,
    allowed_from: Iterable[str],
    actor: User | None,
    **values: Any,
) -> None:
    """Change the order with UPDATE ... WHERE version = :seen AND status IN (...).

    Zero rows means someone else changed it first: the loser gets a 409 naming who and when.
    """
    seen = order.version if seen_version is None else int(seen_version)
    allowed = tuple(allowed_from)
    result = db.session.execute(
        update(PurchaseOrder)
        .where(
            PurchaseOrder.id == order.id,
            PurchaseOrder.version == seen,
            PurchaseOrder.status.in_(allowed),
        )
        .values(
            version=PurchaseOrder.version + 1,
            updated_at=utcnow(),
            updated_by_id=actor.id if actor else None,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order)
    if result.rowcount != 1:
        if order.version != seen:
            raise Conflict(changed_message(order))
        raise InvalidTransition(
            _("This order is %(status)s; that is not possible now.", status=order.status_label)
        )


def create_order(*, supplier: Supplier, actor: User, notes: str | None = None) -> PurchaseOrder:
    order = PurchaseOrder(
        supplier_id=supplier.id, requester_id=actor.id, updated_by_id=actor.id, notes=notes or None
    )
    db.session.add(order)
    db.session.flush()
    audit.record(actor, "supplies.order.create", order)
    return order


# --- who composed an order (segregation of duties) ------------------------------------------------


def _record_contributor(order: PurchaseOrder, actor: User) -> None:
    """Remember that ``actor`` created or changed the order's lines (once per person).

    INSERT ... ON CONFLICT DO NOTHING: two changes by the same person at once never collide.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(PurchaseOrderContributor)
        .values(order_id=order.id, user_id=actor.id, first_at=utcnow())
        .on_conflict_do_nothing()
    )


def composed_by(order: PurchaseOrder, user: User) -> bool:
    """Whether ``user`` requested the order or created or changed any of its lines: then they
    count as a requester and may neither approve nor reject it."""
    if order.requester_id == user.id:
        return True
    return _composer_ids(order, [user.id]) != set()


def _composer_ids(order: PurchaseOrder, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` created or changed the order's lines."""
    wanted = [i for i in user_ids if i is not None]
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            select(PurchaseOrderContributor.user_id).where(
                PurchaseOrderContributor.order_id == order.id,
                PurchaseOrderContributor.user_id.in_(wanted),
            )
        )
    )


def order_contributors(order: PurchaseOrder) -> list[User]:
    """Who changed the order's lines besides its requester, in the order they first did."""
    return list(
        db.session.scalars(
            select(User)
            .join(PurchaseOrderContributor, PurchaseOrderContributor.user_id == User.id)
            .where(
                PurchaseOrderContributor.order_id == order.id,
                PurchaseOrderContributor.user_id != order.requester_id,
            )
            .order_by(PurchaseOrderContributor.first_at, User.name)
        )
    )


# --- what a person may do to an order; editing drafts ---------------------------------------------


def may_cancel(order: PurchaseOrder, user: User) -> bool:
    """The requester or an office manager (the portal has no per-person manager: departments
    carry none, and office managers manage purchasing for everyone)."""
    return order.requester_id == user.id or user.has_role("office_manager")


@dataclass(slots=True)
class OrderRights:
    """What the order page offers ``user``; the services refuse the rest anyway."""

    decide: bool  # approve or reject
    cancel: bool
    contributors: list[User]


def order_rights(order: PurchaseOrder, user: User) -> OrderRights:
    contributors = order_contributors(order)
    composed = order.requester_id == user.id or any(u.id == user.id for u in contributors)
    decide = order.status == PENDING_APPROVAL and user.can("purchase.approve") and not composed
    if decide:  # the approval chain has the last word (bands, absences, directors)
        from portal.services.supplies.chain import authority, composers_of, load_context

        try:
            authority(order, user, load_context(), composers_of([order.id])[order.id])
        except NotAllowed:
            decide = False
    return OrderRights(
        decide=decide,
        cancel=order.status in (DRAFT, PENDING_APPROVAL, APPROVED)
        and user.can("purchase.create")
        and may_cancel(order, user),
        contributors=contributors,
    )


def _require_draft_editor(order: PurchaseOrder, actor: User) -> None:
    if order.status != DRAFT:
        raise InvalidTransition(_("Only draft orders can be edited."))


def add_line(
    order: PurchaseOrder,
    *,
    item: SupplyItem | None,
    quantity: Any,
    actor: User,
    seen_version: int | None = None,
) -> PurchaseOrderLine:
    _check_version(order, seen_version)
    _require_draft_editor(order, actor)
    if item is None:
        raise ValidationError(_("Choose an item."), field="item_id")
    qty = _int(quantity, "quantity", minimum=1)
    existing = next((ln for ln in order.lines if ln.item_id == item.id), None)
    if existing is not None:
        existing.quantity += qty
        line = existing
    else:
        line = PurchaseOrderLine(item=item, quantity=qty, unit_cost=item.unit_cost)
        order.lines.append(line)
    db.session.flush()
    _recompute(order)
    _transition(order, seen_version=order.version, allowed_from=(DRAFT,), actor=actor)
    _record_contributor(order, actor)
    audit.record(actor, "supplies.order.line_add", order, {"item": item.sku, "quantity": qty})
    return line


def remove_line(
    order: PurchaseOrder, *, line_id: int, actor: User, seen_version: int | None = None
) -> None:
    _check_version(order, seen_version)
    _require_draft_editor(order, actor)
    line = next((ln for ln in order.lines if ln.id == line_id), None)
    if line is None:
        raise NotFound(_("This line does not exist."))
    order.lines.remove(line)
    db.session.flush()
    _recompute(order)
    _transition(order, seen_version=order.version, allowed_from=(DRAFT,), actor=actor)
    _record_contributor(order, actor)
    audit.record(actor, "supplies.order.line_remove", order, {"item": line.item.sku})


# --- cancelling, closing, receiving ---------------------------------------------------------------


def cancel_order(
    order: PurchaseOrder, *, actor: User, reason: str = "", seen_version: int | None = None
) -> None:
    """Cancel an order not yet sent; only its requester or an office manager may (the database
    refuses anyone else too)."""
    _check_version(order, seen_version)
    if not may_cancel(order, actor):
        raise NotAllowed(_("Only the requester or an office manager can cancel this order."))
    if order.status not in (DRAFT, PENDING_APPROVAL, APPROVED):
        raise InvalidTransition(
            _("This order is %(status)s and can no longer be cancelled.", status=order.status_label)
        )
    if (
        order.status == APPROVED
        and order.submission is not None
        and order.submission.status
        in (
            OUTBOX_SENT,
            "sending",
            OUTBOX_UNCERTAIN,
        )
    ):
        raise InvalidTransition(
            _("The order already went to the supplier; it cannot be cancelled.")
        )
    _transition(
        order,
        seen_version=order.version,
        allowed_from=(DRAFT, PENDING_APPROVAL, APPROVED),
        actor=actor,
        status=CANCELLED,
        cancelled_reason=(reason or "").strip()[:500] or None,
        cancelled_by_id=actor.id,
    )
    if order.submission is not None and order.submission.status == OUTBOX_PENDING:
        order.submission.status = "cancelled"
    audit.record(actor, "supplies.order.cancel", order, {"reason": reason or None})


def close_order(order: PurchaseOrder, *, actor: User, seen_version: int | None = None) -> None:
    _check_version(order, seen_version)
    _transition(
        order,
        seen_version=order.version,
        allowed_from=(RECEIVED, PARTLY_RECEIVED),
        actor=actor,
        status=CLOSED,
    )
    audit.record(actor, "supplies.order.close", order)


def receive_order(
    order: PurchaseOrder,
    *,
    actor: User,
    quantities: dict[int, Any],
    note: str | None = None,
    seen_version: int | None = None,
) -> Receipt:
    """Record a delivery against the lines (partial allowed, over-receipt refused)."""
    _check_version(order, seen_version)
    if order.status not in RECEIVABLE_STATUSES:
        raise InvalidTransition(
            _("This order is %(status)s; nothing can be received.", status=order.status_label)
        )
    wanted: dict[int, int] = {}
    lines = {ln.id: ln for ln in order.lines}
    for line_id, raw in quantities.items():
        if str(raw or "").strip() in ("", "0"):
            continue
        qty = _int(raw, f"qty-{line_id}", minimum=0)
        line = lines.get(int(line_id))
        if line is None:
            continue
        if qty > line.outstanding:
            raise ValidationError(
                _(
                    "Only %(n)d of %(item)s are still expected; %(qty)d is too many.",
                    n=line.outstanding,
                    item=line.item.name,
                    qty=qty,
                ),
                field=f"qty-{line.id}",
            )
        wanted[line.id] = qty
    if not wanted:
        raise ValidationError(_("Enter what arrived."), field="quantities")
    receipt = Receipt(order_id=order.id, received_by_id=actor.id, note=(note or None))
    db.session.add(receipt)
    for line_id, qty in wanted.items():
        line = lines[line_id]
        result = db.session.execute(
            update(PurchaseOrderLine)
            .where(
                PurchaseOrderLine.id == line_id,
                PurchaseOrderLine.received_qty + qty <= PurchaseOrderLine.quantity,
            )
            .values(received_qty=PurchaseOrderLine.received_qty + qty)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(_("Someone else recorded a delivery for this order. Reload."))
        _move(
            line.item,
            qty,
            RECEIPT,
            actor=actor,
            reason=_("Received on %(number)s", number=order.number),
            order_line_id=line.id,
        )
    for line in order.lines:
        db.session.refresh(line, ["received_qty"])
    complete = all(ln.received_qty >= ln.quantity for ln in order.lines)
    _transition(
        order,
        seen_version=order.version,
        allowed_from=RECEIVABLE_STATUSES,
        actor=actor,
        status=RECEIVED if complete else PARTLY_RECEIVED,
    )
    audit.record(actor, "supplies.order.receive", order, {str(k): v for k, v in wanted.items()})
    return receipt


def list_receipts(order: PurchaseOrder) -> list[Receipt]:
    return list(
        db.session.scalars(select(Receipt).where(Receipt.order_id == order.id).order_by(Receipt.at))
    )


# --- dashboard numbers ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _count_orders_statement():
    return select(func.count(PurchaseOrder.id)).where(
        PurchaseOrder.status.in_(bindparam("statuses", expanding=True))
    )


def count_orders(statuses: Sequence[str]) -> int:
    """Orders in these states (index on status); the nav badge runs this on every page."""
    return read_rows(_count_orders_statement(), {"statuses": list(statuses)}).scalar() or 0


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
