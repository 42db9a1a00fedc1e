"""The catalogue: the item list, one item's page, its form and the CSV import."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal import formatting, htmx, ui
from portal.blueprints.supplies import bp, group_symbol
from portal.blueprints.supplies.forms import ImportForm, ItemForm, StockForm
from portal.blueprints.supplies.views.common import grouped_int, url_pattern
from portal.errors import ValidationError
from portal.exports import export_response
from portal.models.supplies import MOVEMENT_LABELS, SupplyItem
from portal.pagination import page_arg, paginate
from portal.routing import id_arg
from portal.security import requires
from portal.services import supplies
from portal.services.supplies import units
from portal.web import unit_of_work


class ItemRow:
    """One item as the catalogue's table shows it: numbers and money formatted once a page."""

    __slots__ = (
        "active",
        "category",
        "id",
        "location",
        "low",
        "name",
        "on_hand",
        "reorder_point",
        "sku",
        "supplier",
        "unit_cost",
    )

    def __init__(self, r: Any, *, money, quantity) -> None:
        self.id = r.id
        self.name = r.name
        self.sku = r.sku
        self.category = r.category
        self.supplier = r.supplier
        self.on_hand = units.quantity_with_unit(r.on_hand, r, fmt=quantity)
        self.reorder_point = quantity(r.reorder_point)
        self.unit_cost = money(r.unit_cost)
        self.location = r.location
        self.active = r.active
        self.low = r.low


def item_rows(rows: list[Any]) -> list[ItemRow]:
    money = formatting.money_formatter()
    quantity = grouped_int(group_symbol(str(get_locale() or "en")))
    return [ItemRow(r, money=money, quantity=quantity) for r in rows]


@bp.get("/")
@requires("supplies.view")
def index():
    return htmx.redirect_to(url_for("supplies.items"))


@bp.get("/items")
@requires("supplies.view")
def items():
    q = request.args.get("q", "")
    category_id = id_arg("category")
    status = request.args.get("status", "active")
    page = supplies.item_page(
        q=q,
        category_id=category_id,
        status=status,
        page=page_arg(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return htmx.render(
        "supplies/items.html",
        "supplies/_partials/_item_rows.html",
        page=page,
        rows=item_rows(page.items),
        item_url=url_pattern("supplies.item", "item_id"),
        q=q,
        category_id=category_id,
        status=status,
        categories=supplies.list_categories(),
    )


@bp.get("/items.csv")
@requires("supplies.view")
def items_export():
    stmt = supplies.list_items(
        q=request.args.get("q", ""),
        category_id=id_arg("category"),
        status=request.args.get("status", ""),
    )
    return export_response(supplies.export_items_csv(stmt), "items", title=_("Items"))


def _item_form(form: ItemForm, item: SupplyItem | None, status: int = 200):
    form.category_id.set_choices(supplies.list_categories())
    form.supplier_id.set_choices(supplies.list_suppliers_all(active_only=False))
    return htmx.render(
        "supplies/item_form.html",
        "supplies/item_form.html",
        form=form,
        item=item,
        status_code=status,
    )


@bp.get("/items/new")
@requires("supplies.manage")
def item_new():
    return _item_form(ItemForm(unit_kind="unit", pack_size=1, unit_cost=0), None)


@bp.post("/items")
@requires("supplies.manage")
def item_create():
    form = ItemForm()
    if form.validate():
        with unit_of_work(form) as work:
            item = supplies.save_item(None, actor=current_user, data=form.values())
        if work.ok:
            flash(_("Item %(name)s created.", name=item.name), "success")
            return htmx.redirect_to(url_for("supplies.item", item_id=item.id))
    return _item_form(form, None, 422)


@bp.get("/items/<int:item_id>")
@requires("supplies.view")
def item(item_id: int):
    item = supplies.get_item_or_404(item_id)
    return item_page(item, StockForm(), fragment="supplies/_partials/_movements.html")


def item_page(item: SupplyItem, form: StockForm, *, fragment: str, status: int = 200):
    """The item's page (facts, the stock form, the ledger); ``fragment`` for an htmx swap."""
    form.issued_to_id.set_choices(
        supplies.users_with_role("staff"),
        label=lambda p: f"{p.name} ({p.department})" if p.department else p.name,
    )
    form.machine_id.set_choices(ui.machine_choices())
    return htmx.render(
        "supplies/item.html",
        fragment,
        item=item,
        page=paginate(supplies.list_movements(item)),
        labels=MOVEMENT_LABELS,
        form=form,
        machines=ui.machines_for_items([item.id]).get(item.id, []),
        status_code=status,
    )


@bp.get("/items/<int:item_id>/edit")
@requires("supplies.manage")
def item_edit(item_id: int):
    item = supplies.get_item_or_404(item_id)
    return _item_form(ItemForm(obj=item).for_item(item), item)


@bp.post("/items/<int:item_id>")
@requires("supplies.manage")
def item_update(item_id: int):
    item = supplies.get_item_or_404(item_id)
    form = ItemForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplies.save_item(item, actor=current_user, data=form.values())
        if work.ok:
            flash(_("Item %(name)s saved.", name=item.name), "success")
            return htmx.redirect_to(url_for("supplies.item", item_id=item.id))
        item = supplies.get_item_or_404(item_id)
    return _item_form(form, item, 422)


@bp.get("/items/import")
@requires("supplies.manage")
def items_import_form():
    return render_template("supplies/import.html", form=ImportForm(), rows=[])


@bp.post("/items/import")
@requires("supplies.manage")
def items_import():
    form = ImportForm()
    rows: list = []
    if form.validate():
        with unit_of_work(form) as work:
            upload = form.file.data
            if upload is None or not getattr(upload, "filename", None):
                raise ValidationError(_("Choose a CSV file."), field="file")
            created, updated = supplies.import_items_csv(upload.read(), actor=current_user)
        if work.ok:
            flash(_("Imported: %(c)d new, %(u)d updated.", c=created, u=updated), "success")
            return htmx.redirect_to(url_for("supplies.items"))
        rows = getattr(work.error, "rows", None) or []
    return render_template("supplies/import.html", form=form, rows=rows), 422
