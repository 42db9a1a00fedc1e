"""CSV exports follow the list's filters and are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from portal.extensions import db
from portal.models.supplies import Supplier


def _rows(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_order_export_follows_the_list_filters(
    app, client, login_as, manager, back_office, catalogue, make_order
):
    draft = make_order(back_office, status="draft")
    pending = make_order(back_office, status="pending_approval")
    approved = make_order(
        back_office,
        status="approved",
        approver=manager,
        lines=[(catalogue["coffee"], 2)],
    )
    login_as(back_office)

    everything = _rows(client.get("/supplies/orders.csv"))
    assert [r["Order"] for r in everything] == [approved.number, pending.number, draft.number]
    row = everything[0]
    assert row["Status"] == "Approved"  # the label, not the code
    assert row["Supplier"] == "Café do Ponto"
    assert row["Category"] == "Coffee"
    assert row["Requested by"] == "Juliana Costa"
    assert row["Approved by"] == "Marcos Oliveira"
    assert row["Lines"] == "1"
    assert row["Total (R$)"] == "108.00"
    # Local time to the minute, never UTC ISO with microseconds.
    assert len(row["Approved"]) == len("2026-12-03 10:05") and "." not in row["Created"]

    pending_only = _rows(client.get("/supplies/orders.csv?status=pending_approval"))
    assert [r["Order"] for r in pending_only] == [pending.number]
    open_orders = _rows(client.get("/supplies/orders.csv?status=open"))
    assert {r["Order"] for r in open_orders} == {draft.number, pending.number, approved.number}
    by_supplier = _rows(client.get("/supplies/orders.csv?q=caf"))
    assert [r["Order"] for r in by_supplier] == [approved.number]
    by_number = _rows(client.get(f"/supplies/orders.csv?q={draft.number}"))
    assert [r["Order"] for r in by_number] == [draft.number]

    # The page links to the export with its current filters (also in the htmx fragment).
    fragment = client.get(
        "/supplies/orders?status=pending_approval", headers={"HX-Request": "true"}
    )
    assert "/supplies/orders.csv?status=pending_approval" in fragment.get_data(as_text=True)


def test_order_export_neutralises_formulas(
    app, client, login_as, back_office, catalogue, make_order
):
    supplier = db.session.get(Supplier, catalogue["kalunga"].id)
    supplier.name = '=HYPERLINK("http://evil")'
    db.session.commit()
    make_order(back_office, status="draft")
    login_as(back_office)
    body = client.get("/supplies/orders.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body and '"=HYPERLINK' not in body


def test_item_export_link_follows_the_filters(app, client, login_as, back_office, catalogue):
    login_as(back_office)
    page = client.get(
        f"/supplies/items?status=low&category={catalogue['paper'].id}",
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert f"/supplies/items.csv?category={catalogue['paper'].id}&amp;status=low" in page
    rows = _rows(client.get(f"/supplies/items.csv?category={catalogue['paper'].id}&status=low"))
    assert sorted(r["sku"] for r in rows) == ["PAP-A4", "PEN-BLU"]


def test_export_needs_supplies_access(client, login_as, make_user):
    login_as(make_user(roles=["hr_manager"]))
    assert client.get("/supplies/orders.csv").status_code == 403
