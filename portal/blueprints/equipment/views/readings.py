"""Meter readings, consumables on a machine, the cost-per-page report and due readings."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_login import current_user

from portal import htmx
from portal.blueprints.equipment import bp
from portal.blueprints.equipment.forms import IssueForm, LinkForm, ReadingForm
from portal.blueprints.equipment.views.common import (
    asset_page,
    cost_lines,
    form_work,
    item_choices,
    labels,
)
from portal.pagination import page_arg
from portal.security import requires
from portal.services import equipment
from portal.web import unit_of_work


@bp.get("/<int:asset_id>/readings/new")
@requires("equipment.manage")
def new_reading(asset_id: int):
    """The reading form in the readings panel (the whole machine page without htmx)."""
    asset = equipment.get_asset_or_404(asset_id)
    return asset_page(
        asset,
        fragment="equipment/_partials/_readings.html",
        reading_form=ReadingForm(formdata=None),
    )


@bp.post("/<int:asset_id>/readings")
@requires("equipment.manage")
def add_reading(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = ReadingForm()
    read_on = form.read_on.data if form.read_on.validate(form) else None
    with form_work(form) as work:
        equipment.add_reading(
            asset,
            actor=current_user,
            read_on=read_on,
            mono=form.mono.data,
            colour=form.colour.data,
            counter_replaced=form.counter_replaced.data,
        )
    if work.ok:
        return asset_page(asset, fragment="equipment/_partials/_readings.html")
    return asset_page(
        asset, fragment="equipment/_partials/_readings.html", reading_form=form, status_code=422
    )


@bp.post("/<int:asset_id>/consumables")
@requires("equipment.manage")
def link_consumable(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = LinkForm()
    item_choices(form)
    with form_work(form) as work:
        equipment.link_item(
            asset, actor=current_user, item_id=form.item_id.data, yield_pages=form.yield_pages.data
        )
    if work.ok:
        return asset_page(asset, fragment="equipment/_partials/_consumables.html")
    return asset_page(
        asset, fragment="equipment/_partials/_consumables.html", link_form=form, status_code=422
    )


@bp.post("/<int:asset_id>/consumables/<int:link_id>/remove")
@requires("equipment.manage")
def unlink_consumable(asset_id: int, link_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    with unit_of_work():
        equipment.unlink_item(link_id, actor=current_user)
    return asset_page(asset, fragment="equipment/_partials/_consumables.html")


@bp.post("/<int:asset_id>/issue")
@requires("equipment.manage")
def issue(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = IssueForm()
    with form_work(form) as work:
        equipment.issue_to_machine(
            asset, actor=current_user, item_id=form.item_id.data, quantity=form.quantity.data
        )
    if work.ok:
        return asset_page(asset, fragment="equipment/_partials/_consumables.html")
    return asset_page(
        asset, fragment="equipment/_partials/_consumables.html", issue_form=form, status_code=422
    )


@bp.get("/readings/due")
@requires("equipment.view")
def due_readings():
    return render_template("equipment/due.html", rows=equipment.due_for_reading(), **labels())


def _months_arg() -> int:
    months = request.args.get("months", "12")
    return int(months) if months in ("3", "6", "12", "24") else 12


@bp.get("/costs")
@requires("reports.equipment")
def costs():
    """Machine by machine, a page at a time; the fleet's per-department totals (which read every
    reading in the period) arrive in their own request once the page is shown."""
    months_n = _months_arg()
    page = equipment.cost_page(
        months=months_n, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    return htmx.render(
        "equipment/costs.html",
        "equipment/_partials/_cost_list.html",
        page=page,
        lines=cost_lines(page.items),
        months=months_n,
        export_url=url_for("equipment.index"),
    )


@bp.get("/costs/departments")
@requires("reports.equipment")
def department_costs():
    """The per-department totals: a fragment for the cost report, or a page of its own."""
    months_n = _months_arg()
    return htmx.render(
        "equipment/department_costs.html",
        "equipment/_partials/_department_costs.html",
        months=months_n,
        departments=equipment.costs_by_department(months=months_n),
    )
