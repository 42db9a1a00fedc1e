"""Notifications: the list, marking read, and e-mail preferences per kind."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def register(app: Flask) -> None:
    from portal.blueprints.notifications import views  # noqa: F401  (attach routes)

    app.register_blueprint(bp)
    ui.registry(app).notification_kind("system", _l("System messages"))
