"""The shell: dashboard, account, language; the cards every area shares (notifications, admin)."""

from datetime import timedelta

from flask import Blueprint, Flask, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal import ui

bp = Blueprint("core", __name__)


def register(app: Flask) -> None:
    from portal.blueprints.core import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.card("notifications", _notifications_card, None, order=1)
    registry.card("admin-accounts", _accounts_card, "admin.users", order=900)
    registry.card("admin-outbox", _outbox_card, "admin.outbox", order=910)
    registry.card("admin-audit", _audit_card, "admin.audit", order=920)


def _notifications_card(user):
    from portal.services import notifications

    unread = notifications.unread_count(user)
    return {
        "title": _("Unread notifications"),
        "value": unread,
        "tone": "info" if unread else "neutral",
        "url": url_for("notifications.index"),
        "link_text": _("See all"),
    }


def _accounts_card(user):
    from portal.models.base import utcnow
    from portal.services import users

    counts = users.account_counts()
    failed = users.failed_sign_ins_since(utcnow() - timedelta(hours=24))
    return {
        "title": _("Accounts"),
        "value": counts["active"],
        "hint": ngettext("%(num)d disabled", "%(num)d disabled", counts["disabled"])
        + " · "
        + ngettext("%(num)d failed sign-in in 24 h", "%(num)d failed sign-ins in 24 h", failed),
        "tone": "warning" if failed >= 10 else "neutral",
        "url": url_for("admin.users"),
        "link_text": _("Manage users"),
    }


def _outbox_card(user):
    from portal.services import health

    counts = health.outbox_counts()
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    problems = counts.get("failed", 0) + counts.get("dead", 0) + counts.get("uncertain", 0)
    card = {
        "title": _("Outgoing e-mail"),
        "value": waiting,
        "hint": _("waiting to be sent")
        + " · "
        + ngettext("%(num)d needs attention", "%(num)d need attention", problems),
        "tone": "danger" if problems else "success",
    }
    if "outbox.index" in ui.endpoints():
        card.update(url=url_for("outbox.index"), link_text=_("Open the outbox"))
    return card


def _audit_card(user):
    from portal.models.base import utcnow
    from portal.services import audit

    return {
        "title": _("Changes recorded today"),
        "value": audit.count_since(utcnow() - timedelta(hours=24)),
        "hint": _("in the audit log, last 24 hours"),
        "url": url_for("admin.audit"),
        "link_text": _("Open the audit log"),
    }
