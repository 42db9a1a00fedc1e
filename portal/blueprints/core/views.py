"""Dashboard, language switch and the health check."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user

from portal import htmx, ui
from portal.blueprints.core import bp
from portal.extensions import db
from portal.security import public, signed_in
from portal.services import health, users


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
        users.set_locale(current_user, locale)
        db.session.commit()
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.dashboard")
    return redirect(target, 303)


@bp.get("/healthz")
@public
def healthz():
    report = health.check()
    return jsonify(report), (200 if report["database"] == "ok" else 503)
