"""HR data stays with HR on every answer: success, error, fragment and redirect alike.

An action permission is not a read permission: back office may schedule an interview or upload a
CV (``hr.interviews.schedule``, ``hr.cv.upload``) without holding ``hr.candidates.view``.  So:

- the pages that show HR records may be rendered only for a caller holding the permission that
  opens them (``HR_TEMPLATES``); a view that tries anyway — typically an error path re-rendering
  "the page the form came from" — gets a 403 instead of leaking (the denial is audited);
- ``readable_url`` sends a caller after an action only to a page they may open (a redirect to
  the application page would be refused, and tells a non-HR caller what they may not read);
- every answer under the blueprint says ``Cache-Control: no-store`` (CV quotes and contacts must
  not stay in a shared or back-button cache; the candidate's booking page likewise).

Wired in by ``protect(bp)`` from the blueprint's package, when the blueprint is registered.
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
    session,
    url_for,
)
from flask import before_render_template as _before_render_template
from flask_login import current_user

from portal.extensions import db
from portal.security import access_of
from portal.services import audit

log = logging.getLogger(__name__)

VIEW_CANDIDATES = "hr.candidates.view"

# Template -> the permission a caller must hold to be shown it.  Fragments rendered on their own
# are listed too; an included fragment is covered by its page.
HR_TEMPLATES: dict[str, str] = {
    "recruiting/application.html": VIEW_CANDIDATES,
    "recruiting/opening.html": VIEW_CANDIDATES,
    "recruiting/_partials/_ranked.html": VIEW_CANDIDATES,
    "recruiting/employees.html": "hr.employees.view",
    "recruiting/_partials/_employees.html": "hr.employees.view",
}


def may(permission: str) -> bool:
    """Whether the caller holds ``permission`` (anonymous callers hold none)."""
    return bool(current_user.is_authenticated and current_user.can(permission))


def may_open(endpoint: str) -> bool:
    """Whether the rule declared on ``endpoint``'s view lets the caller in."""
    rule, permission = access_of(current_app.view_functions.get(endpoint))
    if rule == "public":
        return True
    if rule == "signed_in":
        return bool(current_user.is_authenticated)
    return rule == "permission" and permission is not None and may(permission)


def readable_url(endpoint: str, **values: Any) -> str:
    """Where to send the caller after an action: ``endpoint`` if they may open it, else the
    recruiting start page (or the dashboard) — never a page that would refuse them."""
    if may_open(endpoint):
        return url_for(endpoint, **values)
    if may_open("recruiting.index"):
        return url_for("recruiting.index")
    return url_for("core.dashboard")


# Blind review, per signed-in session: the applications this person has looked at blind and not
# revealed yet.  While one is listed, its page stays blind (dropping ``?blind=1`` from the address
# does not reveal it) and its CV files are refused: a CV carries the name.  Revealing is a POST,
# audited by the view's service call.
_BLIND_KEY = "recruiting_blind"
_BLIND_MAX = 500  # the session cookie stays small; the oldest fall out first


def in_blind_review(application_id: int) -> bool:
    return application_id in session.get(_BLIND_KEY, ())


def enter_blind_review(application_id: int) -> None:
    ids = [i for i in session.get(_BLIND_KEY, []) if i != application_id]
    session[_BLIND_KEY] = [*ids, application_id][-_BLIND_MAX:]


def leave_blind_review(application_id: int) -> bool:
    """Drop the application from blind review; whether it was in it."""
    ids = list(session.get(_BLIND_KEY, []))
    if application_id not in ids:
        return False
    session[_BLIND_KEY] = [i for i in ids if i != application_id]
    return True


def _refuse_unreadable(sender: Flask, template: Any, context: dict[str, Any], **_: Any) -> None:
    """Refuse to render an HR page for a caller who may not open it (a bug caught, not a leak)."""
    needed = HR_TEMPLATES.get(template.name or "")
    if needed is None or not has_request_context() or may(needed):
        return
    log.error("refused to render %s for %s (needs %s)", template.name, request.endpoint, needed)
    db.session.rollback()  # nothing the failing view left pending lands with the denial
    if current_user.is_authenticated:
        audit.record_denial(current_user, request.endpoint or "", needed)
    abort(403)


def protect(bp: Blueprint) -> None:
    """Install the guards on ``bp`` (they take effect when the blueprint is registered)."""
    prefix = (bp.url_prefix or "").rstrip("/")

    def no_store(response: Response) -> Response:
        path = request.path
        if request.blueprint == bp.name or (
            prefix and (path == prefix or path.startswith(prefix + "/"))
        ):
            response.headers["Cache-Control"] = "no-store"
        return response

    bp.after_app_request(no_store)
    bp.record_once(lambda state: _before_render_template.connect(_refuse_unreadable, state.app))
