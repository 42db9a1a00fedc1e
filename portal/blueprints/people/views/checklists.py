"""HR's onboarding and offboarding checklist templates, per position or department."""

from __future__ import annotations

from typing import Any

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.checklist_forms import EMPTY_ROWS, ChecklistTemplateForm
from portal.blueprints.people.privacy import readable_url
from portal.blueprints.people.views.common import department_choices, int_or_none, user_choices
from portal.models.people import ONBOARDING
from portal.security import requires
from portal.services import people
from portal.web import unit_of_work

PAGE, FRAGMENT = "people/checklist_template.html", "people/_partials/_checklist_template.html"


def _form(template=None, formdata: Any = None, kind: str = ONBOARDING) -> ChecklistTemplateForm:
    if formdata is not None:
        form = ChecklistTemplateForm(formdata=formdata)
    else:
        steps = list(template.steps) if template else people.default_steps(kind)
        form = ChecklistTemplateForm(
            data={
                "kind": template.kind if template else kind,
                "position": template.position if template else "",
                "department_id": str(template.department_id or "") if template else "",
                "steps": [
                    {**s, "user_id": str(s.get("user_id") or ""), "days": int(s.get("days", 0))}
                    for s in steps
                ],
            }
        )
        for _row in range(EMPTY_ROWS):
            form.steps.append_entry()
    form.setup(department_choices(), user_choices())
    return form


def _save(template, form: ChecklistTemplateForm):
    return people.save_template(
        template,
        actor=current_user,
        kind=form.kind.data,
        department_id=int_or_none(form.department_id.data),
        position=form.position.data,
        steps=form.steps_data(),
    )


@bp.get("/checklists")
@requires("hr.employees.manage")
def checklist_templates():
    return htmx.render(
        "people/checklist_templates.html",
        "people/_partials/_checklist_templates.html",
        templates=people.list_templates(),
        departments=dict(department_choices()),
        kinds=people.CHECKLIST_KINDS,
    )


@bp.get("/checklists/new")
@requires("hr.employees.manage")
def new_checklist_template():
    kind = request.args.get("kind", ONBOARDING)
    kind = kind if kind in people.CHECKLIST_KINDS else ONBOARDING
    return htmx.render(PAGE, FRAGMENT, form=_form(kind=kind), template=None)


@bp.post("/checklists")
@requires("hr.employees.manage")
def create_checklist_template():
    form = _form(formdata=request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            _save(None, form)
        if work.ok:
            flash(_("Checklist template saved."), "success")
            return htmx.redirect_to(readable_url("people.checklist_templates"))
    return htmx.render(PAGE, FRAGMENT, form=form, template=None, status_code=422)


@bp.get("/checklists/<int:template_id>/edit")
@requires("hr.employees.manage")
def edit_checklist_template(template_id: int):
    template = people.get_template_or_404(template_id)
    return htmx.render(PAGE, FRAGMENT, form=_form(template), template=template)


@bp.post("/checklists/<int:template_id>")
@requires("hr.employees.manage")
def update_checklist_template(template_id: int):
    template = people.get_template_or_404(template_id)
    form = _form(template, formdata=request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            _save(template, form)
        if work.ok:
            flash(_("Checklist template saved."), "success")
            return htmx.redirect_to(readable_url("people.checklist_templates"))
        template = people.get_template_or_404(template_id)
    return htmx.render(PAGE, FRAGMENT, form=form, template=template, status_code=422)
