"""HR data stays with HR on every people answer (the recruiting area's rule, applied here).

- ``HR_TEMPLATES``: a people page or fragment that shows HR records is rendered only for a
  caller holding the permission that opens it; a view that tries anyway (an error path
  re-rendering "the page the form came from") answers 403 and the denial is audited;
- ``readable_url``: after an action, send the caller only to a page they may open;
- every answer under /people says ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    has_request_context,
    request,
    url_for,
)
from flask import before_render_template as _before_render_template
from flask_login import current_user

from portal.extensions import db
from portal.security import access_of
from portal.services import audit

log = logging.getLogger(__name__)

VIEW = "hr.employees.view"
MANAGE = "hr.employees.manage"

HR_TEMPLATES: dict[str, str] = {
    "people/employees.html": VIEW,
    "people/_partials/_employees.html": VIEW,
    "people/employee.html": VIEW,
    "people/employee_form.html": VIEW,
    "people/_partials/_employee_form.html": VIEW,
    "people/_partials/_employee.html": VIEW,
    "people/warning_form.html": MANAGE,
    "people/_partials/_warning_form.html": MANAGE,
    "people/termination.html": MANAGE,
    "people/_partials/_termination.html": MANAGE,
    "people/courses.html": VIEW,
    "people/_partials/_courses.html": VIEW,
    "people/course.html": VIEW,
    "people/_partials/_course.html": VIEW,
    "people/lgpd.html": MANAGE,
    "people/subject_request.html": MANAGE,
    "people/_partials/_subject_request.html": MANAGE,
    "people/retention.html": MANAGE,
    "people/_partials/_retention_policy.html": MANAGE,
    "people/_partials/_retention_preview.html": MANAGE,
    "people/retention_consent.html": MANAGE,
    "people/_partials/_retention_consent.html": MANAGE,
    "people/checklist_templates.html": MANAGE,
    "people/_partials/_checklist_templates.html": MANAGE,
    "people/checklist_template.html": MANAGE,
    "people/_partials/_checklist_template.html": MANAGE,
}


def may(permission: str) -> bool:
    """Whether the caller holds ``permission``; MANAGE pages need VIEW as well (reading)."""
    if permission == MANAGE and not _holds(VIEW):
        return False
    return _holds(permission)


def _holds(permission: str) -> bool:
    return bool(current_user.is_authenticated and current_user.can(permission))


def may_open(endpoint: str) -> bool:
    rule, permission = access_of(current_app.view_functions.get(endpoint))
    if rule == "public":
        return True
    if rule == "signed_in":
        return bool(current_user.is_authenticated)
    return rule == "permission" and permission is not None and may(permission)


def readable_url(endpoint: str, **values: Any) -> str:
    """``endpoint`` if the caller may open it, else the directory (or the dashboard)."""
    if may_open(endpoint):
        return url_for(endpoint, **values)
    if may_open("people.index"):
        return url_for("people.index")
    return url_for("core.dashboard")


def _refuse_unreadable(sender: Flask, template: Any, context: dict[str, Any], **_: Any) -> None:
    needed = HR_TEMPLATES.get(template.name or "")
    if needed is None or not has_request_context() or may(needed):
        return
    log.error("refused to render %s for %s (needs %s)", template.name, request.endpoint, needed)
    db.session.rollback()
    if current_user.is_authenticated:
        audit.record_denial(current_user, request.endpoint or "", needed)
    abort(403)


def protect(bp: Blueprint) -> None:
    prefix = (bp.url_prefix or "").rstrip("/")

    def no_store(response: Response) -> Response:
        path = request.path
        if request.blueprint == bp.name or path == prefix or path.startswith(prefix + "/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    bp.after_app_request(no_store)
    bp.record_once(lambda state: _before_render_template.connect(_refuse_unreadable, state.app))
