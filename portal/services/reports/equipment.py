"""Equipment report: pages, cost and downtime per machine and per department, and repairs by
vendor with their response time against the contract.

Pages come from the meter readings (each stores the pages since the previous one), costs from
the contract's price per page, closed repairs and consumables fitted; downtime from the
downtime periods (an open one counts until now).  One grouped query per source.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.equipment import Asset, ConsumableUse, Downtime, Reading, Repair
from portal.models.supplies import Supplier
from portal.models.users import Department
from portal.services.reports.base import (
    HOURS,
    INT,
    MONEY,
    PERCENT,
    PRICE,
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
from portal.services.reports.sql import days_between

TITLE = _l("Equipment")
TOP = 10
PAGE_ROWS = 50  # machines listed on the page; the export holds every one


def _sums(stmt: Any) -> dict[int, tuple[Any, ...]]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(stmt)}


def machine_figures(period: Period, now: datetime) -> dict[int, dict[str, Any]]:
    """Per asset: pages (mono, colour), repairs and their cost, consumables cost, downtime."""
    start, end = period.bounds()
    pages = _sums(
        select(Reading.asset_id, func.sum(Reading.pages_mono), func.sum(Reading.pages_colour))
        .where(Reading.read_on >= period.start, Reading.read_on < period.end)
        .group_by(Reading.asset_id)
    )
    repairs = _sums(
        select(Repair.asset_id, func.count(), func.sum(Repair.cost))
        .where(Repair.closed_at >= start, Repair.closed_at < end)
        .group_by(Repair.asset_id)
    )
    consumables = _sums(
        select(ConsumableUse.asset_id, func.sum(ConsumableUse.quantity * ConsumableUse.unit_cost))
        .where(ConsumableUse.issued_on >= period.start, ConsumableUse.issued_on < period.end)
        .group_by(ConsumableUse.asset_id)
    )
    until_now = days_between(Downtime.started_at, func.coalesce(Downtime.ended_at, now)) * 1440
    downtime = _sums(
        select(Downtime.asset_id, func.sum(func.coalesce(Downtime.minutes, until_now)))
        .where(Downtime.started_at >= start, Downtime.started_at < end)
        .group_by(Downtime.asset_id)
    )
    ids = set(pages) | set(repairs) | set(consumables) | set(downtime)
    return {
        i: {
            "mono": int((pages.get(i) or (0, 0))[0] or 0),
            "colour": int((pages.get(i) or (0, 0))[1] or 0),
            "repairs": int((repairs.get(i) or (0, 0))[0] or 0),
            "repair_cost": Decimal((repairs.get(i) or (0, 0))[1] or 0),
            "consumables": Decimal((consumables.get(i) or (0,))[0] or 0),
            "minutes": float((downtime.get(i) or (0,))[0] or 0),
        }
        for i in ids
    }


def assets(ids: set[int], department: int | None) -> list[tuple[Any, ...]]:
    """(id, tag, make, model, department, price mono, price colour) of ``ids``."""
    if not ids:
        return []
    stmt = (
        select(
            Asset.id,
            Asset.asset_tag,
            Asset.make,
            Asset.model,
            func.coalesce(Department.name, ""),
            Asset.price_mono,
            Asset.price_colour,
        )
        .outerjoin(Department, Department.id == Asset.department_id)
        .where(Asset.id.in_(sorted(ids)))
        .order_by(Asset.asset_tag)
    )
    if department:
        stmt = stmt.where(Asset.department_id == department)
    return [tuple(row) for row in db.session.execute(stmt)]


def repairs_by_vendor(
    period: Period, department: int | None
) -> list[tuple[str, int, float | None, float | None, int, int, Decimal]]:
    """(vendor, repairs, mean response hours, contract hours, answered in time, with a
    deadline, cost) for repairs requested in the period."""
    start, end = period.bounds()
    answered = func.coalesce(Repair.promised_visit_at, Repair.closed_at)
    conditions = [Repair.requested_at >= start, Repair.requested_at < end]
    if department:
        conditions.append(Asset.department_id == department)
    rows = db.session.execute(
        select(
            func.coalesce(Supplier.name, ""),
            func.count(Repair.id),
            func.avg(days_between(Repair.requested_at, answered)),
            func.avg(Asset.response_hours),
            func.sum(case((answered <= Repair.response_due_at, 1), else_=0)),
            func.count(Repair.response_due_at),
            func.sum(Repair.cost),
        )
        .select_from(Repair)
        .join(Asset, Asset.id == Repair.asset_id)
        .outerjoin(Supplier, Supplier.id == Asset.vendor_id)
        .where(*conditions)
        .group_by(Asset.vendor_id, Supplier.name)
        .order_by(func.coalesce(Supplier.name, ""))
    )
    return [
        (
            name,
            n,
            None if d is None else float(d) * 24,
            None if h is None else float(h),
            int(ok or 0),
            int(due or 0),
            Decimal(cost or 0),
        )
        for name, n, d, h, ok, due, cost in rows
    ]


def department_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Department.id, Department.name).order_by(Department.name))
    return [(str(i), name) for i, name in rows]


# --- the report --------------------------------------------------------------------------------


def _machine_rows(period: Period, department: int | None, now: datetime) -> list[dict[str, Any]]:
    figures = machine_figures(period, now)
    rows = []
    for aid, tag, make, model, dept, price_mono, price_colour in assets(set(figures), department):
        f = figures[aid]
        pages = f["mono"] + f["colour"]
        page_cost = Decimal(f["mono"]) * (price_mono or 0) + Decimal(f["colour"]) * (
            price_colour or 0
        )
        cost = (page_cost + f["repair_cost"] + f["consumables"]).quantize(Decimal("0.01"))
        rows.append(
            {
                "machine": f"{tag} · {make} {model}",
                "department": dept or _("No department"),
                "pages": pages,
                "cost": cost,
                "per_page": (cost / pages) if pages else None,
                "hours": round(f["minutes"] / 60, 1),
                "repairs": f["repairs"],
            }
        )
    return rows


def build(
    period: Period,
    previous: Period | None,
    *,
    department: int | None = None,
    only: str | None = None,
) -> Report:
    """The report, or only its section ``only`` (a chart, an export, a dashboard card)."""
    now = utcnow()
    cache: dict[str, Any] = {}

    def machines(p: Period) -> list[dict[str, Any]]:
        key = p.start.isoformat()
        if key not in cache:
            cache[key] = _machine_rows(p, department, now)
        return cache[key]

    makers: dict[str, Callable[[], Section]] = {
        "machines": lambda: _machines_section(
            machines(period), machines(previous) if previous else None
        ),
        "departments": lambda: _departments_section(machines(period)),
        "vendors": lambda: _vendors_section(repairs_by_vendor(period, department)),
    }
    sections = [make() for key, make in makers.items() if only in (None, key)]
    filters = []
    if not only:
        filters = [
            Filter(
                "department",
                _l("Department"),
                department_choices(),
                str(department or ""),
                _l("All departments"),
            )
        ]
    return Report("equipment", TITLE, period, previous, sections, filters)


def _machines_section(rows, before) -> Section:
    def total(data, key):
        return sum((r[key] for r in data), start=type(data[0][key])(0)) if data else 0

    priced = sorted((r for r in rows if r["per_page"] is not None), key=lambda r: -r["per_page"])[
        :TOP
    ]
    return Section(
        "machines",
        _l("Cost and downtime by machine"),
        _(
            "Pages printed (meter readings), cost (contract price per page, closed repairs and "
            "consumables fitted), cost per page and hours out of order, per machine."
        ),
        Table(
            [
                Column(_l("Machine")),
                Column(_l("Department")),
                Column(_l("Pages"), INT),
                Column(_l("Cost"), MONEY),
                Column(_l("Cost per page"), PRICE),
                Column(_l("Hours down"), HOURS),
            ],
            [
                [r["machine"], r["department"], r["pages"], r["cost"], r["per_page"], r["hours"]]
                for r in rows
            ],
        ),
        Chart(
            "hbar",
            [r["machine"] for r in priced],
            [(_("Cost per page"), [float(r["per_page"]) for r in priced])],
            PRICE,
        )
        if priced
        else None,
        [
            Figure(
                _l("Cost"),
                total(rows, "cost"),
                MONEY,
                None if before is None else total(before, "cost"),
            ),
            Figure(
                _l("Hours down"),
                round(total(rows, "hours"), 1),
                HOURS,
                None if before is None else round(total(before, "hours"), 1),
            ),
        ],
        page_rows=PAGE_ROWS,
    )


def _departments_section(rows) -> Section:
    by_dept: dict[str, dict[str, Any]] = {}
    for r in rows:
        d = by_dept.setdefault(
            r["department"], {"machines": 0, "pages": 0, "cost": Decimal(0), "hours": 0.0}
        )
        d["machines"] += 1
        d["pages"] += r["pages"]
        d["cost"] += r["cost"]
        d["hours"] += r["hours"]
    names = sorted(by_dept)
    table_rows = [
        [
            n,
            by_dept[n]["machines"],
            by_dept[n]["pages"],
            by_dept[n]["cost"],
            (by_dept[n]["cost"] / by_dept[n]["pages"]) if by_dept[n]["pages"] else None,
            round(by_dept[n]["hours"], 1),
        ]
        for n in names
    ]
    return Section(
        "departments",
        _l("Cost and downtime by department"),
        _("The same figures summed per department of the machines."),
        Table(
            [
                Column(_l("Department")),
                Column(_l("Machines"), INT),
                Column(_l("Pages"), INT),
                Column(_l("Cost"), MONEY),
                Column(_l("Cost per page"), PRICE),
                Column(_l("Hours down"), HOURS),
            ],
            table_rows,
        ),
        Chart("hbar", names, [(_("Cost"), [float(r[3]) for r in table_rows])], MONEY)
        if table_rows
        else None,
    )


def _vendors_section(rows) -> Section:
    table_rows = [
        [name or _("No vendor"), n, rounded(hours), rounded(contract), ratio(ok, due), cost]
        for name, n, hours, contract, ok, due, cost in rows
    ]
    return Section(
        "vendors",
        _l("Repairs by vendor"),
        _(
            "Repairs requested in the period, by vendor: mean hours until the vendor answered "
            "(a visit booked, or the repair closed) against the hours in the contract, the "
            "share answered in time, and the cost."
        ),
        Table(
            [
                Column(_l("Vendor")),
                Column(_l("Repairs"), INT),
                Column(_l("Hours to answer"), HOURS),
                Column(_l("Contract hours"), HOURS),
                Column(_l("Answered in time"), PERCENT),
                Column(_l("Cost"), MONEY),
            ],
            table_rows,
        ),
        Chart(
            "hbar",
            [r[0] for r in table_rows],
            [
                (_("Hours to answer"), [r[2] for r in table_rows]),
                (_("Contract hours"), [r[3] for r in table_rows]),
            ],
            HOURS,
        )
        if table_rows
        else None,
        [Figure(_l("Repairs"), sum(r[1] for r in table_rows), INT)],
    )
