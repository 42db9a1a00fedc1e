"""Meter readings: the counter never goes down (unless replaced), pages per month, and the cost
per page and per month for each machine and each department.

The cost of a machine over a window is what it consumed (consumables issued to it, at their
cost when issued) plus what the service contract charges per page (mono and colour prices times
the pages printed).  Cost per page = that total / pages printed; cost per month = that total /
the window's months.  Pages are the ``pages_*`` stored on each reading (pages since the previous
reading), summed over the readings dated inside the window.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Date, Integer, bindparam, func, or_, select

from portal.errors import InvalidTransition, ValidationError
from portal.extensions import db
from portal.models import Department, User
from portal.models.equipment import (
    METERED_TYPES,
    RETIRED,
    Asset,
    ConsumableUse,
    Reading,
)
from portal.pagination import RowPage, paged, read_rows, row_page
from portal.services import audit
from portal.services.equipment.common import parse_date, parse_int, record_event, today_local

ZERO = Decimal("0")
CENT = Decimal("0.01")
PER_PAGE = Decimal("0.0001")


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def last_reading(asset_id: int) -> Reading | None:
    return db.session.scalar(
        select(Reading)
        .where(Reading.asset_id == asset_id)
        .order_by(Reading.read_on.desc(), Reading.id.desc())
        .limit(1)
    )


def add_reading(
    asset: Asset,
    *,
    actor: User,
    read_on: Any,
    mono: Any,
    colour: Any = None,
    counter_replaced: bool = False,
) -> Reading:
    """Record the counters shown on the machine; refuse one lower than the last."""
    if asset.type not in METERED_TYPES:
        raise InvalidTransition(_("This asset has no page counter."))
    if asset.status == RETIRED:
        raise InvalidTransition(_("This asset is retired."))
    day = parse_date(read_on, "read_on") or today_local()
    if day > today_local():
        raise ValidationError(_("The reading cannot be in the future."), field="read_on")
    mono_n = parse_int(mono, "mono", required=True) or 0
    colour_n = parse_int(colour, "colour") or 0
    previous = last_reading(asset.id)
    pages_mono = pages_colour = 0
    if previous is not None:
        if day < previous.read_on:
            raise ValidationError(
                _(
                    "A later reading exists (%(day)s); enter readings in date order.",
                    day=previous.read_on.strftime("%d/%m/%Y"),
                ),
                field="read_on",
            )
        if counter_replaced:
            pages_mono, pages_colour = mono_n, colour_n
        else:
            if mono_n < previous.mono:
                raise ValidationError(
                    _(
                        "The counter cannot go down: the last reading was %(n)s. "
                        "Tick “counter replaced” if the counter was replaced.",
                        n=previous.mono,
                    ),
                    field="mono",
                )
            if colour_n < previous.colour:
                raise ValidationError(
                    _(
                        "The counter cannot go down: the last reading was %(n)s. "
                        "Tick “counter replaced” if the counter was replaced.",
                        n=previous.colour,
                    ),
                    field="colour",
                )
            pages_mono, pages_colour = mono_n - previous.mono, colour_n - previous.colour
    reading = Reading(
        asset_id=asset.id,
        read_on=day,
        mono=mono_n,
        colour=colour_n,
        pages_mono=pages_mono,
        pages_colour=pages_colour,
        counter_replaced=bool(counter_replaced),
        actor_id=actor.id,
    )
    db.session.add(reading)
    db.session.flush()
    audit.record(
        actor,
        "equipment.reading.added",
        asset,
        {"mono": mono_n, "colour": colour_n, "replaced": bool(counter_replaced)},
    )
    record_event(
        asset,
        "reading",
        f"{mono_n} / {colour_n}",
        actor=actor,
        details={"pages": pages_mono + pages_colour},
    )
    return reading


@lru_cache(maxsize=1)
def _recent_statement() -> Any:
    return (
        select(
            Reading.id,
            Reading.read_on,
            Reading.mono,
            Reading.colour,
            Reading.pages_mono,
            Reading.pages_colour,
            Reading.counter_replaced,
        )
        .where(Reading.asset_id == bindparam("asset_id"))
        .order_by(Reading.read_on.desc(), Reading.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def recent_readings(asset_id: int, limit: int = 12) -> list[Any]:
    """The latest readings, newest first: plain rows (``read_on, mono, colour, pages_mono,
    pages_colour, counter_replaced``), from a statement built once."""
    return list(read_rows(_recent_statement(), {"asset_id": asset_id, "limit": limit}))


@dataclass(frozen=True)
class MonthPages:
    month: date
    mono: int
    colour: int

    @property
    def total(self) -> int:
        return self.mono + self.colour


@lru_cache(maxsize=1)
def _month_statement() -> Any:
    return select(Reading.read_on, Reading.pages_mono, Reading.pages_colour).where(
        Reading.asset_id == bindparam("asset_id"),
        Reading.read_on >= bindparam("start", type_=Date),
        Reading.read_on <= bindparam("end", type_=Date),
    )


def pages_per_month(
    asset_id: int, *, months: int = 12, today: date | None = None
) -> list[MonthPages]:
    """Pages printed in each of the last ``months`` months (the reading's month): one query."""
    today = today or today_local()
    start = month_start(today, months - 1)
    buckets: OrderedDict[date, list[int]] = OrderedDict(
        (month_start(today, back), [0, 0]) for back in range(months - 1, -1, -1)
    )
    rows = read_rows(_month_statement(), {"asset_id": asset_id, "start": start, "end": today})
    for read_on, mono, colour in rows:
        bucket = buckets[month_start(read_on)]
        bucket[0] += mono
        bucket[1] += colour
    return [MonthPages(m, v[0], v[1]) for m, v in buckets.items()]


@lru_cache(maxsize=1)
def _overview_statement() -> Any:
    """The readings of the chart's window and the latest ones, in one read (newest first)."""
    latest = (
        select(Reading.id)
        .where(Reading.asset_id == bindparam("asset_id"))
        .order_by(Reading.read_on.desc(), Reading.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )
    return (
        select(
            Reading.id,
            Reading.read_on,
            Reading.mono,
            Reading.colour,
            Reading.pages_mono,
            Reading.pages_colour,
            Reading.counter_replaced,
        )
        .where(
            Reading.asset_id == bindparam("asset_id"),
            or_(Reading.read_on >= bindparam("start", type_=Date), Reading.id.in_(latest)),
        )
        .order_by(Reading.read_on.desc(), Reading.id.desc())
    )


def readings_overview(
    asset_id: int, *, months: int = 12, recent: int = 12, today: date | None = None
) -> tuple[list[MonthPages], list[Any]]:
    """``pages_per_month`` and ``recent_readings`` together, from one query: the window's
    readings plus the latest ``recent`` (which the window usually holds already)."""
    today = today or today_local()
    start = month_start(today, months - 1)
    buckets: OrderedDict[date, list[int]] = OrderedDict(
        (month_start(today, back), [0, 0]) for back in range(months - 1, -1, -1)
    )
    rows = list(
        read_rows(_overview_statement(), {"asset_id": asset_id, "start": start, "limit": recent})
    )
    for row in rows:
        if start <= row.read_on <= today:
            bucket = buckets[month_start(row.read_on)]
            bucket[0] += row.pages_mono
            bucket[1] += row.pages_colour
    return [MonthPages(m, v[0], v[1]) for m, v in buckets.items()], rows[:recent]


@dataclass(frozen=True)
class Cost:
    """A machine's (or a department's) pages and costs over a window of ``months`` months."""

    pages_mono: int
    pages_colour: int
    consumables: Decimal
    contract: Decimal
    months: int

    @property
    def pages(self) -> int:
        return self.pages_mono + self.pages_colour

    @property
    def total(self) -> Decimal:
        return (self.consumables + self.contract).quantize(CENT, ROUND_HALF_UP)

    @property
    def per_page(self) -> Decimal | None:
        if not self.pages:
            return None
        return ((self.consumables + self.contract) / self.pages).quantize(PER_PAGE, ROUND_HALF_UP)

    @property
    def per_month(self) -> Decimal:
        return (self.total / max(1, self.months)).quantize(CENT, ROUND_HALF_UP)


def _window(months: int, today: date | None) -> tuple[date, date]:
    today = today or today_local()
    return month_start(today, months - 1), today


def _contract(pages_mono: int, pages_colour: int, price_mono: Any, price_colour: Any) -> Decimal:
    return Decimal(pages_mono) * Decimal(price_mono or 0) + Decimal(pages_colour) * Decimal(
        price_colour or 0
    )


@lru_cache(maxsize=1)
def _cost_statements() -> tuple[Any, Any, Any]:
    """The three grouped reads of :func:`costs_for`, built once (values are bound parameters)."""
    ids, start, end = (
        bindparam("ids", expanding=True),
        bindparam("start", type_=Date),
        bindparam("end", type_=Date),
    )
    pages = (
        select(Reading.asset_id, func.sum(Reading.pages_mono), func.sum(Reading.pages_colour))
        .where(Reading.asset_id.in_(ids), Reading.read_on >= start, Reading.read_on <= end)
        .group_by(Reading.asset_id)
    )
    consumed = (
        select(ConsumableUse.asset_id, func.sum(ConsumableUse.quantity * ConsumableUse.unit_cost))
        .where(
            ConsumableUse.asset_id.in_(ids),
            ConsumableUse.issued_on >= start,
            ConsumableUse.issued_on <= end,
        )
        .group_by(ConsumableUse.asset_id)
    )
    prices = select(Asset.id, Asset.price_mono, Asset.price_colour).where(Asset.id.in_(ids))
    return pages, consumed, prices


def costs_for(
    asset_ids: list[int], *, months: int = 12, today: date | None = None
) -> dict[int, Cost]:
    """Pages and costs of each machine over the last ``months`` months: three queries."""
    if not asset_ids:
        return {}
    start, end = _window(months, today)
    params = {"ids": list(asset_ids), "start": start, "end": end}
    pages_stmt, consumed_stmt, prices_stmt = _cost_statements()
    pages = {a: (int(m or 0), int(c or 0)) for a, m, c in read_rows(pages_stmt, params)}
    consumed = {a: Decimal(v or 0) for a, v in read_rows(consumed_stmt, params)}
    prices = {a: (pm, pc) for a, pm, pc in read_rows(prices_stmt, {"ids": params["ids"]})}
    out: dict[int, Cost] = {}
    for asset_id in asset_ids:
        mono, colour = pages.get(asset_id, (0, 0))
        price_mono, price_colour = prices.get(asset_id, (None, None))
        out[asset_id] = Cost(
            pages_mono=mono,
            pages_colour=colour,
            consumables=consumed.get(asset_id, ZERO),
            contract=_contract(mono, colour, price_mono, price_colour),
            months=months,
        )
    return out


def machine_cost(asset: Asset, months: list[MonthPages]) -> Cost:
    """One machine's cost over the months of ``pages_per_month`` (the same window as
    ``costs_for``): the pages are already read, so only the consumables are summed (one query)."""
    if not months:
        return costs_for([asset.id])[asset.id]
    start, end = months[0].month, today_local()
    mono = sum(m.mono for m in months)
    colour = sum(m.colour for m in months)
    consumed = db.session.scalar(
        select(func.sum(ConsumableUse.quantity * ConsumableUse.unit_cost)).where(
            ConsumableUse.asset_id == asset.id,
            ConsumableUse.issued_on >= start,
            ConsumableUse.issued_on <= end,
        )
    )
    return Cost(
        pages_mono=mono,
        pages_colour=colour,
        consumables=Decimal(consumed or 0),
        contract=_contract(mono, colour, asset.price_mono, asset.price_colour),
        months=len(months),
    )


@dataclass(frozen=True)
class CostRow:
    id: int
    asset_tag: str
    make: str
    model: str
    department: str | None
    cost: Cost


@lru_cache(maxsize=1)
def _cost_page_statements() -> tuple[Any, Any]:
    metered = (Asset.type.in_(METERED_TYPES), Asset.status != RETIRED)
    stmt = (
        select(Asset.id, Asset.asset_tag, Asset.make, Asset.model, Department.name)
        .select_from(Asset)
        .outerjoin(Department, Department.id == Asset.department_id)
        .where(*metered)
        .order_by(Asset.asset_tag, Asset.id)
    )
    return paged(stmt), select(func.count(Asset.id)).where(*metered)


def cost_page(*, months: int = 12, page: int, per_page: int) -> RowPage:
    """The cost-per-page report, machine by machine: a page of machines, then their costs
    (statements built once)."""
    stmt, count = _cost_page_statements()

    def build(rows: list[Any]) -> list[CostRow]:
        costs = costs_for([r[0] for r in rows], months=months)
        return [CostRow(r[0], r[1], r[2], r[3], r[4], costs[r[0]]) for r in rows]

    return row_page(stmt, count, build, page=page, per_page=per_page)


@dataclass(frozen=True)
class DepartmentCost:
    department: str | None
    machines: int
    cost: Cost


def costs_by_department(*, months: int = 12, today: date | None = None) -> list[DepartmentCost]:
    """Pages and costs per department (machines by their department): two queries."""
    start, end = _window(months, today)
    metered = (Asset.type.in_(METERED_TYPES), Asset.status != RETIRED)
    page_rows = db.session.execute(
        select(
            Asset.department_id,
            func.count(func.distinct(Asset.id)),
            func.coalesce(func.sum(Reading.pages_mono), 0),
            func.coalesce(func.sum(Reading.pages_colour), 0),
            func.coalesce(func.sum(Reading.pages_mono * func.coalesce(Asset.price_mono, 0)), 0),
            func.coalesce(func.sum(Reading.pages_colour * func.coalesce(Asset.price_colour, 0)), 0),
        )
        .select_from(Asset)
        .outerjoin(
            Reading,
            (Reading.asset_id == Asset.id) & (Reading.read_on >= start) & (Reading.read_on <= end),
        )
        .where(*metered)
        .group_by(Asset.department_id)
    ).all()
    consumed = {
        d: Decimal(v or 0)
        for d, v in db.session.execute(
            select(
                Asset.department_id,
                func.sum(ConsumableUse.quantity * ConsumableUse.unit_cost),
            )
            .join(Asset, Asset.id == ConsumableUse.asset_id)
            .where(*metered, ConsumableUse.issued_on >= start, ConsumableUse.issued_on <= end)
            .group_by(Asset.department_id)
        )
    }
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    out = [
        DepartmentCost(
            names.get(dept) if dept is not None else None,
            int(n),
            Cost(
                pages_mono=int(pm or 0),
                pages_colour=int(pc or 0),
                consumables=consumed.get(dept, ZERO),
                contract=Decimal(cm or 0) + Decimal(cc or 0),
                months=months,
            ),
        )
        for dept, n, pm, pc, cm, cc in page_rows
    ]
    return sorted(out, key=lambda d: (d.department is None, d.department or ""))


def due_for_reading(today: date | None = None) -> list[Any]:
    """Metered machines in service with no reading yet this month: plain rows."""
    start = month_start(today or today_local())
    latest = (
        select(Reading.asset_id, func.max(Reading.read_on).label("last_on"))
        .group_by(Reading.asset_id)
        .subquery()
    )
    return list(
        db.session.execute(
            select(Asset.id, Asset.asset_tag, Asset.make, Asset.model, latest.c.last_on)
            .outerjoin(latest, latest.c.asset_id == Asset.id)
            .where(
                Asset.type.in_(METERED_TYPES),
                Asset.status != RETIRED,
                (latest.c.last_on.is_(None)) | (latest.c.last_on < start),
            )
            .order_by(Asset.asset_tag)
        )
    )


def current_counter(asset_id: int) -> int | None:
    """The machine's total counter (mono + colour) at its last reading."""
    reading = last_reading(asset_id)
    return None if reading is None else reading.mono + reading.colour
