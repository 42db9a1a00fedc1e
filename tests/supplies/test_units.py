"""Units agree with their quantity: "1 caixa", "3 caixas", never "3 frasco" or "1 embalagens"
(issue 17).  Known units are translated with their plurals; a typed unit keeps both words."""

from __future__ import annotations

import io

from flask_babel import force_locale
from sqlalchemy import select

from portal.exports import read_csv_rows
from portal.extensions import db
from portal.models.supplies import SupplyItem
from portal.services.supplies import units
from tests.supplies.conftest import stock


def test_known_units_follow_the_portuguese_plural_rule(app, catalogue):
    box = SupplyItem(unit_kind="box", unit="box")
    with app.test_request_context(), force_locale("pt_BR"):
        # CLDR / the catalogue's Plural-Forms for pt: 0 and 1 take the singular.
        assert [units.quantity_with_unit(n, box) for n in (0, 1, 2, 3)] == [
            "0 caixa",
            "1 caixa",
            "2 caixas",
            "3 caixas",
        ]
        package = SupplyItem(unit_kind="package", unit="package")
        assert units.quantity_with_unit(1, package) == "1 embalagem"
        assert units.quantity_with_unit(5, package) == "5 embalagens"
        bottle = SupplyItem(unit_kind="bottle", unit="bottle")
        assert units.quantity_with_unit(3, bottle) == "3 frascos"
    with app.test_request_context(), force_locale("en"):
        assert units.quantity_with_unit(1, box) == "1 box"
        assert units.quantity_with_unit(0, box) == "0 boxes"  # English: only 1 is singular
        assert units.quantity_with_unit(3, box) == "3 boxes"


def test_a_typed_unit_keeps_its_singular_and_plural(app):
    envelope = SupplyItem(unit_kind="other", unit="envelope", unit_plural="envelopes")
    with app.test_request_context(), force_locale("pt_BR"):
        assert units.quantity_with_unit(1, envelope) == "1 envelope"
        assert units.quantity_with_unit(0, envelope) == "0 envelope"
        assert units.quantity_with_unit(4, envelope) == "4 envelopes"


def test_old_free_text_maps_to_known_units(app):
    assert units.from_text("Cx.") == ("box", "box", "box")
    assert units.from_text("embalagens") == ("package", "package", "package")
    assert units.from_text("Frasco") == ("bottle", "bottle", "bottle")
    assert units.from_text("envelope", "envelopes") == ("other", "envelope", "envelopes")
    assert units.from_text("saco") == ("other", "saco", "saco")


def test_items_created_with_free_text_get_their_kind(app, catalogue):
    """The catalogue fixture creates items with ``unit="ream"``/``"un"``/``"kg"`` only."""
    db.session.expire_all()
    kinds = {i.sku: (i.unit_kind, i.unit_plural) for i in db.session.scalars(select(SupplyItem))}
    assert kinds == {"PAP-A4": ("ream", None), "PEN-BLU": ("unit", None), "CAF-1KG": ("kg", None)}


def test_pages_show_quantities_with_agreeing_units(
    app, client, login_as, make_user, back_office, catalogue, make_order
):
    stock(catalogue["a4"], 1, back_office)
    user = login_as(make_user(roles=["back_office", "office_manager", "staff"], locale="pt_BR"))
    item_page = client.get(f"/supplies/items/{catalogue['a4'].id}").get_data(as_text=True)
    assert "1 resma" in item_page and "10 resmas" in item_page  # on hand, pack size
    listing = client.get("/supplies/items").get_data(as_text=True)
    assert "1 resma" in listing and "0 unidade" in listing
    order = make_order(user, status="draft", lines=[(catalogue["a4"], 3)])
    assert "3 resmas" in client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    suggestions = client.get("/supplies/suggestions").get_data(as_text=True)
    assert "resmas" in suggestions  # a suggestion of 20 reams


def test_item_form_picks_a_unit_or_types_both_words(app, client, login_as, back_office, catalogue):
    login_as(back_office)
    base = {"sku": "ENV-1", "name": "Envelopes", "category_id": catalogue["paper"].id}
    resp = client.post("/supplies/items", data={**base, "unit_kind": "other"})
    assert resp.status_code == 422
    assert "Enter the unit&#39;s name in the singular." in resp.get_data(as_text=True)
    resp = client.post(
        "/supplies/items",
        data={**base, "unit_kind": "other", "unit": "envelope", "unit_plural": "envelopes"},
    )
    assert resp.status_code == 303
    item = db.session.scalar(select(SupplyItem).where(SupplyItem.sku == "ENV-1"))
    assert (item.unit_kind, item.unit, item.unit_plural) == ("other", "envelope", "envelopes")
    resp = client.post(f"/supplies/items/{item.id}", data={**base, "unit_kind": "box"})
    assert resp.status_code == 303
    db.session.expire_all()
    item = db.session.get(SupplyItem, item.id)
    assert (item.unit_kind, item.unit_plural) == ("box", None)
    assert client.post("/supplies/items", data={**base, "unit_kind": "bogus"}).status_code == 422


def test_export_writes_both_words_and_imports_back(app, client, login_as, make_user, catalogue):
    login_as(make_user(roles=["back_office", "staff"], locale="pt_BR"))
    item = db.session.get(SupplyItem, catalogue["a4"].id)
    item.unit_kind, item.unit, item.unit_plural = "other", "bloco", "blocos"
    db.session.commit()
    body = client.get("/supplies/items.csv?status=all").get_data(as_text=True)
    rows = read_csv_rows(body)
    header = rows[0]
    by_sku = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_sku["PAP-A4"]["unit"] == "bloco" and by_sku["PAP-A4"]["unit_plural"] == "blocos"
    assert by_sku["CAF-1KG"]["unit"] == "kg"
    assert by_sku["PEN-BLU"]["unit"] == "unidade" and by_sku["PEN-BLU"]["unit_plural"] == "unidades"
    assert by_sku["PAP-A4"]["unit_cost"] == "25,90"  # decimal comma in pt_BR
    # The same file (";" and decimal comma) imports back unchanged.
    resp = client.post(
        "/supplies/items/import",
        data={"file": (io.BytesIO(body.encode("utf-8")), "items.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    db.session.expire_all()
    again = {
        i.sku: (i.unit_kind, i.unit, i.unit_plural) for i in db.session.scalars(select(SupplyItem))
    }
    assert again["PAP-A4"] == ("other", "bloco", "blocos")
    assert again["PEN-BLU"][0] == "unit" and again["CAF-1KG"][0] == "kg"
