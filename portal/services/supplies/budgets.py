"""Monthly budgets per category: spend this month (approved orders onwards) and setting a budget."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select

from portal.extensions import db
from portal.models import User
from portal.models.supplies import (
    APPROVED,
    CLOSED,
    PARTLY_RECEIVED,
    RECEIVED,
    SENT,
    PurchaseOrder,
    SupplyCategory,
    local_today,
)
from portal.pagination import read_rows
from portal.services import audit
from portal.services.supplies.catalogue import list_categories
from portal.services.supplies.common import _decimal, _zone

SPENT_STATUSES = (APPROVED, SENT, PARTLY_RECEIVED, RECEIVED, CLOSED)


def month_bounds(today: date | None = None) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the local calendar month containing ``today``."""
    today = today or local_today()
    start = date(today.year, today.month, 1)
    end = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    zone = _zone()
    return (
        datetime.combine(start, time(), zone).astimezone(UTC),
        datetime.combine(end, time(), zone).astimezone(UTC),
    )


@lru_cache(maxsize=1)
def _budget_statement():
    return (
        select(PurchaseOrder.category_id, func.sum(PurchaseOrder.total))
        .where(
            PurchaseOrder.category_id.in_(bindparam("ids", expanding=True)),
            PurchaseOrder.status.in_(SPENT_STATUSES),
            PurchaseOrder.approved_at >= bindparam("start"),
            PurchaseOrder.approved_at < bindparam("end"),
        )
        .group_by(PurchaseOrder.category_id)
    )


def budget_used(category_ids: Iterable[int], today: date | None = None) -> dict[int, Decimal]:
    """Spend this month per category (approved orders onwards), in one grouped query that
    reads only the index (category_id, approved_at, status, total)."""
    ids = sorted({c for c in category_ids if c is not None})
    if not ids:
        return {}
    start, end = month_bounds(today)
    rows = read_rows(_budget_statement(), {"ids": ids, "start": start, "end": end})
    return {cid: Decimal(total or 0) for cid, total in rows}


def spend_by_category(today: date | None = None) -> list[tuple[SupplyCategory, Decimal]]:
    cats = list_categories()
    used = budget_used([c.id for c in cats], today)
    return [(c, used.get(c.id, Decimal("0"))) for c in cats]


def set_budget(category: SupplyCategory, *, amount: Any, actor: User) -> None:
    value = _decimal(amount, "amount", required=False)
    changes = audit.diff(category, ["monthly_budget"], {"monthly_budget": value})
    category.monthly_budget = value
    db.session.flush()
    if changes:
        audit.record(actor, "supplies.budget.update", category, changes)
