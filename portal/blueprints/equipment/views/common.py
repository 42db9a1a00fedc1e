"""Shared by the equipment views: the asset page's context, form choices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_login import current_user

from portal import htmx
from portal.blueprints.equipment import count_text, page_cost_text
from portal.blueprints.equipment.forms import (
    EmptyForm,
    IssueForm,
    LinkForm,
    PlanForm,
)
from portal.formatting import date_formatter, datetime_formatter, money_formatter
from portal.i18n import current_locale
from portal.models.equipment import (
    FAULT_STATUSES,
    FAULT_TONES,
    METERED_TYPES,
    REPAIR_STATUSES,
    REPAIR_TONES,
    STATUS_TONES,
    STATUSES,
    TYPES,
    Asset,
)
from portal.services import equipment
from portal.web import Work, unit_of_work


@contextmanager
def form_work(form: Any) -> Iterator[Work]:
    """``unit_of_work(form)``, but only bad input stays on the form (422): a refusal that is not
    about the input (404, 409) goes to the error handler, as it would without a form."""
    with unit_of_work(form) as work:
        yield work
    if work.error is not None and work.error.status_code != 422:
        raise work.error


def _translated(names: dict[str, Any]) -> dict[str, str]:
    """Lazy labels translated once, not once per row that shows them."""
    return {key: str(label) for key, label in names.items()}


@lru_cache(maxsize=8)
def _labels_in(locale_name: str) -> dict[str, Any]:
    """The status and type names in one language: the catalogue does not change while the
    app runs, so each language's names are translated once (the caller is in that locale)."""
    return {
        "TYPES": _translated(TYPES),
        "STATUSES": _translated(STATUSES),
        "STATUS_TONES": STATUS_TONES,
        "FAULT_STATUSES": _translated(FAULT_STATUSES),
        "FAULT_TONES": FAULT_TONES,
        "REPAIR_STATUSES": _translated(REPAIR_STATUSES),
        "REPAIR_TONES": REPAIR_TONES,
        "METERED_TYPES": METERED_TYPES,
    }


def labels() -> dict[str, Any]:
    """What the templates need to name statuses and types (in the request's language)."""
    return _labels_in(str(current_locale() or "en"))


def item_choices(form: Any, needs: list[Any] | None = None) -> None:
    if needs is not None:
        form.item_id.choices = [("", "—")] + [(str(n.item_id), n.name) for n in needs]
    else:
        form.item_id.choices = [("", "—")] + [
            (str(r.id), f"{r.name} ({r.sku})") for r in equipment.item_choices()
        ]


# The panels below the fold (consumables, upkeep, history) arrive in their own request when
# they scroll into view: the machine's page first shows what people come for (status, details,
# readings, faults) and costs about half as much to build.
MORE_FRAGMENTS = ("equipment/_partials/_consumables.html", "equipment/_partials/_upkeep.html")
MORE_FORMS = ("issue_form", "link_form", "plan_form")


@dataclass(frozen=True)
class Bar:
    """One month of the pages-per-month chart, its labels formatted once."""

    title: str  # "Mar 2026: 1.234"
    label: str  # "Mar"
    height: int  # 0, 10, ... 100 (a CSS class: the CSP allows no inline styles)


@dataclass(frozen=True)
class ReadingLine:
    """One meter reading as the machine's page prints it."""

    read_on: str
    mono: str
    colour: str
    pages: str
    counter_replaced: bool


@dataclass(frozen=True)
class CostLine:
    """One machine of the cost-per-page report, its figures formatted once."""

    id: int
    asset_tag: str
    make: str
    model: str
    department: str | None
    pages: str
    consumables: str
    contract: str
    per_page: str | None
    per_month: str


def cost_lines(rows: list[Any]) -> list[CostLine]:
    """The report's rows with the money formatter taken once for the page."""
    money = money_formatter()
    lines = []
    for r in rows:
        cost = r.cost
        per_page = cost.per_page
        lines.append(
            CostLine(
                r.id,
                r.asset_tag,
                r.make,
                r.model,
                r.department,
                count_text(cost.pages),
                money(cost.consumables),
                money(cost.contract),
                None if per_page is None else page_cost_text(per_page),
                money(cost.per_month),
            )
        )
    return lines


@dataclass(frozen=True)
class FaultLine:
    """One of the machine's latest faults or repairs, its date (and cost) formatted once."""

    id: int
    when: str
    status: str
    text: str  # a fault's description, shortened; a repair's cost or "—"


def _shorten(text: str, length: int = 80, leeway: int = 5) -> str:
    """Jinja's ``truncate(80)``: whole words, an ellipsis, texts a little over left whole."""
    if len(text) <= length + leeway:
        return text
    return text[: length - 3].rsplit(" ", 1)[0] + "..."


def fault_lines(faults: list[Any]) -> list[FaultLine]:
    when = datetime_formatter()
    return [FaultLine(f.id, when(f.created_at), f.status, _shorten(f.description)) for f in faults]


def repair_lines(repairs: list[Any]) -> list[FaultLine]:
    when, money = datetime_formatter(), money_formatter()
    return [
        FaultLine(r.id, when(r.requested_at), r.status, "—" if r.cost is None else money(r.cost))
        for r in repairs
    ]


def month_bars(months: list[Any]) -> list[Bar]:
    """The chart's bars: two date formatters taken once for the twelve months."""
    if not months:
        return []
    long, short = date_formatter("MMM yyyy"), date_formatter("MMM")
    peak = max(m.total for m in months) or 1
    return [
        Bar(
            f"{long(m.month)}: {count_text(m.total)}",
            short(m.month),
            int(10 * m.total / peak + 0.5) * 10,
        )
        for m in months
    ]


def reading_lines(readings: list[Any]) -> list[ReadingLine]:
    """The recent readings with their date and counters formatted in one pass."""
    day = date_formatter("short")
    return [
        ReadingLine(
            day(r.read_on),
            count_text(r.mono),
            count_text(r.colour),
            count_text(r.pages_mono + r.pages_colour),
            r.counter_replaced,
        )
        for r in readings
    ]


def asset_context(asset: Asset, *, more: bool = True, **forms: Any) -> dict[str, Any]:
    """What the asset page shows: a fixed number of queries, whatever its history.

    ``more``: also the panels below the fold (see :func:`more_context`)."""
    manage = current_user.can("equipment.manage")
    metered = asset.type in METERED_TYPES
    months, readings = equipment.readings_overview(asset.id) if metered else ([], [])
    context: dict[str, Any] = {
        "asset": asset,
        "readings": reading_lines(readings),
        "bars": month_bars(months),
        "cost": equipment.machine_cost(asset, months) if metered else None,
        "faults": fault_lines(equipment.asset_faults(asset.id)),
        "repairs": repair_lines(equipment.asset_repairs(asset.id)),
        "downtime": equipment.downtime_minutes(asset.id),
        "reading_form": forms.pop("reading_form", None),
        "manage": manage,
        "more": more,
        **labels(),
    }
    if more:
        context.update(more_context(asset, readings=readings, manage=manage, forms=forms))
    context.update(forms)
    return context


def more_context(
    asset: Asset, *, readings: list[Any] | None = None, manage: bool, forms: dict[str, Any]
) -> dict[str, Any]:
    """The panels below the fold: consumables, upkeep and the machine's history."""
    needs = equipment.needs_for(asset)
    issue_form = forms.pop("issue_form", None) or IssueForm(formdata=None)
    item_choices(issue_form, needs)
    link_form = forms.pop("link_form", None) or LinkForm(formdata=None)
    if manage:
        item_choices(link_form)
    if readings is None:
        counter = equipment.current_counter(asset.id) if asset.type in METERED_TYPES else None
    else:
        counter = readings[0].mono + readings[0].colour if readings else None
    return {
        "needs": needs,
        "uses": equipment.uses_for(asset, counter=counter),
        "plans": equipment.plans_for(asset.id),
        "tasks": equipment.asset_tasks(asset.id),
        "timeline": equipment.timeline(asset.id),
        "plan_form": forms.pop("plan_form", None) or PlanForm(formdata=None),
        "issue_form": issue_form,
        "link_form": link_form,
        "button_form": EmptyForm(formdata=None),
    }


def asset_page(
    asset: Asset,
    *,
    fragment: str = "equipment/_partials/_asset_body.html",
    status_code: int = 200,
    **forms: Any,
):
    """The machine's page, or one of its panels for an htmx swap.  The panels below the fold
    are part of the response when a form there answers (its errors must show)."""
    more = fragment in MORE_FRAGMENTS or any(name in forms for name in MORE_FORMS)
    return htmx.render(
        "equipment/asset.html",
        fragment,
        status_code=status_code,
        **asset_context(asset, more=more, **forms),
    )
