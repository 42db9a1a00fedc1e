"""HR records an exit and hands the open work over; the worker closes the account after the
last day (and hands over whatever arrived since)."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.forms import HandoverForm, TerminationForm
from portal.blueprints.people.privacy import readable_url
from portal.blueprints.people.views.common import int_or_none, user_choices
from portal.errors import Conflict
from portal.extensions import db
from portal.models import User
from portal.security import requires
from portal.services import people
from portal.web import unit_of_work


def _form(formdata=None) -> TerminationForm:
    form = TerminationForm(formdata=formdata)
    form.handover_to.choices = user_choices()
    return form


def _handover_form(termination, formdata=None) -> HandoverForm:
    form = HandoverForm(formdata=formdata)
    form.handover_to.choices = user_choices()
    if formdata is None and termination is not None and termination.handover_to_id:
        form.handover_to.data = str(termination.handover_to_id)
    return form


def _page(employee, form=None, status_code=200, handover_form=None):
    termination = people.open_termination(employee)
    return htmx.render(
        "people/termination.html",
        "people/_partials/_termination.html",
        status_code=status_code,
        employee=employee,
        form=form or _form(),
        termination=termination,
        handover_form=handover_form or _handover_form(termination),
        handover=people.handover_lines(termination),
        held=people.held_assets(employee.user_id),
    )


def _user(value) -> User | None:
    user_id = int_or_none(value)
    return db.session.get(User, user_id) if user_id else None


@bp.get("/employees/<int:employee_id>/termination")
@requires("hr.employees.manage")
def termination(employee_id: int):
    return _page(people.get_employee_or_404(employee_id))


@bp.post("/employees/<int:employee_id>/termination")
@requires("hr.employees.manage")
def terminate(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    form = _form(request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people.record_termination(
                employee,
                actor=current_user,
                reason=form.reason.data,
                notice_on=form.notice_on.data,
                last_day=form.last_day.data,
                handover_to=_user(form.handover_to.data),
            )
        if work.ok:
            flash(_("Exit recorded; the offboarding checklist is ready."), "success")
            return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
        employee = people.get_employee_or_404(employee_id)
    return _page(employee, form, 422)


@bp.post("/employees/<int:employee_id>/handover")
@requires("hr.employees.manage")
def hand_over(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    termination = people.open_termination(employee)
    if termination is None:
        raise Conflict(_("Record the exit first."))
    form = _handover_form(termination, request.form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            moved = people.hand_over(
                termination, actor=current_user, to=_user(form.handover_to.data)
            )
        if work.ok:
            total = sum(moved.values())
            flash(
                ngettext(
                    "%(num)d open item handed over.", "%(num)d open items handed over.", total
                ),
                "success",
            )
            return htmx.redirect_to(readable_url("people.termination", employee_id=employee_id))
        employee = people.get_employee_or_404(employee_id)
    return _page(employee, status_code=422, handover_form=form)
