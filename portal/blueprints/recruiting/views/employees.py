"""Employees: the list of people hired."""

from __future__ import annotations

from portal import htmx
from portal.blueprints.recruiting import bp
from portal.pagination import paginate
from portal.security import requires
from portal.services import recruiting


@bp.get("/employees")
@requires("hr.employees.view")
def employees():
    page = paginate(recruiting.list_employees())
    return htmx.render(
        "recruiting/employees.html", "recruiting/_partials/_employees.html", page=page
    )
