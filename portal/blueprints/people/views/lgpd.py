"""LGPD: the data-subject export (one ZIP) and anonymisation, both logged."""

from __future__ import annotations

from flask import Response, flash
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.privacy import readable_url
from portal.security import requires
from portal.services import people
from portal.web import unit_of_work


@bp.get("/lgpd")
@requires("hr.employees.manage")
def lgpd():
    return htmx.render(
        "people/lgpd.html", "people/_partials/_lgpd.html", requests=people.requests_log()
    )


@bp.post("/employees/<int:employee_id>/export")
@requires("hr.employees.manage")
def export(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    if not current_user.can("hr.employees.view"):
        return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
    with unit_of_work():
        name, data = people.export_subject(employee, actor=current_user)
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/employees/<int:employee_id>/anonymise")
@requires("hr.employees.manage")
def anonymise(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    with unit_of_work():
        people.anonymise(employee, actor=current_user)
    flash(_("The record is anonymised."), "success")
    return htmx.redirect_to(readable_url("people.employees"))
