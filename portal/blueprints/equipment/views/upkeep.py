"""Upkeep: preventive plans, tasks due, and the equipment dashboard."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from portal import htmx
from portal.blueprints.equipment import bp
from portal.blueprints.equipment.forms import EmptyForm, PlanForm
from portal.blueprints.equipment.views.common import asset_page, form_work, labels
from portal.security import requires
from portal.services import equipment
from portal.web import unit_of_work


@bp.post("/<int:asset_id>/plans")
@requires("equipment.manage")
def add_plan(asset_id: int):
    asset = equipment.get_asset_or_404(asset_id)
    form = PlanForm()
    with form_work(form) as work:
        equipment.add_plan(
            asset,
            actor=current_user,
            title=form.title.data,
            every_months=form.every_months.data,
            every_pages=form.every_pages.data,
        )
    if work.ok:
        return asset_page(asset, fragment="equipment/_partials/_upkeep.html")
    return asset_page(
        asset, fragment="equipment/_partials/_upkeep.html", plan_form=form, status_code=422
    )


@bp.post("/tasks/<int:task_id>/done")
@requires("equipment.manage")
def task_done(task_id: int):
    with unit_of_work():
        task = equipment.complete_task(task_id, actor=current_user)
    return htmx.redirect_to(url_for("equipment.detail", asset_id=task.asset_id))


@bp.get("/dashboard")
@requires("equipment.view")
def dashboard():
    return render_template(
        "equipment/dashboard.html",
        down=equipment.down_now(),
        repairs=equipment.open_repairs(),
        expiring=equipment.expiring(),
        tasks=equipment.open_tasks(),
        top=equipment.top_downtime(),
        due=len(equipment.due_for_reading()),
        counts=equipment.solved_counts(),
        button_form=EmptyForm(formdata=None),
        **labels(),
    )
