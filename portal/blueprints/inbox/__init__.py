"""Shared inbox: the back office's Inbox page and the admin's mailboxes."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def _new_count(user) -> int:
    from portal.services.inbox import new_count

    return new_count()


def register(app: Flask) -> None:
    from portal.blueprints.inbox import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.nav_item(_l("Inbox"), "inbox.index", "inbox.view", order=150, badge=_new_count)
    registry.nav_item(_l("Mailboxes"), "inbox.mailboxes", "inbox.mailboxes", order=915)
    registry.periodic_job(
        "inbox-fetch",
        "worker.jobs.inbox.fetch_due",
        interval=int(app.config["INBOX_FETCH_INTERVAL"]),
    )
