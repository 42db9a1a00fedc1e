"""HR issues a warning (the employee then reads and answers it: see self_service)."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.forms import WarningForm
from portal.blueprints.people.privacy import readable_url
from portal.security import requires
from portal.services import people
from portal.web import unit_of_work


def _form_page(employee, form, status_code=200):
    return htmx.render(
        "people/warning_form.html",
        "people/_partials/_warning_form.html",
        status_code=status_code,
        employee=employee,
        form=form,
        ladder=people.warnings_of(employee),
        is_lapsed=people.is_lapsed,
    )


@bp.get("/employees/<int:employee_id>/warnings/new")
@requires("hr.employees.manage")
def new_warning(employee_id: int):
    return _form_page(people.get_employee_or_404(employee_id), WarningForm())


@bp.post("/employees/<int:employee_id>/warnings")
@requires("hr.employees.manage")
def create_warning(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    form = WarningForm(formdata=request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            item = people.issue_warning(
                employee,
                actor=current_user,
                level=form.level.data,
                facts=form.facts.data,
                occurred_on=form.occurred_on.data,
                policy=form.policy.data or "",
                witness=form.witness.data or "",
                suspension_days=form.suspension_days.data,
            )
        if work.ok:
            flash(_("Warning recorded; the employee has been notified."), "success")
            return htmx.redirect_to(readable_url("people.warning", warning_id=item.id))
        employee = people.get_employee_or_404(employee_id)
    return _form_page(employee, form, 422)
