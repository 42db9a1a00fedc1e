"""Supplies forms (WTForms): errors next to the field, values kept, numbers in the user's format;
rows (Jinja partials) escape what the data holds."""

from __future__ import annotations

import re
from decimal import Decimal

from portal.extensions import db
from portal.models.supplies import Supplier, SupplyItem

HX = {"HX-Request": "true"}


def _item_data(catalogue, **changes):
    data = {
        "sku": "NEW-9",
        "name": "Grampeador de mesa",
        "category_id": catalogue["paper"].id,
        "supplier_id": catalogue["kalunga"].id,
        "unit": "un",
        "pack_size": "2",
        "unit_cost": "19.90",
        "reorder_point": "3",
        "par_level": "10",
        "location": "Armário B",
        "active": "y",
    }
    data.update(changes)
    return data


def test_one_bad_field_answers_422_next_to_it_and_keeps_the_rest(
    client, login_as, back_office, catalogue, rendered_templates
):
    login_as(back_office)
    resp = client.post("/supplies/items", data=_item_data(catalogue, unit_cost="doze reais"))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert rendered_templates[-1] == "supplies/item_form.html"
    # The message sits in the unit cost field's own error paragraph, which the input points at.
    error = re.search(r'<p class="field-error" id="unit_cost-error">([^<]*)</p>', body)
    assert error and "12.50" in error.group(1)
    assert 'aria-describedby="unit_cost-error"' in body
    assert body.count('class="field-error"') == 1
    # What the user typed is still there, the bad value included.
    for value in ("NEW-9", "Grampeador de mesa", "Armário B", "doze reais"):
        assert f'value="{value}"' in body, value
    assert re.search(rf'<option selected value="{catalogue["kalunga"].id}">', body)
    assert db.session.query(SupplyItem).filter_by(sku="NEW-9").count() == 0


def test_a_service_refusal_lands_on_its_field_too(client, login_as, back_office, catalogue):
    login_as(back_office)
    resp = client.post(
        "/supplies/items", data=_item_data(catalogue, reorder_point="12", par_level="4")
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="par_level-error">The par level must be at least', body)
    assert 'value="Grampeador de mesa"' in body


def test_amounts_in_the_users_format(client, login_as, back_office, make_user, catalogue):
    login_as(back_office)
    assert client.post("/supplies/items", data=_item_data(catalogue)).status_code == 303
    assert db.session.query(SupplyItem).filter_by(sku="NEW-9").one().unit_cost == Decimal("19.90")
    resp = client.post(
        "/supplies/suppliers",
        data={"name": "Atacadão", "order_email": "a@atacadao.test", "min_order_value": "1,234.50"},
    )
    assert resp.status_code == 303
    supplier = db.session.query(Supplier).filter_by(name="Atacadão").one()
    assert supplier.min_order_value == Decimal("1234.50")

    brazilian = make_user(roles=["back_office", "staff"], email="br@example.com", locale="pt_BR")
    login_as(brazilian)
    resp = client.post(
        "/supplies/items", data=_item_data(catalogue, sku="NEW-10", unit_cost="1.234,56")
    )
    assert resp.status_code == 303
    assert db.session.query(SupplyItem).filter_by(sku="NEW-10").one().unit_cost == Decimal(
        "1234.56"
    )
    # The form shows amounts back in the user's format.
    item = db.session.query(SupplyItem).filter_by(sku="NEW-10").one()
    page = client.get(f"/supplies/items/{item.id}/edit").get_data(as_text=True)
    assert 'value="1234,56"' in page
    bad = client.post(
        "/supplies/items", data=_item_data(catalogue, sku="NEW-11", unit_cost="12,5,0")
    )
    assert bad.status_code == 422
    assert "12,50" in bad.get_data(as_text=True)


def test_order_line_form_keeps_the_item_and_says_what_is_wrong(
    client, login_as, back_office, catalogue, make_order
):
    order = make_order(back_office, status="draft", lines=[(catalogue["a4"], 10)])
    login_as(back_office)
    resp = client.post(
        f"/supplies/orders/{order.id}/lines",
        data={"item_id": catalogue["a4"].id, "quantity": "muitos", "version": order.version},
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'id="quantity-error">Enter a whole number', body)
    assert f'<option selected value="{catalogue["a4"].id}">' in body
    assert 'value="muitos"' in body


HOSTILE = '<script>alert("x")</script>&'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;"


def test_hostile_names_are_escaped_in_list_and_detail_rows(
    client, login_as, manager, back_office, make_user, catalogue, make_order
):
    catalogue["a4"].name = f"Item {HOSTILE}"
    catalogue["kalunga"].name = f"Sup {HOSTILE}"
    db.session.commit()
    requester = make_user(roles=["back_office", "staff"], name=f"Req {HOSTILE}")
    order = make_order(requester, status="pending_approval", lines=[(catalogue["a4"], 10)])
    login_as(manager)
    pages = {
        "items": client.get("/supplies/items").get_data(as_text=True),
        "item": client.get(f"/supplies/items/{catalogue['a4'].id}").get_data(as_text=True),
        "orders": client.get("/supplies/orders").get_data(as_text=True),
        "order": client.get(f"/supplies/orders/{order.id}").get_data(as_text=True),
        "lines": client.get(f"/supplies/orders/{order.id}/lines", headers=HX).get_data(
            as_text=True
        ),
    }
    decided = client.post(
        f"/supplies/orders/{order.id}/approve", data={"version": order.version}, headers=HX
    )
    assert decided.status_code == 200
    pages["decided row"] = decided.get_data(as_text=True)
    assert f'id="queue-{order.id}"' in pages["decided row"]
    for name, body in pages.items():
        assert "<script>alert" not in body, name
    assert f"Item {ESCAPED}" in pages["items"] and f"Sup {ESCAPED}" in pages["items"]
    assert f"Item {ESCAPED}" in pages["item"]
    assert f"Sup {ESCAPED}" in pages["orders"] and f"Req {ESCAPED}" in pages["orders"]
    assert f"Item {ESCAPED}" in pages["order"] and f"Item {ESCAPED}" in pages["lines"]
    assert f"Sup {ESCAPED}" in pages["decided row"] and f"Req {ESCAPED}" in pages["decided row"]


def test_queue_rows_and_decided_row_come_from_one_partial(
    client, login_as, manager, back_office, catalogue, make_order, rendered_templates
):
    order = make_order(back_office, status="pending_approval", lines=[(catalogue["a4"], 1)])
    login_as(manager)
    page = client.get("/supplies/approvals", headers=HX)
    assert rendered_templates[-1] == "supplies/_partials/_queue.html"
    assert f'<article class="queue-row" id="queue-{order.id}">' in page.get_data(as_text=True)
    rendered_templates.clear()
    resp = client.post(
        f"/supplies/orders/{order.id}/approve", data={"version": order.version}, headers=HX
    )
    assert rendered_templates == ["supplies/_partials/_queue_row.html"]
    body = resp.get_data(as_text=True)
    assert f'<article class="queue-row decided" id="queue-{order.id}">' in body
    assert "Approved" in body and order.number in body
