"""The bell, the list of notifications, opening one, and per-kind e-mail preferences."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import htmx
from portal.blueprints.notifications import bp
from portal.pagination import paginate
from portal.security import signed_in
from portal.services import notifications
from portal.web import safe_next, unit_of_work


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


@bp.get("/latest")
@signed_in
def latest():
    """The bell's drop-down: the newest few, each opening (and marking read) its notification."""
    return htmx.render(
        "notifications/latest.html",
        "notifications/_partials/_latest.html",
        notes=notifications.latest(current_user),
    )


@bp.get("/<int:notification_id>")
@signed_in
def open_one(notification_id: int):
    """Opening a notification marks it read and goes where it points."""
    with unit_of_work():
        note = notifications.open_notification(current_user, notification_id)
    if note is None or not note.url:
        return redirect(url_for("notifications.index"), 303)
    return redirect(safe_next(note.url, url_for("notifications.index")), 303)


@bp.post("/<int:notification_id>/read")
@signed_in
def mark_read(notification_id: int):
    with unit_of_work():
        notifications.mark_read(current_user, notification_id)
    return htmx.redirect_to(safe_next(request.form.get("next"), url_for("notifications.index")))


@bp.post("/read-all")
@signed_in
def mark_all_read():
    with unit_of_work():
        count = notifications.mark_read(current_user)
    flash(
        ngettext(
            "%(num)d notification marked as read.", "%(num)d notifications marked as read.", count
        ),
        "success",
    )
    return htmx.redirect_to(url_for("notifications.index"))


@bp.get("/preferences")
@signed_in
def preferences():
    return render_template(
        "notifications/preferences.html", kinds=notifications.preferences(current_user)
    )


@bp.post("/preferences")
@signed_in
def update_preferences():
    chosen = {k for k in request.form.getlist("email") if k in notifications.kinds()}
    with unit_of_work():
        notifications.set_preferences(current_user._get_current_object(), chosen)
    flash(_("Your notification preferences were saved."), "success")
    return redirect(url_for("notifications.preferences"), 303)
