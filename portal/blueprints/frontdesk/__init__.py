"""Front desk: the console (calls), my messages, visitors, faxes and staff requests."""

from flask import Blueprint, Flask, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal import ui

bp = Blueprint("frontdesk", __name__, url_prefix="/frontdesk")
# Three children, so the main navigation highlights only the entry of the page being shown
# (base.html highlights every entry of the current blueprint).
desk_bp = Blueprint("desk", __name__)  # console, visitors, faxes (back office)
inbox_bp = Blueprint("inbox", __name__)  # my messages (everyone)
requests_bp = Blueprint("requests", __name__)  # staff requests (everyone; triage: back office)
bp.register_blueprint(desk_bp)
bp.register_blueprint(inbox_bp)
bp.register_blueprint(requests_bp)


def register(app: Flask) -> None:
    from portal.blueprints.frontdesk import views  # noqa: F401  (views import the bps)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.nav_item(_l("Front desk"), "frontdesk.desk.console", "calls.log", order=100)
    registry.nav_item(
        _l("My messages"),
        "frontdesk.inbox.messages",
        "messages.view_own",
        order=110,
        badge=_open_messages,
    )
    registry.nav_item(_l("Requests"), "frontdesk.requests.requests", "requests.create", order=120)
    registry.card("frontdesk.desk", _desk_card, "calls.log", order=10)
    registry.card("frontdesk.my_messages", _messages_card, "messages.view_own", order=20)
    registry.card("frontdesk.my_requests", _requests_card, "requests.create", order=30)
    registry.notification_kind("frontdesk.message", _l("Phone messages taken for me"))
    registry.notification_kind("frontdesk.callback_due", _l("Callbacks that are due"))
    registry.notification_kind("frontdesk.visitor", _l("My visitors arriving"))
    registry.notification_kind("frontdesk.fax", _l("Faxes for me"))
    registry.notification_kind("frontdesk.request", _l("Changes to my staff requests"))
    # Built-in request types; a later area may replace one with its own ``on_filed``.
    registry.request_type("supplies", _l("Supplies"))
    registry.request_type("equipment_fault", _l("Equipment fault"))
    registry.request_type("general", _l("General / admin"))
    from portal.services.frontdesk.handover import hand_over

    registry.handover_provider("frontdesk", _l("Phone messages and staff requests"), hand_over)
    registry.periodic_job(
        "frontdesk-callback-reminders",
        "worker.jobs.frontdesk.remind_due_callbacks",
        interval=60,
    )


def _open_messages(user) -> int:
    from portal.services import frontdesk

    return frontdesk.open_message_count(user)


@bp.app_template_filter("phone")
def _phone_filter(value: str | None) -> str:
    from portal.services import frontdesk

    return frontdesk.format_phone(value)


def _desk_card(user) -> dict:
    from portal.services import frontdesk

    s = frontdesk.desk_summary()
    return {
        "title": _("Front desk"),
        "value": s["calls_today"],
        "hint": ngettext("%(num)d call today", "%(num)d calls today", s["calls_today"]),
        "tone": "danger" if s["overdue"] else "info",
        "items": [
            (
                _("Open messages: %(n)d", n=s["open_messages"]),
                url_for("frontdesk.desk.console", view="open"),
            ),
            (
                _("Overdue callbacks: %(n)d", n=s["overdue"]),
                url_for("frontdesk.desk.console", view="overdue"),
            ),
            (
                _("Visitors in the building: %(n)d", n=s["visitors"]),
                url_for("frontdesk.desk.visitors"),
            ),
            (
                _("Untriaged requests: %(n)d", n=s["untriaged"]),
                url_for("frontdesk.requests.requests", status="new"),
            ),
        ],
        "url": url_for("frontdesk.desk.console"),
        "link_text": _("Open the console"),
    }


def _messages_card(user) -> dict:
    from portal.services import frontdesk

    n = frontdesk.open_message_count(user)
    return {
        "title": _("My messages"),
        "value": n,
        "hint": ngettext("%(num)d open message", "%(num)d open messages", n),
        "tone": "warning" if n else "success",
        "url": url_for("frontdesk.inbox.messages"),
    }


def _requests_card(user) -> dict:
    from portal.services import frontdesk

    reqs = frontdesk.my_requests_summary(user)
    return {
        "title": _("My requests"),
        "value": None,
        "hint": None if reqs else _("No open requests."),
        "items": [
            (
                f"#{r.id} {r.title} — {frontdesk.REQUEST_STATUS_LABELS[r.status]}",
                url_for("frontdesk.requests.request_detail", request_id=r.id),
            )
            for r in reqs
        ],
        "url": url_for("frontdesk.requests.new_request"),
        "link_text": _("File a request"),
    }
