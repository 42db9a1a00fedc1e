"""Reorder suggestions: items at or below their (lead-time-raised) reorder point counting what is
on order, computed by one set-based statement; and draft orders made from them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import get_decimal_symbol
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, literal_column, select, update
from sqlalchemy.orm import aliased

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.supplies import (
    ISSUE,
    OPEN_STATUSES,
    PurchaseOrder,
    PurchaseOrderLine,
    StockMovement,
    Supplier,
    SupplyItem,
)
from portal.pagination import RowPage, paged, row_page
from portal.services import audit
from portal.services.supplies.common import CENT
from portal.services.supplies.orders import _recompute, _record_contributor

# Average daily use is measured over this many days of issue movements.
USAGE_WINDOW_DAYS = 90


@dataclass(slots=True)
class Suggestion:
    """One item to reorder, with the numbers that explain it (a read model, not the ORM row).

    ``extra`` is the lead-time allowance: what the item is expected to use while an order is on
    its way (average daily use × the supplier's lead time, rounded up); it raises both the
    reorder point and the par level the suggestion fills up to.
    """

    item_id: int
    name: str
    sku: str
    unit: str
    pack_size: int
    unit_cost: Decimal
    reorder_point: int
    par_level: int
    supplier_id: int | None
    supplier: str | None
    on_hand: int
    on_order: int
    daily_use: Decimal | None
    lead_time: int
    low_alerted_on: date | None
    extra: int = 0
    need: int = 0
    packs: int = 0
    unit_kind: str = "unit"  # with ``unit`` and this, services.supplies.units names the unit
    unit_plural: str | None = None

    @property
    def quantity(self) -> int:
        return self.packs * self.pack_size

    @property
    def amount(self) -> Decimal:
        return (self.unit_cost * self.quantity).quantize(CENT)

    def explain(self, plain: str, with_lead: str, decimal_sign: str = ".") -> str:
        """Fill the translated explanation (``plain``, or ``with_lead`` when lead time adds
        something); pages translate the two texts once and call this per row."""
        values = {
            "on_hand": self.on_hand,
            "on_order": self.on_order,
            "rp": self.reorder_point,
            "par": self.par_level,
            "need": self.need,
            "packs": self.packs,
            "pack": self.pack_size,
            "packs_text": ngettext(
                "%(num)d pack of %(pack)d",
                "%(num)d packs of %(pack)d",
                self.packs,
                pack=self.pack_size,
            ),
        }
        if not self.extra:
            return plain % values
        use = self.daily_use or Decimal("0")
        if use >= 1:
            text = str(int(use.to_integral_value()))
        else:  # small rates keep a significant digit: 0.4, 0.03
            text = f"{use:.1f}" if use >= Decimal("0.1") else f"{use:.2f}"
        return with_lead % {
            **values,
            "use": text.replace(".", decimal_sign),
            "days": self.lead_time,
            "extra": self.extra,
        }

    @property
    def explanation(self) -> str:
        return self.explain(*explanation_texts(), get_decimal_symbol(get_locale() or "en"))


def explanation_texts() -> tuple[str, str]:
    """The two explanation texts, translated (placeholders left for ``Suggestion.explain``)."""
    return (
        _(
            "on hand %(on_hand)d, on order %(on_order)d, reorder point %(rp)d, par %(par)d "
            "→ %(need)d → %(packs_text)s"
        ),
        _(
            "uses ~%(use)s/day, lead time %(days)d days → +%(extra)d; on hand %(on_hand)d, "
            "on order %(on_order)d, reorder point %(rp)d + %(extra)d, par %(par)d + %(extra)d "
            "→ %(need)d → %(packs_text)s"
        ),
    )


def _on_order_subquery():
    """Outstanding quantity per item on open orders.

    Written as ``order_id IN (open orders)`` so the planner starts from the few open orders
    (status index) instead of scanning every line ever ordered.
    """
    open_orders = select(PurchaseOrder.id).where(PurchaseOrder.status.in_(OPEN_STATUSES))
    return (
        select(
            PurchaseOrderLine.item_id.label("item_id"),
            func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_qty).label("qty"),
        )
        .where(PurchaseOrderLine.order_id.in_(open_orders))
        .group_by(PurchaseOrderLine.item_id)
        .subquery()
    )


def _suggestion_select(*columns: Any, supplier_id: int | None = None):
    """Items at or below their (lead-time-raised) reorder point counting what is on order,
    and below their par level: ONE set-based statement over all items.

    With ``use`` = daily use × lead time (the unrounded allowance) and ``have`` = on hand + on
    order, the conditions ``have <= reorder_point + ceil(use)`` and ``have < par + ceil(use)``
    are written without CEIL (which SQLite lacks): for whole numbers, ``n <= ceil(u)`` is
    ``n - 1 < u`` and ``n < ceil(u)`` is ``n < u``.
    """
    on_order = _on_order_subquery()
    have = SupplyItem.on_hand + func.coalesce(on_order.c.qty, 0)
    use = func.coalesce(SupplyItem.daily_use, 0) * func.coalesce(Supplier.lead_time_days, 0)
    # A necessary condition on the item's own columns (on order >= 0, lead time <= the longest
    # any supplier has), checked before the joins: most items drop out of the scan here.
    longest_lead = select(func.coalesce(func.max(Supplier.lead_time_days), 0)).scalar_subquery()
    plausible = (
        SupplyItem.on_hand - SupplyItem.reorder_point - 1
        < func.coalesce(SupplyItem.daily_use, 0) * longest_lead
    )
    # The same with the largest daily use of any item: a bound on on_hand - reorder_point
    # alone, read as a range of ix_supply_item_margin (the largest use comes from the
    # end of ix_supply_item_daily_use), so only the items near their reorder point are read.
    # "<=" and "+ 1" rather than "- 1 <": rounding of a float bound cannot drop an item.
    every_item = aliased(SupplyItem)  # never correlated with the outer items
    largest_use = select(func.coalesce(func.max(every_item.daily_use), 0)).scalar_subquery()
    near = SupplyItem.on_hand - SupplyItem.reorder_point <= largest_use * longest_lead + 1
    stmt = (
        select(*columns, func.coalesce(on_order.c.qty, 0).label("on_order"))
        .select_from(SupplyItem)
        .outerjoin(on_order, on_order.c.item_id == SupplyItem.id)
        .outerjoin(Supplier, Supplier.id == SupplyItem.supplier_id)
        .where(
            # "active" inside coalesce: SQLite (without statistics) would otherwise prefer
            # ix_supply_item_active_name (active = ?, most items) to the range of the margin.
            func.coalesce(SupplyItem.active, False).is_(True),
            near,
            plausible,
            have - SupplyItem.reorder_point - 1 < use,
            have - SupplyItem.par_level < use,
        )
    )
    if supplier_id:
        stmt = stmt.where(SupplyItem.supplier_id == supplier_id)
    return stmt


# In the order of Suggestion's first fields (rows are unpacked positionally).
_SUGGESTION_COLUMNS = (
    SupplyItem.id.label("item_id"),
    SupplyItem.name,
    SupplyItem.sku,
    SupplyItem.unit,
    SupplyItem.pack_size,
    SupplyItem.unit_cost,
    SupplyItem.reorder_point,
    SupplyItem.par_level,
    SupplyItem.supplier_id,
    Supplier.name.label("supplier"),
    SupplyItem.on_hand,
    SupplyItem.daily_use,
    func.coalesce(Supplier.lead_time_days, 0).label("lead_time"),
    SupplyItem.unit_kind,  # row[13], row[14] in _suggestion
    SupplyItem.unit_plural,
)


def _suggestion(row: Any) -> Suggestion:
    """Build from a row of ``_SUGGESTION_COLUMNS`` + one extra column + on_order (last);
    positional, as this runs for every row of the page."""
    daily_use = row[11]
    s = Suggestion(
        *row[:11],
        int(row[-1] or 0),  # on_order
        daily_use if daily_use is None or isinstance(daily_use, Decimal) else Decimal(daily_use),
        int(row[12] or 0),  # lead_time
        None,  # low_alerted_on: set by suggestions() for the daily job
    )
    if s.daily_use and s.lead_time:
        s.extra = math.ceil(s.daily_use * s.lead_time)
    s.need = s.par_level + s.extra - (s.on_hand + s.on_order)
    s.packs = math.ceil(s.need / s.pack_size)
    s.unit_kind, s.unit_plural = row[13], row[14]
    return s


def suggestions(*, item_ids: Iterable[int] | None = None) -> list[Suggestion]:
    """Every suggestion (or those of ``item_ids``), by supplier and name: one query."""
    stmt = _suggestion_select(*_SUGGESTION_COLUMNS, SupplyItem.low_alerted_on).order_by(
        SupplyItem.supplier_id, SupplyItem.name, SupplyItem.id
    )
    if item_ids is not None:
        stmt = stmt.where(SupplyItem.id.in_(list(item_ids)))
    out = []
    for row in db.session.execute(stmt):
        s = _suggestion(row)
        s.low_alerted_on = row.low_alerted_on
        out.append(s)
    return out


@lru_cache(maxsize=4)
def _suggestion_page_statements(by_supplier: bool):
    """The suggestions page's statement (rows plus ``COUNT(*) OVER ()``) and its fallback
    count, built once; the supplier is bound per request."""
    supplier = bindparam("supplier_id") if by_supplier else None
    stmt = _suggestion_select(
        *_SUGGESTION_COLUMNS, func.count().over().label("total_rows")
    ).order_by(SupplyItem.supplier_id, SupplyItem.name, SupplyItem.id)
    count = select(func.count()).select_from(_suggestion_select(SupplyItem.id).subquery())
    if supplier is not None:
        stmt = stmt.where(SupplyItem.supplier_id == supplier)
        count = select(func.count()).select_from(
            _suggestion_select(SupplyItem.id).where(SupplyItem.supplier_id == supplier).subquery()
        )
    return paged(stmt), count


def suggestion_page(*, supplier_id: int | None = None, page: int, per_page: int) -> RowPage:
    """One page of suggestions (optionally one supplier's), by supplier and name."""
    stmt, count = _suggestion_page_statements(bool(supplier_id))
    return row_page(
        stmt,
        count,
        lambda rows: [_suggestion(row) for row in rows],
        page=page,
        per_page=per_page,
        params={"supplier_id": supplier_id},
        windowed=True,
    )


def low_stock_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(_suggestion_select(SupplyItem.id).subquery())
        )
        or 0
    )


def refresh_daily_use(*, now: datetime | None = None) -> int:
    """Recompute every item's average daily use over the last ``USAGE_WINDOW_DAYS`` days from
    its issue movements: one set-based UPDATE (index on item and time); returns rows updated."""
    now = now or utcnow()
    since = now - timedelta(days=USAGE_WINDOW_DAYS)
    issued = (
        select(func.coalesce(func.sum(-StockMovement.quantity), 0))
        .where(
            StockMovement.item_id == SupplyItem.id,
            StockMovement.kind == ISSUE,
            StockMovement.at >= since,
        )
        .correlate(SupplyItem)
        .scalar_subquery()
    )
    result = db.session.execute(
        update(SupplyItem)
        # "1.0" as a literal: numeric on PostgreSQL (round(numeric, int)), real on SQLite.
        .values(daily_use=func.round(issued * literal_column("1.0") / USAGE_WINDOW_DAYS, 3))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def drafts_from_suggestions(item_ids: Sequence[int], *, actor: User) -> list[PurchaseOrder]:
    """Turn the selected suggestions into draft orders, one per supplier.

    Suggestions are recomputed here and drafts count as "on order", so submitting the same
    selection twice (double click, two tabs) creates nothing the second time.
    """
    if not item_ids:
        raise ValidationError(_("Select at least one suggestion."), field="items")
    chosen = suggestions(item_ids=[int(i) for i in item_ids])
    by_supplier: dict[int, list[Suggestion]] = {}
    for s in chosen:
        if s.supplier_id is None:
            continue
        by_supplier.setdefault(s.supplier_id, []).append(s)
    orders = []
    for supplier_id, rows in by_supplier.items():
        order = PurchaseOrder(
            supplier_id=supplier_id, requester_id=actor.id, updated_by_id=actor.id
        )
        order.lines = [
            PurchaseOrderLine(item_id=s.item_id, quantity=s.quantity, unit_cost=s.unit_cost)
            for s in rows
        ]
        db.session.add(order)
        db.session.flush()
        _recompute(order)
        _record_contributor(order, actor)
        audit.record(actor, "supplies.order.create", order, {"from": "suggestions"})
        orders.append(order)
    if not orders:
        raise ValidationError(
            _("Nothing to order: these items are already on order or have no supplier."),
            field="items",
        )
    return orders
