"""Equipment: the register, meter readings and cost per page, consumables, faults and repairs,
upkeep."""

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_symbol, get_decimal_symbol, get_group_symbol
from flask import Blueprint, Flask, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import ui
from portal.services import equipment
from portal.services.equipment import search as asset_search

PER_PAGE = Decimal("0.0001")

bp = Blueprint("equipment", __name__, url_prefix="/equipment")


def register(app: Flask) -> None:
    from portal.blueprints.equipment import supplies_hooks, views  # noqa: F401  (views import bp)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    registry.nav_item(_l("Equipment"), "equipment.index", "equipment.view", order=300)
    registry.nav_item(_l("Report a fault"), "equipment.report", "equipment.report_fault", order=310)
    registry.card("equipment.down", _down_card, "equipment.view", order=300)
    registry.notification_kind("equipment.fault", _l("Faults reported on equipment"))
    registry.notification_kind("equipment.status", _l("Machines I use out of order"))
    registry.notification_kind("equipment.repair", _l("Repairs waiting for the vendor"))
    registry.outbox_kind("repair_request", _l("Repair request to the vendor"))
    registry.notification_kind("equipment.reminder", _l("Equipment readings, upkeep and contracts"))
    registry.search_provider(
        "assets", _l("Equipment"), "equipment.view", asset_search.assets, order=100
    )
    # Supplies names the machines that use its items and issues toner "to" a machine.
    registry.item_machines_provider(
        supplies_hooks.machines_for_items,
        choices=supplies_hooks.machine_choices,
        issue=supplies_hooks.issue_to_machine,
    )
    # The front desk's built-in "Equipment fault" request type becomes a fault of this area.
    registry.request_type("equipment_fault", _l("Equipment fault"), on_filed=_fault_from_request)
    registry.periodic_job(
        "equipment-expiring", "worker.jobs.equipment.remind_expiring", cron="0 8 * * *"
    )
    registry.periodic_job(
        "equipment-readings-due", "worker.jobs.equipment.remind_readings", cron="0 9 1 * *"
    )
    registry.periodic_job(
        "equipment-upkeep-due", "worker.jobs.equipment.open_due_tasks", cron="30 7 * * *"
    )
    registry.periodic_job(
        "equipment-repairs-overdue", "worker.jobs.equipment.remind_overdue_repairs", interval=900
    )


@lru_cache(maxsize=32)
def _group_symbol(locale_name: str) -> str:
    return get_group_symbol(locale_name)


@bp.app_template_filter("count")
def count_text(value) -> str:
    """A whole number with the locale's digit grouping (12.345 / 12,345): page counters, many
    per page, without a full number-pattern format each."""
    return f"{int(value or 0):,}".replace(",", _group_symbol(str(get_locale() or "en")))


@lru_cache(maxsize=32)
def _page_cost_parts(locale_name: str) -> tuple[str, str, dict[int, str]]:
    """The locale's currency prefix and suffix for BRL and its decimal/group signs."""
    locale = Locale.parse(locale_name)
    pattern = locale.currency_formats["standard"]
    symbol = get_currency_symbol("BRL", locale=locale)
    prefix = pattern.prefix[0].replace("¤", symbol)
    suffix = pattern.suffix[0].replace("¤", symbol)
    signs = {ord(","): get_group_symbol(locale), ord("."): get_decimal_symbol(locale)}
    return prefix, suffix, signs


@bp.app_template_filter("page_cost")
def page_cost_text(value) -> str:
    """A price per page: four decimal places (R$ 0,0350), in the request's locale; the locale's
    pattern is read once, not on every row. Prices per page are never negative."""
    if value is None:
        return ""
    prefix, suffix, signs = _page_cost_parts(str(get_locale() or "en"))
    amount = Decimal(str(value)).quantize(PER_PAGE, ROUND_HALF_EVEN)
    return prefix + f"{amount:,.4f}".translate(signs) + suffix


def _fault_from_request(req) -> None:
    equipment.fault_from_request(req)


def _down_card(user) -> dict:
    counts = equipment.dashboard_counts()
    down = counts.get("out_of_order", 0) + counts.get("in_repair", 0)
    return {
        "title": _("Equipment"),
        "value": down,
        "hint": ngettext("%(num)d machine down", "%(num)d machines down", down),
        "tone": "danger" if counts.get("out_of_order") else "info",
        "items": [
            (
                _("Out of order: %(n)d", n=counts.get("out_of_order", 0)),
                url_for("equipment.index", status="out_of_order"),
            ),
            (
                _("In repair: %(n)d", n=counts.get("in_repair", 0)),
                url_for("equipment.index", status="in_repair"),
            ),
            (_("Open faults"), url_for("equipment.faults")),
        ],
        "url": url_for("equipment.dashboard"),
        "link_text": _("Open the equipment dashboard"),
    }
