"""Every supplies CSV (items, orders, the order sent to the supplier) stays formula-free in a
spreadsheet that splits on ",", ";" or a tab (issue 10, item 7)."""

from __future__ import annotations

import csv
import io

from portal.extensions import db
from portal.models import User
from portal.models.supplies import PurchaseOrder, Supplier, SupplyCategory, SupplyItem
from portal.services import supplies
from tests.csv_formulas import HOSTILE, assert_formula_free


def _hostile_catalogue(catalogue, value: str) -> None:
    item = db.session.get(SupplyItem, catalogue["a4"].id)
    item.name = f"{value} name"
    item.unit_kind = "other"  # typed unit names travel to every export
    item.unit = value[:20]
    item.unit_plural = value[:20]
    item.location = value
    db.session.get(Supplier, catalogue["kalunga"].id).name = f"{value} supplier"
    db.session.get(SupplyCategory, catalogue["paper"].id).name = f"{value} cat"[:80]
    db.session.commit()


def test_item_export_is_formula_free_for_both_separators(
    app, client, login_as, back_office, catalogue
):
    login_as(back_office)
    for value in HOSTILE:
        _hostile_catalogue(catalogue, value)
        body = client.get("/supplies/items.csv?status=all").get_data(as_text=True)
        assert_formula_free(body)
        # Read with the separator it was written with, the text is all there.
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))
        a4 = next(r for r in rows if r["sku"] == "PAP-A4")
        assert a4["name"].replace("'", "") == f"{value} name".replace("'", "")


def test_order_export_is_formula_free_for_both_separators(
    app, client, login_as, manager, back_office, catalogue, make_order
):
    order = make_order(back_office, status="approved", approver=manager)
    login_as(back_office)
    for value in HOSTILE:
        _hostile_catalogue(catalogue, value)
        db.session.get(User, back_office.id).name = f"{value} requester"
        db.session.get(User, manager.id).name = f"{value} approver"
        db.session.commit()
        body = client.get("/supplies/orders.csv").get_data(as_text=True)
        assert_formula_free(body)
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))
        assert [r["Order"] for r in rows] == [order.number]


def test_order_sent_to_the_supplier_is_formula_free(
    app, manager, back_office, catalogue, make_order
):
    order = make_order(back_office, status="approved", approver=manager)
    for value in HOSTILE:
        _hostile_catalogue(catalogue, value)
        db.session.get(SupplyItem, catalogue["a4"].id).sku = value[:40]
        db.session.commit()
        body = supplies.order_csv(db.session.get(PurchaseOrder, order.id)).decode("utf-8")
        assert_formula_free(body)
