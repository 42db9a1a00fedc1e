"""Administration: user accounts and the audit log."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("admin", __name__, url_prefix="/admin")


def register(app: Flask) -> None:
    from portal.blueprints.admin import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.nav_item(_l("Users"), "admin.users", "admin.users", order=900)
    registry.nav_item(_l("Audit log"), "admin.audit", "admin.audit", order=910)
