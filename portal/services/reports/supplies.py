"""Supplies and purchasing report: spend per month against the budget, stock value, items that
move most and least, supplier lead times, orders waiting for approval, orders from suggestions.

One grouped query per figure; comparing runs the period-bound ones once more.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal, select

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.base import utcnow
from portal.models.supplies import (
    APPROVED,
    CLOSED,
    PARTLY_RECEIVED,
    PENDING_APPROVAL,
    RECEIVED,
    SENT,
    PurchaseOrder,
    Receipt,
    Supplier,
    SupplyCategory,
    SupplyItem,
)
from portal.services.reports import labels, rollups
from portal.services.reports.base import (
    DAYS,
    INT,
    MONEY,
    PERCENT,
    Chart,
    Column,
    Figure,
    Filter,
    Report,
    Section,
    Table,
    ratio,
    rounded,
)
from portal.services.reports.periods import Period
from portal.services.reports.sql import Buckets, as_text, days_between
from portal.services.supplies import units

TITLE = _l("Supplies and purchasing")
# An order counts as spend from its approval on (as the budget meters count it).
SPENT = (APPROVED, SENT, PARTLY_RECEIVED, RECEIVED, CLOSED)
ORDER_FROM_SUGGESTIONS = "supplies.order.create"
TOP = 10


def categories() -> list[tuple[int, str, Decimal | None]]:
    rows = db.session.execute(
        select(SupplyCategory.id, SupplyCategory.name, SupplyCategory.monthly_budget).order_by(
            SupplyCategory.name
        )
    )
    return [(i, name, budget) for i, name, budget in rows]


def spend_by_month(period: Period, category: int | None) -> dict[tuple[str, int | None], Decimal]:
    start, end = period.bounds()
    month = Buckets(period).month(PurchaseOrder.approved_at)
    conditions = [
        PurchaseOrder.status.in_(SPENT),
        PurchaseOrder.approved_at >= start,
        PurchaseOrder.approved_at < end,
    ]
    if category:
        conditions.append(PurchaseOrder.category_id == category)
    rows = db.session.execute(
        select(month, PurchaseOrder.category_id, func.sum(PurchaseOrder.total))
        .where(*conditions)
        .group_by(month, PurchaseOrder.category_id)
    )
    return {(as_text(m), c): Decimal(t or 0) for m, c, t in rows}


def stock_value(category: int | None) -> list[tuple[str, int, Decimal]]:
    """(category, active items, value at unit cost) now."""
    conditions = [SupplyItem.active.is_(True)]
    if category:
        conditions.append(SupplyItem.category_id == category)
    rows = db.session.execute(
        select(
            SupplyCategory.name,
            func.count(SupplyItem.id),
            func.sum(SupplyItem.on_hand * SupplyItem.unit_cost),
        )
        .join(SupplyCategory, SupplyCategory.id == SupplyItem.category_id)
        .where(*conditions)
        .group_by(SupplyCategory.id, SupplyCategory.name)
        .order_by(SupplyCategory.name)
    )
    return [(name, n, Decimal(v or 0)) for name, n, v in rows]


def _issued(period: Period) -> Any:
    """(item_id, used) in the period: the daily rollup for sealed days, raw movements after."""
    return rollups.issued_source(period)


def moving_items(
    period: Period, category: int | None, *, most: bool
) -> list[tuple[str, str, str, int]]:
    """The ``TOP`` active items issued most (or least, unused first) in the period."""
    issued = _issued(period)
    used = func.coalesce(issued.c.used, 0)
    conditions = [SupplyItem.active.is_(True)]
    if category:
        conditions.append(SupplyItem.category_id == category)
    stmt = (
        select(
            SupplyItem.name,
            SupplyItem.sku,
            SupplyItem.unit_kind,
            SupplyItem.unit,
            SupplyItem.unit_plural,
            used,
        )
        .select_from(SupplyItem)
        .where(*conditions)
        .limit(TOP)
    )
    if most:
        stmt = stmt.join(issued, issued.c.item_id == SupplyItem.id).order_by(
            used.desc(), SupplyItem.name
        )
    else:
        stmt = stmt.outerjoin(issued, issued.c.item_id == SupplyItem.id).order_by(
            used, SupplyItem.name
        )
    # The unit in words agreeing with the quantity (services.supplies.units: "3 caixas").
    return [
        (name, sku, units.unit_word(kind, one, many, int(n or 0)), int(n or 0))
        for name, sku, kind, one, many, n in db.session.execute(stmt)
    ]


def lead_times(period: Period, category: int | None) -> list[tuple[str, int, int, float | None]]:
    """(supplier, promised days, orders delivered, mean days from sending to first delivery)."""
    start, end = period.bounds()
    first = (
        select(Receipt.order_id.label("order_id"), func.min(Receipt.at).label("first_at"))
        .group_by(Receipt.order_id)
        .subquery()
    )
    conditions = [PurchaseOrder.sent_at >= start, PurchaseOrder.sent_at < end]
    if category:
        conditions.append(PurchaseOrder.category_id == category)
    rows = db.session.execute(
        select(
            Supplier.name,
            Supplier.lead_time_days,
            func.count(PurchaseOrder.id),
            func.avg(days_between(PurchaseOrder.sent_at, first.c.first_at)),
        )
        .select_from(PurchaseOrder)
        .join(first, first.c.order_id == PurchaseOrder.id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(*conditions)
        .group_by(Supplier.id, Supplier.name, Supplier.lead_time_days)
        .order_by(Supplier.name)
    )
    return [(name, promised, n, None if d is None else float(d)) for name, promised, n, d in rows]


def waiting_for_approval(
    category: int | None, now: datetime
) -> list[tuple[str, int, Decimal, float | None, float | None]]:
    """Orders pending approval now, per category: count, value, mean and longest wait (days)."""
    waited = days_between(PurchaseOrder.submitted_at, literal(now, PurchaseOrder.submitted_at.type))
    conditions = [PurchaseOrder.status == PENDING_APPROVAL]
    if category:
        conditions.append(PurchaseOrder.category_id == category)
    rows = db.session.execute(
        select(
            func.coalesce(SupplyCategory.name, ""),
            func.count(PurchaseOrder.id),
            func.sum(PurchaseOrder.total),
            func.avg(waited),
            func.max(waited),
        )
        .select_from(PurchaseOrder)
        .outerjoin(SupplyCategory, SupplyCategory.id == PurchaseOrder.category_id)
        .where(*conditions)
        .group_by(PurchaseOrder.category_id, SupplyCategory.name)
        .order_by(func.coalesce(SupplyCategory.name, ""))
    )
    return [
        (name, n, Decimal(t or 0), None if a is None else float(a), None if m is None else float(m))
        for name, n, t, a, m in rows
    ]


def approval_wait(period: Period, category: int | None) -> tuple[int, float | None]:
    """Orders approved in the period and their mean wait (days from submission)."""
    start, end = period.bounds()
    conditions = [
        PurchaseOrder.approved_at >= start,
        PurchaseOrder.approved_at < end,
        PurchaseOrder.submitted_at.is_not(None),
    ]
    if category:
        conditions.append(PurchaseOrder.category_id == category)
    n, mean = db.session.execute(
        select(
            func.count(PurchaseOrder.id),
            func.avg(days_between(PurchaseOrder.submitted_at, PurchaseOrder.approved_at)),
        ).where(*conditions)
    ).one()
    return int(n or 0), None if mean is None else float(mean)


def orders_from_suggestions(period: Period, category: int | None) -> tuple[int, Decimal, int]:
    """Orders created in the period from reorder suggestions (count, value) and all orders."""
    start, end = period.bounds()
    conditions = [PurchaseOrder.created_at >= start, PurchaseOrder.created_at < end]
    if category:
        conditions.append(PurchaseOrder.category_id == category)
    suggested = (
        select(AuditEntry.target_id)
        .where(
            AuditEntry.action == ORDER_FROM_SUGGESTIONS,
            AuditEntry.at >= start,
            AuditEntry.changes["from"].as_string() == "suggestions",
        )
        .scalar_subquery()
    )
    from_suggestions = PurchaseOrder.id.in_(suggested)
    n, value, total = db.session.execute(
        select(
            func.count(PurchaseOrder.id).filter(from_suggestions),
            func.sum(PurchaseOrder.total).filter(and_(from_suggestions)),
            func.count(PurchaseOrder.id),
        ).where(*conditions)
    ).one()
    return int(n or 0), Decimal(value or 0), int(total or 0)


# --- the report --------------------------------------------------------------------------------


def build(
    period: Period,
    previous: Period | None,
    *,
    category: int | None = None,
    only: str | None = None,
) -> Report:
    """The report, or only its section ``only`` (a chart, an export, a dashboard card)."""
    now = utcnow()
    makers: dict[str, Callable[[], Section]] = {
        "spend": lambda: _spend_section(
            period,
            categories(),
            category,
            spend_by_month(period, category),
            spend_by_month(previous, category) if previous else None,
        ),
        "stock": lambda: _stock_section(stock_value(category)),
        "moving": lambda: _moving_section(
            moving_items(period, category, most=True), moving_items(period, category, most=False)
        ),
        "lead": lambda: _lead_section(lead_times(period, category)),
        "approvals": lambda: _waiting_section(
            waiting_for_approval(category, now),
            approval_wait(period, category),
            approval_wait(previous, category) if previous else None,
        ),
        "suggestions": lambda: _suggestions_section(
            orders_from_suggestions(period, category),
            orders_from_suggestions(previous, category) if previous else None,
        ),
    }
    sections = [make() for key, make in makers.items() if only in (None, key)]
    filters = []
    if not only:
        choices = [(str(i), name) for i, name, _b in categories()]
        filters = [
            Filter("category", _l("Category"), choices, str(category or ""), _l("All categories"))
        ]
    return Report("supplies", TITLE, period, previous, sections, filters)


def _spend_section(period, cats, category, spend, before) -> Section:
    names = {i: name for i, name, _b in cats}
    shown = [c for c in cats if not category or c[0] == category]
    budget = sum((b for _i, _n, b in shown if b is not None), start=Decimal(0))
    months = period.month_keys()
    totals = [
        sum((v for (m, _c), v in spend.items() if m == key), start=Decimal(0)) for key in months
    ]
    rows = []
    for key in months:
        for (m, cid), value in sorted(spend.items(), key=lambda kv: names.get(kv[0][1]) or ""):
            if m != key:
                continue
            cat_budget = next((b for i, _n, b in cats if i == cid), None)
            rows.append(
                [
                    labels.month(key),
                    names.get(cid) or _("No category"),
                    value,
                    cat_budget,
                    ratio(value, cat_budget),
                ]
            )
    series = [(_("Spend"), [float(t) for t in totals])]
    if budget:
        series.append((_("Budget"), [float(budget)] * len(months)))
    total = sum(totals, start=Decimal(0))
    return Section(
        "spend",
        _l("Spend per month against the budget"),
        _(
            "Approved orders per calendar month and category, against the monthly budget "
            "(the categories' current budgets)."
        ),
        Table(
            [
                Column(_l("Month")),
                Column(_l("Category")),
                Column(_l("Spend"), MONEY),
                Column(_l("Monthly budget"), MONEY),
                Column(_l("Share of budget"), PERCENT),
            ],
            rows,
        ),
        Chart("bar", [labels.month(k) for k in months], series, MONEY) if rows else None,
        [
            Figure(
                _l("Spend"),
                total,
                MONEY,
                None if before is None else sum(before.values(), start=Decimal(0)),
            ),
            Figure(_l("Monthly budget"), budget, MONEY),
        ],
    )


def _stock_section(rows) -> Section:
    total = sum((v for _n, _c, v in rows), start=Decimal(0))
    return Section(
        "stock",
        _l("Stock value"),
        _("What the stock on hand is worth at unit cost, per category, now."),
        Table(
            [Column(_l("Category")), Column(_l("Items"), INT), Column(_l("Value"), MONEY)],
            [[name, n, value] for name, n, value in rows],
        ),
        Chart("hbar", [r[0] for r in rows], [(_("Value"), [float(r[2]) for r in rows])], MONEY)
        if rows
        else None,
        [Figure(_l("Stock value"), total, MONEY)],
    )


def _moving_section(most, least) -> Section:
    rows = [[_("Most used"), name, sku, n, unit] for name, sku, unit, n in most]
    rows += [[_("Least used"), name, sku, n, unit] for name, sku, unit, n in least]
    return Section(
        "moving",
        _l("Items that move most and least"),
        _("Quantities issued in the period: the ten items used most and the ten used least."),
        Table(
            [
                Column(_l("Group")),
                Column(_l("Item")),
                Column(_l("SKU")),
                Column(_l("Issued"), INT),
                Column(_l("Unit")),
            ],
            rows if most or least else [],
        ),
        Chart("hbar", [name for name, _s, _u, _n in most], [(_("Issued"), [n for *_x, n in most])])
        if most
        else None,
    )


def _lead_section(rows) -> Section:
    table_rows = [[name, n, promised, rounded(actual)] for name, promised, n, actual in rows]
    return Section(
        "lead",
        _l("Supplier lead times"),
        _(
            "Orders sent in the period and delivered: days promised by the supplier against "
            "the mean days from sending to the first delivery."
        ),
        Table(
            [
                Column(_l("Supplier")),
                Column(_l("Orders delivered"), INT),
                Column(_l("Days promised"), DAYS),
                Column(_l("Days taken"), DAYS),
            ],
            table_rows,
        ),
        Chart(
            "hbar",
            [r[0] for r in table_rows],
            [
                (_("Days promised"), [float(r[2]) for r in table_rows]),
                (_("Days taken"), [r[3] for r in table_rows]),
            ],
            DAYS,
        )
        if table_rows
        else None,
    )


def _waiting_section(rows, approved, before) -> Section:
    table_rows = [
        [name or _("No category"), n, value, rounded(mean), rounded(longest)]
        for name, n, value, mean, longest in rows
    ]
    return Section(
        "approvals",
        _l("Orders waiting for approval"),
        _(
            "Orders waiting for approval now, per category, and how long they have waited; "
            "the mean wait of the orders approved in the period."
        ),
        Table(
            [
                Column(_l("Category")),
                Column(_l("Waiting"), INT),
                Column(_l("Value"), MONEY),
                Column(_l("Mean days waiting"), DAYS),
                Column(_l("Longest wait (days)"), DAYS),
            ],
            table_rows,
        ),
        Chart("hbar", [r[0] for r in table_rows], [(_("Waiting"), [r[1] for r in table_rows])])
        if table_rows
        else None,
        [
            Figure(_l("Waiting now"), sum(r[1] for r in table_rows), INT),
            Figure(
                _l("Mean days to approval"),
                rounded(approved[1]),
                DAYS,
                None if before is None else rounded(before[1]),
            ),
        ],
    )


def _suggestions_section(current, before) -> Section:
    n, value, total = current
    return Section(
        "suggestions",
        _l("Orders from reorder suggestions"),
        _(
            "Orders created in the period from the reorder suggestions (instead of by hand): "
            "how many, their value and their share of all orders."
        ),
        Table(
            [
                Column(_l("Orders from suggestions"), INT),
                Column(_l("Value"), MONEY),
                Column(_l("All orders"), INT),
                Column(_l("Share"), PERCENT),
            ],
            [[n, value, total, ratio(n, total)]] if total else [],
        ),
        None,
        [
            Figure(_l("Orders from suggestions"), n, INT, None if before is None else before[0]),
            Figure(_l("Their value"), value, MONEY, None if before is None else before[1]),
        ],
    )
