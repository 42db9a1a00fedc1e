"""The bell, the list of notifications, and per-kind e-mail preferences."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.notifications import bp
from portal.extensions import db
from portal.pagination import paginate
from portal.security import signed_in
from portal.services import notifications
from portal.web import safe_next


@bp.get("/")
@signed_in
def index():
    page = paginate(notifications.list_for(current_user))
    return htmx.render("notifications/index.html", "notifications/_partials/_list.html", page=page)


@bp.get("/bell")
@signed_in
def bell():
    return render_template(
        "notifications/_partials/_bell.html", unread=notifications.unread_count(current_user)
    )


@bp.post("/<int:notification_id>/read")
@signed_in
def mark_read(notification_id: int):
    notifications.mark_read(current_user, notification_id)
    db.session.commit()
    return htmx.redirect_to(safe_next(request.form.get("next"), url_for("notifications.index")))


@bp.post("/read-all")
@signed_in
def mark_all_read():
    count = notifications.mark_read(current_user)
    db.session.commit()
    flash(_("%(n)d notifications marked as read.", n=count), "success")
    return htmx.redirect_to(url_for("notifications.index"))


@bp.get("/preferences")
@signed_in
def preferences():
    kinds = [
        (k, label, notifications.wants_email(current_user, k))
        for k, label in notifications.KINDS.items()
    ]
    return render_template("notifications/preferences.html", kinds=kinds)


@bp.post("/preferences")
@signed_in
def update_preferences():
    chosen = {k for k in request.form.getlist("email") if k in notifications.KINDS}
    notifications.set_preferences(current_user._get_current_object(), chosen)
    db.session.commit()
    flash(_("Your notification preferences were saved."), "success")
    return redirect(url_for("notifications.preferences"), 303)
