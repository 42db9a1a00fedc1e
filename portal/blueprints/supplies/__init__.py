"""Supplies and purchasing: catalogue, stock, counts, suggestions, orders, approvals."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import ui
from portal.models import users
from portal.models.supplies import delegated_permissions
from portal.services.supplies import units

bp = Blueprint("supplies", __name__, url_prefix="/supplies")


def register(app: Flask) -> None:
    from portal.blueprints.supplies import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    registry = ui.registry(app)
    # One entry: the area's pages are linked from its own sub-navigation.
    registry.nav_item(_l("Supplies"), "supplies.items", "supplies.view", order=200, badge=_pending)
    registry.card("supplies-approvals", approvals_card, "purchase.approve", order=200)
    registry.outbox_kind("supplier_order", _l("Order to a supplier"))
    registry.card("supplies-low", low_card, "supplies.view", order=220)
    registry.card("supplies-receive", receive_card, "supplies.manage", order=230)
    registry.card("supplies-counts", counts_card, "stock.count", order=240)
    for kind, label in (
        ("supplies.approval_needed", _l("Purchase orders waiting for approval")),
        ("supplies.order_decided", _l("My purchase orders approved or rejected")),
        ("supplies.escalated", _l("Purchase orders waiting too long")),
        ("supplies.low_stock", _l("Supplies running low")),
        ("supplies.delegation", _l("Approval delegations")),
    ):
        registry.notification_kind(kind, label)
    # A delegate holds purchase.approve while their manager is away (one process-wide list).
    if delegated_permissions not in users.PERMISSION_GRANTS:
        users.PERMISSION_GRANTS.append(delegated_permissions)
    from portal.services.supplies.handover import hand_over

    registry.handover_provider("supplies", _l("Purchase orders and approval stand-ins"), hand_over)
    jobs = "worker.jobs.supplies"
    registry.periodic_job("supplies-escalate", f"{jobs}.escalate_waiting_orders", interval=3600)
    registry.periodic_job("supplies-low-stock", f"{jobs}.notify_low_stock", interval=3600)
    registry.periodic_job("supplies-sync-sent", f"{jobs}.sync_sent_orders", interval=60)


def _pending(user: Any) -> int:
    """Orders waiting for approval, shown to those who approve."""
    from portal.models.supplies import PENDING_APPROVAL
    from portal.services import supplies

    if not user.can("purchase.approve"):
        return 0
    return supplies.count_orders((PENDING_APPROVAL,))


def approvals_card(user: Any) -> dict[str, Any]:
    from portal.models.supplies import PENDING_APPROVAL
    from portal.services import supplies

    n = supplies.count_orders((PENDING_APPROVAL,))
    return {
        "title": _("Orders to approve"),
        "value": n,
        "hint": _("Oldest first, with the budget each would use."),
        "url": url_for("supplies.queue"),
        "tone": "warning" if n else "success",
    }


def low_card(user: Any) -> dict[str, Any]:
    from portal.services import supplies

    n = supplies.low_stock_count()
    return {
        "title": _("Reorder suggestions"),
        "value": n,
        "hint": _("Items at or below their reorder point, counting what is on order."),
        "url": url_for("supplies.suggestions"),
        "tone": "warning" if n else "success",
    }


def receive_card(user: Any) -> dict[str, Any]:
    from portal.models.supplies import RECEIVABLE_STATUSES
    from portal.services import supplies

    n = supplies.count_orders(RECEIVABLE_STATUSES)
    return {
        "title": _("Orders to receive"),
        "value": n,
        "url": url_for("supplies.orders", status="open"),
        "tone": "info",
    }


def counts_card(user: Any) -> dict[str, Any]:
    from portal.services import supplies

    n = supplies.open_counts()
    return {
        "title": _("Stock counts in progress"),
        "value": n,
        "url": url_for("supplies.counts"),
        "tone": "warning" if n else "neutral",
    }


# --- quantities in long lists ----------------------------------------------------------------


@lru_cache(maxsize=16)
def group_symbol(locale: str) -> str:
    """The locale's digit-grouping sign ("," in English, "." in pt_BR)."""
    from babel.numbers import get_group_symbol

    return get_group_symbol(locale)


@bp.app_template_filter("qty")
def qty(value: int | None) -> str:
    """A whole quantity with the locale's digit grouping (1.234 in pt_BR), like ``number``
    for integers without Babel's decimal machinery: lists show two quantities a row."""
    from portal.blueprints.supplies.views.common import grouped_int

    return grouped_int(group_symbol(str(get_locale() or "en")))(value)


@bp.app_template_filter("qty_unit")
def qty_unit(value: int | None, item: Any) -> str:
    """ "3 caixas": a quantity with its item's unit agreeing with it (services.supplies.units);
    ``item`` is an item or any row with ``unit_kind``, ``unit`` and ``unit_plural``."""
    return units.quantity_with_unit(value, item, fmt=qty)


@bp.app_template_filter("po_number")
def po_number(order_id: int) -> str:
    from portal.models.supplies import order_number

    return order_number(order_id)
