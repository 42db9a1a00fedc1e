"""Notifications: the list, the bell's drop-down, opening (marks read), e-mail preferences."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def register(app: Flask) -> None:
    from portal.blueprints.notifications import views  # noqa: F401  (attach routes)
    from portal.services import notifications

    app.register_blueprint(bp)
    # Stored as kind + parameters, rendered in the reader's language where shown.
    app.add_template_filter(notifications.render, "notification_text")
    ui.registry(app).notification_kind("system", _l("System messages"))
