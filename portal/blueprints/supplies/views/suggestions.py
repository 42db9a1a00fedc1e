"""Reorder suggestions: what to buy, and draft orders made from a selection."""

from __future__ import annotations

from typing import Any

from babel.numbers import get_decimal_symbol
from flask import flash, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal import formatting, htmx, ui
from portal.blueprints.supplies import bp, group_symbol
from portal.blueprints.supplies.forms import SuggestionsOrderForm
from portal.blueprints.supplies.views.common import grouped_int, url_pattern
from portal.pagination import page_arg
from portal.routing import id_arg
from portal.security import requires
from portal.services import supplies
from portal.services.supplies import units
from portal.web import unit_of_work

SUGGESTIONS_PER_PAGE = 50


class SuggestionRow:
    """One suggestion as the table shows it: every value already formatted for the locale."""

    __slots__ = (
        "amount",
        "explanation",
        "id",
        "machines",
        "name",
        "orderable",
        "quantity",
        "sku",
        "supplier",
    )

    def __init__(
        self, s: Any, *, texts: tuple[str, str, str], money, quantity, machines=()
    ) -> None:
        self.machines = machines  # the machines that take this item (equipment, via ui)
        self.id = s.item_id
        self.name = s.name
        self.sku = s.sku
        self.supplier = s.supplier
        self.orderable = s.supplier_id is not None
        self.quantity = units.quantity_with_unit(s.packs * s.pack_size, s, fmt=quantity)
        self.amount = money(s.amount)
        self.explanation = s.explain(*texts)


def _suggestions_page(form: SuggestionsOrderForm, status: int = 200):
    """The suggestions page: 50 a page (optionally one supplier's), labels translated once."""
    supplier_id = id_arg("supplier")
    page = supplies.suggestion_page(
        supplier_id=supplier_id, page=page_arg(), per_page=SUGGESTIONS_PER_PAGE
    )
    locale = str(get_locale() or "en")
    texts = (*supplies.explanation_texts(), get_decimal_symbol(locale))
    money = formatting.money_formatter()
    quantity = grouped_int(group_symbol(locale))
    machines = ui.machines_for_items(s.item_id for s in page.items)  # one query for the page
    return render_template(
        "supplies/suggestions.html",
        page=page,
        rows=[
            SuggestionRow(
                s, texts=texts, money=money, quantity=quantity, machines=machines.get(s.item_id, ())
            )
            for s in page.items
        ],
        item_url=url_pattern("supplies.item", "item_id"),
        suppliers=supplies.supplier_choices(),
        supplier_id=supplier_id,
        form=form,
    ), status


@bp.get("/suggestions")
@requires("supplies.view")
def suggestions():
    return _suggestions_page(SuggestionsOrderForm())


@bp.post("/suggestions/order")
@requires("purchase.create")
def suggestions_order():
    form = SuggestionsOrderForm()
    if form.validate():
        with unit_of_work(form) as work:
            orders = supplies.drafts_from_suggestions(form.item_ids(), actor=current_user)
        if work.ok:
            numbers = ", ".join(o.number for o in orders)
            flash(_("Draft orders created: %(numbers)s.", numbers=numbers), "success")
            if len(orders) == 1:
                return htmx.redirect_to(url_for("supplies.order", order_id=orders[0].id))
            return htmx.redirect_to(url_for("supplies.orders", status="draft"))
    return _suggestions_page(form, 422)
