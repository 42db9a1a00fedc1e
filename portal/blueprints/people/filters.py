"""Template filters of the people pages (attached to the app when the blueprint registers)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.models.people import WARNING_LEVELS, WARNING_STATUSES
from portal.services import people

CHANGE_FIELDS = {
    "position": _l("Position"),
    "department": _l("Department"),
    "manager": _l("Manager"),
    "salary": _l("Salary"),
    "contract_type": _l("Contract type"),
    "working_hours": _l("Working hours"),
}


def install(bp: Blueprint) -> None:
    bp.add_app_template_filter(people.cpf.formatted, "cpf")
    bp.add_app_template_filter(lambda v: WARNING_LEVELS.get(v, v), "warning_level")
    bp.add_app_template_filter(lambda v: WARNING_STATUSES.get(v, v), "warning_status")
    bp.add_app_template_filter(lambda v: CHANGE_FIELDS.get(v, v), "change_field")
    bp.add_app_template_global(_today, "people_today")
    bp.add_app_template_global(people.attendees_of, "attendees_of")


def _today() -> date:
    return people.today()
