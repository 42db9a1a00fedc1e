"""Daily rollups: per-day aggregates of the biggest tables, for the days that can no longer change.

``report_call_rollup`` holds calls per local day, hour and recipient (void entries excluded);
``report_stock_rollup`` the quantity issued per local day and item.  A local day is *sealed*
once nothing can change it any more: calls may be corrected or voided for 24 hours after they
are logged, so the day before yesterday is the last sealed day (stock movements are only ever
appended, at the time they are made).  ``report_rollup_state`` records the last day each rollup
holds; the reports read the rollup up to that day and the raw rows after it, so a figure is the
same whether the periodic job has run or not (``figures_union`` / the ``*_source`` helpers).

``refresh()`` (the periodic job) adds the sealed days not yet rolled up; ``rebuild()`` (``flask
reports rebuild-rollups``) recomputes every day from the raw rows.  Both are idempotent: the
days they write are deleted first, in the same transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app, g
from sqlalchemy import (
    Date,
    Integer,
    String,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    type_coerce,
    union_all,
)

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.frontdesk import Call
from portal.models.reports import CallRollup, RollupState, StockRollup
from portal.models.supplies import ISSUE, StockMovement
from portal.services.reports.periods import Period, local_today
from portal.services.reports.sql import Buckets, dialect

CALLS, STOCK = "calls", "stock"
KINDS = (CALLS, STOCK)
# Calls can be corrected or voided for 24 hours: a day is final two local days later.
SEALED_AFTER_DAYS = 2


def last_sealed_day(today: date | None = None) -> date:
    return (today or local_today()) - timedelta(days=SEALED_AFTER_DAYS)


# --- building ----------------------------------------------------------------------------------


def _local_day(b: Buckets, col: Any) -> Any:
    """The local day of a timestamp, as something a Date column accepts on both databases."""
    if b.pg:
        return cast(func.timezone(b.zone, col), Date)
    return b.day(col)


def _first_day(kind: str) -> date | None:
    col = Call.created_at if kind == CALLS else StockMovement.at
    first = db.session.scalar(select(func.min(col)))
    if first is None:
        return None
    period = Period(date(2000, 1, 1), date(2000, 1, 2))
    day = db.session.scalar(select(Buckets(period).day(literal(first, col.type))))
    return date.fromisoformat(str(day)[:10])


def _fill(kind: str, start: date, through: date) -> None:
    """Replace the rollup rows of ``start`` … ``through`` (local days) from the raw rows."""
    period = Period(start, through + timedelta(days=1))
    lo, hi = period.bounds()
    b = Buckets(period)
    if kind == CALLS:
        db.session.execute(delete(CallRollup).where(CallRollup.day >= start))
        day, hour = _local_day(b, Call.created_at), b.hour(Call.created_at)
        rows = (
            select(day, hour, Call.recipient_id, func.count())
            .where(Call.created_at >= lo, Call.created_at < hi, Call.voided_at.is_(None))
            .group_by(day, hour, Call.recipient_id)
        )
        db.session.execute(
            insert(CallRollup).from_select(["day", "hour", "recipient_id", "calls"], rows)
        )
    else:
        db.session.execute(delete(StockRollup).where(StockRollup.day >= start))
        day = _local_day(b, StockMovement.at)
        rows = (
            select(day, StockMovement.item_id, func.sum(-StockMovement.quantity))
            .where(StockMovement.kind == ISSUE, StockMovement.at >= lo, StockMovement.at < hi)
            .group_by(day, StockMovement.item_id)
        )
        db.session.execute(insert(StockRollup).from_select(["day", "item_id", "issued"], rows))


def _set_state(kind: str, through: date) -> None:
    state = db.session.get(RollupState, kind)
    if state is None:
        db.session.add(RollupState(kind=kind, through=through, built_at=utcnow()))
    else:
        state.through, state.built_at = through, utcnow()
    db.session.flush()
    g.pop("report_rollups", None)


def rebuild(today: date | None = None) -> int:
    """Recompute every rollup from the raw rows up to the last sealed day; flush.  Returns the
    number of days rolled up (over all kinds)."""
    through = last_sealed_day(today)
    days = 0
    for kind in KINDS:
        first = _first_day(kind) or through + timedelta(days=1)
        _fill(kind, min(first, through + timedelta(days=1)), through)
        _set_state(kind, through)
        days += max((through - first).days + 1, 0)
    return days


def refresh(today: date | None = None) -> int:
    """Roll up the sealed days not yet in the rollups (the periodic job); flush.  Returns the
    number of days added (over all kinds)."""
    through = last_sealed_day(today)
    added = 0
    for kind in KINDS:
        state = db.session.get(RollupState, kind)
        if state is None:
            first = _first_day(kind) or through + timedelta(days=1)
        else:
            first = state.through + timedelta(days=1)
        if first > through:
            continue
        _fill(kind, first, through)
        _set_state(kind, through)
        added += (through - first).days + 1
    return added


# --- reading -----------------------------------------------------------------------------------


def rolled_through(kind: str) -> date | None:
    """The last local day the rollup ``kind`` holds (None: read the raw rows only).  One query
    per request for all kinds."""
    if not current_app.config.get("REPORTS_USE_ROLLUPS", True):
        return None
    if "report_rollups" not in g:
        rows = db.session.execute(select(RollupState.kind, RollupState.through))
        g.report_rollups = {kind: through for kind, through in rows}
    value = g.report_rollups.get(kind)
    if isinstance(value, str):  # pragma: no cover - a driver handing back text
        value = date.fromisoformat(value)
    return value


def split(period: Period, kind: str) -> tuple[Period | None, Period | None]:
    """``period`` as (days read from the rollup, days read from the raw rows)."""
    through = rolled_through(kind)
    if through is None or through < period.start:
        return None, period
    cut = min(through + timedelta(days=1), period.end)
    rolled = Period(period.start, cut)
    raw = Period(cut, period.end) if cut < period.end else None
    return rolled, raw


def day_text(col: Any) -> Any:
    """A Date column as ``YYYY-MM-DD`` text (to sit beside the raw buckets in a UNION)."""
    if dialect() == "postgresql":
        return func.to_char(col, "YYYY-MM-DD")
    return type_coerce(col, String)


def weekday_of(col: Any) -> Any:
    """Day of the week of a Date column, 0 = Monday … 6 = Sunday."""
    if dialect() == "postgresql":
        return cast(func.extract("isodow", col), Integer) - 1
    return (cast(func.strftime("%w", col), Integer) + 6) % 7


def calls_source(period: Period, person: int | None, kind: str) -> Any:
    """A subquery of (bucket…, n) rows for calls in ``period``: ``kind`` "day" gives (day, n),
    "hour" gives (weekday, hour, n); rollup rows for sealed days, raw rows after them."""
    rolled, raw = split(period, CALLS)
    parts = []
    if rolled is not None:
        conditions = [CallRollup.day >= rolled.start, CallRollup.day < rolled.end]
        if person:
            conditions.append(CallRollup.recipient_id == person)
        if kind == "day":
            cols: list[Any] = [day_text(CallRollup.day).label("day")]
        else:
            cols = [weekday_of(CallRollup.day).label("weekday"), CallRollup.hour.label("hour")]
        parts.append(select(*cols, CallRollup.calls.label("n")).where(*conditions))
    if raw is not None:
        b = Buckets(raw)
        start, end = raw.bounds()
        conditions = [Call.created_at >= start, Call.created_at < end, Call.voided_at.is_(None)]
        if person:
            conditions.append(Call.recipient_id == person)
        if kind == "day":
            cols = [b.day(Call.created_at).label("day")]
        else:
            cols = [
                b.weekday(Call.created_at).label("weekday"),
                b.hour(Call.created_at).label("hour"),
            ]
        parts.append(select(*cols, literal(1).label("n")).where(*conditions))
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def issued_source(period: Period) -> Any:
    """A subquery of (item_id, used): quantities issued per item in ``period``."""
    rolled, raw = split(period, STOCK)
    parts = []
    if rolled is not None:
        parts.append(
            select(StockRollup.item_id.label("item_id"), StockRollup.issued.label("used")).where(
                StockRollup.day >= rolled.start, StockRollup.day < rolled.end
            )
        )
    if raw is not None:
        start, end = raw.bounds()
        parts.append(
            select(
                StockMovement.item_id.label("item_id"), (-StockMovement.quantity).label("used")
            ).where(StockMovement.kind == ISSUE, StockMovement.at >= start, StockMovement.at < end)
        )
    source = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    return (
        select(source.c.item_id.label("item_id"), func.sum(source.c.used).label("used"))
        .group_by(source.c.item_id)
        .subquery()
    )
