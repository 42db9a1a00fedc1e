"""Dashboard charts: the two or three figures each role looks at first, each linking to its report.

Each card draws one report section (its own grouped queries only) as a small SVG image and
lists the numbers under it; the image is served by the report's chart view.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from portal import ui
from portal.formatting import format_date
from portal.services import reports
from portal.services.reports.cells import cell_text

PARTIAL = "reports/_partials/_chart_card.html"
CARD_ROWS = 6


def _chart_card(
    name: str,
    key: str,
    period: str,
    *,
    title: str,
    rows: Any,
    value: Any = None,
    hint: str | None = None,
) -> dict[str, Any]:
    args = {"period": period}
    report = reports.build_report(name, args, only=key)
    section = reports.get_section(report, key)
    start, end = report.period.start, report.period.last_day
    caption = f"{format_date(start)} – {format_date(end)}"
    return {
        "title": title,
        "value": value(section) if value else None,
        "hint": hint,
        "url": url_for(f"reports.{name}", **args),
        "link_text": _("Full report"),
        "tone": "neutral",
        "partial": PARTIAL,
        "report_chart": {
            "empty": section.empty or section.chart is None,
            "src": url_for(f"reports.{name}_chart", key=key, w="narrow", **args),
            "alt": _("%(title)s. The numbers are listed below.", title=title),
            "caption": caption,
            "rows": rows(section)[:CARD_ROWS],
        },
    }


def _figure(section: Any, index: int = 0) -> str | None:
    if len(section.figures) <= index:
        return None
    f = section.figures[index]
    return cell_text(f.value, f.kind)


def spend(user: Any) -> dict[str, Any]:
    def rows(section):
        chart = section.chart
        if chart is None:
            return []
        spent = chart.series[0][1]
        pairs = list(zip(chart.labels, spent, strict=True))[::-1]
        return [(label, cell_text(v, "money")) for label, v in pairs]

    return _chart_card(
        "supplies",
        "spend",
        "12m",
        title=_("Spend per month against the budget"),
        rows=rows,
        value=lambda s: _figure(s),
        hint=_("last 12 months"),
    )


def calls(user: Any) -> dict[str, Any]:
    def rows(section):
        return [(r[0], cell_text(r[1], "int")) for r in section.table.rows[::-1]]

    return _chart_card(
        "frontdesk",
        "calls",
        "month",
        title=_("Calls per day"),
        rows=rows,
        value=lambda s: _figure(s),
        hint=_("this month"),
    )


def funnel(user: Any) -> dict[str, Any]:
    def rows(section):
        chart = section.chart
        if chart is None:
            return []
        values = chart.series[0][1]
        return [(label, cell_text(v, "int")) for label, v in zip(chart.labels, values, strict=True)]

    return _chart_card(
        "recruiting",
        "funnel",
        "3m",
        title=_("Hiring funnel"),
        rows=lambda s: rows(s)[:6],
        value=None,
        hint=_("applications of the last 3 months"),
    )


def interviews(user: Any) -> dict[str, Any]:
    def rows(section):
        totals: dict[str, int] = {}
        for _week, person, n in section.table.rows:
            totals[person] = totals.get(person, 0) + n
        ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(person, cell_text(n, "int")) for person, n in ordered]

    return _chart_card(
        "recruiting",
        "interviews",
        "3m",
        title=_("Interviews per week"),
        rows=rows,
        value=lambda s: _figure(s),
        hint=_("last 3 months, by interviewer"),
    )


def hire_time(user: Any) -> dict[str, Any]:
    def rows(section):
        return [(r[0], cell_text(r[2], "days")) for r in section.table.rows]

    return _chart_card(
        "recruiting",
        "hire",
        "12m",
        title=_("Days to hire"),
        rows=rows,
        value=lambda s: _figure(s),
        hint=_("hires of the last 12 months"),
    )


def register(registry: ui.Registry) -> None:
    """Chart cards per role: office (calls, spend) and HR (funnel, interviews, time to hire)."""
    registry.card("reports-spend", spend, "reports.supplies", order=205)
    registry.card("reports-calls", calls, "reports.frontdesk", order=15)
    registry.card("reports-funnel", funnel, "reports.recruiting", order=404)
    registry.card("reports-interviews", interviews, "reports.recruiting", order=405)
    registry.card("reports-hire", hire_time, "reports.recruiting", order=406)
