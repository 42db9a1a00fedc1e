"""Shared by the equipment views: the asset page's context, form choices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_login import current_user

from portal import htmx
from portal.blueprints.equipment.forms import (
    EmptyForm,
    IssueForm,
    LinkForm,
    PlanForm,
    ReadingForm,
    RetireForm,
)
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
    """Lazy labels translated once per request, not once per row that shows them."""
    return {key: str(label) for key, label in names.items()}


def labels() -> dict[str, Any]:
    """What the templates need to name statuses and types (in the request's language)."""
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


def asset_context(asset: Asset, *, more: bool = True, **forms: Any) -> dict[str, Any]:
    """What the asset page shows: a fixed number of queries, whatever its history.

    ``more``: also the panels below the fold (see :func:`more_context`)."""
    manage = current_user.can("equipment.manage")
    metered = asset.type in METERED_TYPES
    months = equipment.pages_per_month(asset.id) if metered else []
    readings = equipment.recent_readings(asset.id) if metered else []
    context: dict[str, Any] = {
        "asset": asset,
        "readings": readings,
        "months": months,
        "cost": equipment.machine_cost(asset, months) if metered else None,
        "faults": equipment.asset_faults(asset.id),
        "repairs": equipment.asset_repairs(asset.id),
        "downtime": equipment.downtime_minutes(asset.id),
        "reading_form": forms.pop("reading_form", None) or ReadingForm(formdata=None),
        "retire_form": forms.pop("retire_form", None) or RetireForm(formdata=None),
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
