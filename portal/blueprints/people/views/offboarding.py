"""HR records an exit; the worker closes the account after the last day."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.forms import TerminationForm
from portal.blueprints.people.privacy import readable_url
from portal.blueprints.people.views.common import int_or_none, user_choices
from portal.extensions import db
from portal.models import User
from portal.security import requires
from portal.services import people
from portal.web import unit_of_work


def _form(formdata=None) -> TerminationForm:
    form = TerminationForm(formdata=formdata)
    form.handover_to.choices = user_choices()
    return form


def _page(employee, form, status_code=200):
    return htmx.render(
        "people/termination.html",
        "people/_partials/_termination.html",
        status_code=status_code,
        employee=employee,
        form=form,
        held=people.held_assets(employee.user_id),
    )


@bp.get("/employees/<int:employee_id>/termination")
@requires("hr.employees.manage")
def termination(employee_id: int):
    return _page(people.get_employee_or_404(employee_id), _form())


@bp.post("/employees/<int:employee_id>/termination")
@requires("hr.employees.manage")
def terminate(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    form = _form(request.form)
    if form.validate_on_submit():
        handover_id = int_or_none(form.handover_to.data)
        handover = db.session.get(User, handover_id) if handover_id else None
        with unit_of_work(form) as work:
            people.record_termination(
                employee,
                actor=current_user,
                reason=form.reason.data,
                notice_on=form.notice_on.data,
                last_day=form.last_day.data,
                handover_to=handover,
            )
        if work.ok:
            flash(_("Exit recorded; the offboarding checklist is ready."), "success")
            return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
        employee = people.get_employee_or_404(employee_id)
    return _page(employee, form, 422)
