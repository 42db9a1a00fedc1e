"""Supplies and purchasing: catalogue, stock, counts, suggestions, orders, approvals."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from flask import Blueprint, has_request_context, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("supplies", __name__, url_prefix="/supplies")


def _pending(user: Any) -> int:
    """Orders waiting for approval, shown to those who approve."""
    from portal.models.supplies import PENDING_APPROVAL
    from portal.services import supplies

    if not user.can("purchase.approve"):
        return 0
    return supplies.count_orders((PENDING_APPROVAL,))


# One entry: the area's pages are linked from its own sub-navigation.
ui.nav_item(_l("Supplies"), "supplies.items", "supplies.view", order=200, badge=_pending)


@ui.card("supplies-approvals", "purchase.approve", order=200)
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


@ui.card("supplies-spend", "purchase.approve", order=210)
def spend_card(user: Any) -> dict[str, Any]:
    from portal.services import supplies

    rows = [(c, used) for c, used in supplies.spend_by_category() if c.monthly_budget]
    total_budget = sum((c.monthly_budget for c, _u in rows), start=0)
    total_used = sum((u for _c, u in rows), start=0)
    pairs = [(c.name[:8], float(u)) for c, u in rows]
    return {
        "title": _("Spend this month"),
        "value": supplies.money(total_used),
        "hint": _("of %(budget)s budgeted", budget=supplies.money(total_budget)),
        "url": url_for("supplies.settings") if user.can("budgets.manage") else None,
        "tone": "danger" if total_budget and total_used > total_budget else "info",
        "chart": {
            "label": _("Spend by category this month"),
            "values": [v for _l2, v in pairs] or [0],
            "pairs": pairs,
        }
        if pairs
        else None,
        "items": [
            (
                _(
                    "%(cat)s: %(used)s of %(budget)s (%(pct)d%%)",
                    cat=c.name,
                    used=supplies.money(u),
                    budget=supplies.money(c.monthly_budget),
                    pct=int(u * 100 / c.monthly_budget),
                ),
                None,
            )
            for c, u in rows
        ],
    }


@ui.card("supplies-low", "supplies.view", order=220)
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


@ui.card("supplies-receive", "supplies.manage", order=230)
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


@ui.card("supplies-counts", "stock.count", order=240)
def counts_card(user: Any) -> dict[str, Any]:
    from portal.services import supplies

    n = supplies.open_counts()
    return {
        "title": _("Stock counts in progress"),
        "value": n,
        "url": url_for("supplies.counts"),
        "tone": "warning" if n else "neutral",
    }


# --- a faster "money" for long lists ----------------------------------------------------------


@lru_cache(maxsize=16)
def _brl_parts(locale: str) -> tuple[str, str, str, str, str, str]:
    from babel import Locale
    from babel.numbers import get_currency_symbol, get_decimal_symbol, get_group_symbol

    loc = Locale.parse(locale)
    pattern = loc.currency_formats["standard"]
    symbol = get_currency_symbol("BRL", loc)
    pos_prefix, neg_prefix = (p.replace("¤", symbol) for p in pattern.prefix)
    pos_suffix, neg_suffix = (s.replace("¤", symbol) for s in pattern.suffix)
    return (
        pos_prefix,
        pos_suffix,
        neg_prefix,
        neg_suffix,
        get_decimal_symbol(loc),
        get_group_symbol(loc),
    )


@bp.app_template_filter("brl")
def brl(value: Decimal | int | float | None) -> str:
    """The same text as the ``money`` filter (BRL by locale), built from a cached pattern.

    ``money`` re-reads the locale data for every call; the approval queue and the suggestions
    list format hundreds of amounts per page.  The pattern is cached per request, so e-mails
    rendered with ``force_locale`` must keep using ``money``.  tests/supplies/test_money.py pins
    the output.
    """
    # Once per request (kept on the WSGI environ, which lives exactly as long as the request):
    # the locale lookup costs more than the formatting.
    cache = request.environ if has_request_context() else {}
    parts = cache.get("portal.brl_parts")
    if parts is None:
        parts = cache["portal.brl_parts"] = _brl_parts(str(get_locale() or "en"))
    pos_p, pos_s, neg_p, neg_s, dec, group = parts
    amount = Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    digits = f"{abs(amount):,.2f}".replace(",", "\0").replace(".", dec).replace("\0", group)
    if amount < 0:
        return f"{neg_p}{digits}{neg_s}"
    return f"{pos_p}{digits}{pos_s}"


@bp.app_template_filter("qty")
def qty(value: int | None) -> str:
    """A whole quantity with the locale's digit grouping (1.234 in pt_BR), like ``number``
    for integers but from the cached pattern: lists show two quantities a row."""
    cache = request.environ if has_request_context() else {}
    parts = cache.get("portal.brl_parts")
    if parts is None:
        parts = cache["portal.brl_parts"] = _brl_parts(str(get_locale() or "en"))
    number = int(value or 0)
    if -1000 < number < 1000:
        return str(number)
    return f"{number:,}".replace(",", parts[5])


@bp.app_template_filter("po_number")
def po_number(order_id: int) -> str:
    from portal.models.supplies import order_number

    return order_number(order_id)


@bp.app_template_filter("short_datetime")
def short_datetime(value: Any) -> str:
    """The ``datetime`` filter's text (short format, the request's locale and zone) from a
    formatter looked up once per request: the approval queue shows one per row."""
    from portal import formatting

    if not value:
        return ""
    cache = request.environ if has_request_context() else {}
    render = cache.get("portal.short_datetime")
    if render is None:
        render = cache["portal.short_datetime"] = formatting.datetime_formatter("short")
    return render(value)
