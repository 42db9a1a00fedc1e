"""Dashboard, language switch and the health check."""

from __future__ import annotations

import hmac

from flask import current_app, jsonify, redirect, request, session
from flask_login import current_user

from portal import htmx, ui
from portal.blueprints.core import bp
from portal.security import public, signed_in
from portal.services import health, users
from portal.web import safe_next, unit_of_work

HEALTH_TOKEN_HEADER = "X-Health-Token"


@bp.get("/")
@signed_in
def dashboard():
    cards = [(c.key, c.render(current_user)) for c in ui.visible_cards(current_user)]
    return htmx.render("core/dashboard.html", "core/_partials/_cards.html", cards=cards)


@bp.post("/language")
@public
def set_language():
    locale = request.form.get("locale") or None
    if locale not in current_app.config["LANGUAGES"]:
        locale = None
    session["locale"] = locale
    if current_user.is_authenticated:
        with unit_of_work():
            users.set_locale(current_user, locale)
    return redirect(safe_next(request.form.get("next")), 303)


@bp.get("/healthz")
@public
def healthz():
    report = health.check(details=_may_see_health_details())
    return jsonify(report), (200 if report["status"] == "up" else 503)


def _may_see_health_details() -> bool:
    """Queue depths and worker ages are for admins and monitoring holding the token only."""
    if current_user.is_authenticated and current_user.can("admin.outbox"):
        return True
    expected = current_app.config.get("PORTAL_HEALTH_TOKEN") or ""
    given = request.headers.get(HEALTH_TOKEN_HEADER, "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
