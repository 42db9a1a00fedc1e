"""Outgoing e-mail and background jobs: the admin's view of the outbox, and its sweeper."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


def register(app: Flask) -> None:
    from portal.blueprints.outbox import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.nav_item(_l("Outbox & jobs"), "outbox.index", "admin.outbox", order=920)
    registry.outbox_kind("email", _l("E-mail"))
    # Every minute; tests shorten it with PORTAL_SWEEP_INTERVAL.
    registry.periodic_job(
        "outbox-sweeper",
        "worker.jobs.mail.sweep_outbox",
        queue="mail",
        interval=int(app.config["PORTAL_SWEEP_INTERVAL"]),
    )
