"""Stock counts: snapshot what should be on the shelf, record what was found, post the variances
to the ledger in one transaction.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.errors import Conflict, InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.supplies import (
    ADJUSTMENT,
    StockCount,
    StockCountLine,
    SupplyCategory,
    SupplyItem,
)
from portal.routing import parse_int
from portal.services import audit
from portal.services.supplies import units
from portal.services.supplies.common import _int
from portal.services.supplies.stock import _move


def list_counts():
    return select(StockCount).order_by(StockCount.started_at.desc(), StockCount.id.desc())


def get_count_or_404(count_id: int) -> StockCount:
    count = db.session.get(StockCount, count_id)
    if count is None:
        raise NotFound(_("This stock count does not exist."))
    return count


def start_count(*, actor: User, category_id: int | None = None) -> StockCount:
    """Snapshot on-hand of every active item (or one category) into a new count."""
    if category_id and db.session.get(SupplyCategory, category_id) is None:
        raise ValidationError(_("Choose a category."), field="category_id")
    count = StockCount(category_id=category_id or None, started_by_id=actor.id)
    db.session.add(count)
    db.session.flush()
    stmt = select(SupplyItem.id, SupplyItem.on_hand).where(SupplyItem.active.is_(True))
    if category_id:
        stmt = stmt.where(SupplyItem.category_id == category_id)
    rows = [
        {"count_id": count.id, "item_id": i, "expected": q, "counted": None}
        for i, q in db.session.execute(stmt)
    ]
    if not rows:
        raise ValidationError(_("There are no active items to count."), field="category_id")
    db.session.execute(StockCountLine.__table__.insert(), rows)
    audit.record(actor, "supplies.count.start", count, {"items": len(rows)})
    return count


def count_lines(count: StockCount) -> list[StockCountLine]:
    return list(
        db.session.scalars(
            select(StockCountLine)
            .join(SupplyItem, SupplyItem.id == StockCountLine.item_id)
            .where(StockCountLine.count_id == count.id)
            .order_by(SupplyItem.location, SupplyItem.name)
        )
    )


def get_count_line_or_404(count: StockCount, line_id: int) -> StockCountLine:
    line = db.session.get(StockCountLine, line_id)
    if line is None or line.count_id != count.id:
        raise NotFound(_("This line does not exist."))
    return line


def set_counted(line: StockCountLine, *, counted: Any, actor: User) -> StockCountLine:
    """Record what was found on the shelf; every change is audited, old → new (a count decides
    the stock adjustments, so who typed which number must be traceable)."""
    if line.count.status != "open":
        raise InvalidTransition(_("This count was already posted."))
    text = str(counted if counted is not None else "").strip()
    new = None
    if text != "":
        number = parse_int(text, minimum=None, maximum=None)
        if number is None:
            raise ValidationError(
                _(
                    "Enter the number of %(unit)s found, e.g. 12.",
                    unit=units.item_unit_word(line.item, 2),
                ),
                field="counted",
            )
        if number < 0:
            raise ValidationError(_("A count cannot be negative."), field="counted")
        new = _int(number, "counted")
    changes = audit.diff(line, ["counted"], {"counted": new})
    if changes:
        line.counted = new
        db.session.flush()
        audit.record(actor, "supplies.count.line", line.count, {"item": line.item.sku, **changes})
    return line


def count_progress(count: StockCount) -> tuple[int, int]:
    """(lines counted, lines in the count), in one query."""
    counted, total = db.session.execute(
        select(
            func.count(StockCountLine.counted),
            func.count(StockCountLine.id),
        ).where(StockCountLine.count_id == count.id)
    ).one()
    return int(counted or 0), int(total or 0)


def post_count(count: StockCount, *, actor: User) -> int:
    """Write every variance to the ledger in one transaction; return how many adjustments."""
    if count.status != "open":
        raise InvalidTransition(_("This count was already posted."))
    lines = count_lines(count)
    uncounted = [ln for ln in lines if ln.counted is None]
    if uncounted:
        raise ValidationError(
            _("%(n)d item(s) have no counted quantity yet.", n=len(uncounted)), field="counted"
        )
    claimed = db.session.execute(
        update(StockCount)
        .where(StockCount.id == count.id, StockCount.status == "open")
        .values(status="posted", posted_at=utcnow(), posted_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("This count was posted by someone else. Reload to see it."))
    adjustments = 0
    for line in lines:
        variance = line.variance or 0
        if variance:
            _move(
                line.item,
                variance,
                ADJUSTMENT,
                actor=actor,
                reason=_("Stock count #%(id)d", id=count.id),
                count_id=count.id,
            )
            adjustments += 1
    db.session.refresh(count)
    audit.record(actor, "supplies.count.post", count, {"adjustments": adjustments})
    return adjustments


def open_counts() -> int:
    return (
        db.session.scalar(select(func.count(StockCount.id)).where(StockCount.status == "open")) or 0
    )
