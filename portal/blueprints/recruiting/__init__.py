"""Recruiting: openings, CV intake, ranking, interviews, self-booking, hiring."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui
from portal.blueprints.recruiting import cards, privacy

bp = Blueprint("recruiting", __name__, url_prefix="/recruiting")
privacy.protect(bp)  # HR pages only for HR, on every answer; no-store everywhere


def register(app: Flask) -> None:
    from portal.blueprints.recruiting import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.nav_item(_l("Recruiting"), "recruiting.index", "hr.cv.upload", order=400)
    cards.register(registry)
    registry.notification_kind("recruiting.interview", _l("Interviews I take part in"))
    jobs = "worker.jobs.recruiting"
    registry.periodic_job("recruiting-reminders", f"{jobs}.send_interview_reminders", interval=900)
    registry.periodic_job("recruiting-cv-sweeper", f"{jobs}.sweep_cvs", interval=60)
    registry.periodic_job("recruiting-cv-retention", f"{jobs}.purge_expired_cvs", interval=3600)
