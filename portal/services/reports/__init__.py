"""Reports: aggregated figures per area, their charts, exports and the monthly summary.

``build_report(name, args)`` reads the period, the comparison and the filters from a query
string and returns a ``Report`` (sections with caption, chart data, table and headline figures).
Each figure is one grouped SQL query, so a report costs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.errors import NotFound
from portal.routing import parse_int
from portal.services.reports import equipment, frontdesk, people, recruiting, supplies
from portal.services.reports.base import Chart, Column, Figure, Filter, Report, Section, Table
from portal.services.reports.charts import render_svg
from portal.services.reports.exports import XLSX_TYPE, section_csv, section_xlsx
from portal.services.reports.periods import Period, from_args, preset
from portal.services.reports.rollups import rebuild as rebuild_rollups
from portal.services.reports.rollups import refresh as refresh_rollups
from portal.services.reports.subscriptions import (
    SUMMARY_ROLES,
    is_subscribed,
    may_subscribe,
    send_monthly_summaries,
    set_subscription,
    summary_pdf,
)


@dataclass(frozen=True)
class ReportType:
    name: str
    title: Any
    permission: str
    build: Callable[..., Report]
    filters: tuple[str, ...]
    sections: tuple[str, ...]
    default_period: str = "3m"


REPORTS: dict[str, ReportType] = {
    "frontdesk": ReportType(
        "frontdesk",
        frontdesk.TITLE,
        "reports.frontdesk",
        frontdesk.build,
        ("person",),
        ("calls", "hours", "callbacks", "open", "requests"),
        "month",
    ),
    "supplies": ReportType(
        "supplies",
        supplies.TITLE,
        "reports.supplies",
        supplies.build,
        ("category",),
        ("spend", "stock", "moving", "lead", "approvals", "suggestions"),
        "12m",
    ),
    "recruiting": ReportType(
        "recruiting",
        recruiting.TITLE,
        "reports.recruiting",
        recruiting.build,
        ("opening", "department"),
        ("funnel", "hire", "stages", "sources", "interviews"),
        "3m",
    ),
    "equipment": ReportType(
        "equipment",
        equipment.TITLE,
        "reports.equipment",
        equipment.build,
        ("department",),
        ("machines", "departments", "vendors"),
        "3m",
    ),
    "people": ReportType(
        "people",
        people.TITLE,
        "reports.people",
        people.build,
        ("department",),
        ("headcount", "training"),
        "12m",
    ),
}
DESCRIPTIONS = {
    "frontdesk": _l("Calls, callbacks, open messages and staff requests."),
    "supplies": _l("Spend against budget, stock, lead times and approvals."),
    "recruiting": _l("Funnel, time to hire, sources and interviews."),
    "equipment": _l("Cost per page, downtime and repairs by machine, department and vendor."),
    "people": _l("Headcount, hires and exits; mandatory training."),
}


def report_type(name: str) -> ReportType:
    if name not in REPORTS:
        raise NotFound(_("There is no such report."))
    return REPORTS[name]


def visible_reports(user: Any) -> list[ReportType]:
    return [r for r in REPORTS.values() if user.can(r.permission)]


def _int_arg(args: Mapping[str, Any], name: str) -> int | None:
    value = str(args.get(name) or "").strip()
    return parse_int(value)


def build_report(name: str, args: Mapping[str, Any], *, only: str | None = None) -> Report:
    """The report ``name`` (or its one section ``only``) for the period, comparison and
    filters in ``args``."""
    kind = report_type(name)
    if only is not None and only not in kind.sections:
        raise NotFound(_("There is no such chart."))
    period = from_args(args, default=kind.default_period)
    previous = period.previous() if args.get("compare") else None
    filters = {f: _int_arg(args, f) for f in kind.filters}
    return kind.build(period, previous, only=only, **filters)


def get_section(report: Report, key: str) -> Section:
    section = report.section(key)
    if section is None:
        raise NotFound(_("There is no such chart."))
    return section


__all__ = [
    "REPORTS",
    "SUMMARY_ROLES",
    "XLSX_TYPE",
    "Chart",
    "Column",
    "Figure",
    "Filter",
    "Period",
    "Report",
    "ReportType",
    "Section",
    "Table",
    "build_report",
    "from_args",
    "get_section",
    "is_subscribed",
    "may_subscribe",
    "DESCRIPTIONS",
    "preset",
    "rebuild_rollups",
    "refresh_rollups",
    "render_svg",
    "report_type",
    "section_csv",
    "section_xlsx",
    "send_monthly_summaries",
    "set_subscription",
    "summary_pdf",
    "visible_reports",
]
