"""Stock ledger, counts, suggestions, CSV import/export, the low-stock job."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import func, select

from portal.errors import InvalidTransition, ValidationError
from portal.extensions import db
from portal.models import Notification, User
from portal.models.supplies import StockMovement, SupplyItem, local_today
from portal.services import supplies
from tests.supplies.conftest import stock


def _ledger(item_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
            StockMovement.item_id == item_id
        )
    )


def test_issue_more_than_on_hand_is_refused(app, back_office, catalogue):
    a4 = catalogue["a4"]
    stock(a4, 3, back_office)
    with pytest.raises(ValidationError) as err:
        supplies.issue_stock(a4, quantity=4, actor=back_office)
    assert "Only 3 reams of A4 paper ream on hand" in err.value.message
    db.session.rollback()
    supplies.issue_stock(a4, quantity=3, actor=back_office, issued_to=back_office)
    db.session.commit()
    assert a4.on_hand == 0 == _ledger(a4.id)


def test_issue_form_shows_the_error_next_to_the_quantity(
    app, client, login_as, back_office, catalogue
):
    login_as(back_office)
    a4 = catalogue["a4"]
    resp = client.post(
        f"/supplies/items/{a4.id}/stock",
        data={"kind": "issue", "quantity": "2"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="stock-form"' in body and "field-error" in body and "<html" not in body
    ok = client.post(f"/supplies/items/{a4.id}/stock", data={"kind": "receipt", "quantity": "5"})
    assert ok.status_code == 303
    assert _ledger(a4.id) == 5


def test_concurrent_issues_never_go_negative(app, back_office, catalogue):
    """Ten people take one ream each from a shelf of five, at the same moment.

    (Ten threads: each holds a pooled connection while it waits at the barrier.)
    """
    a4_id = catalogue["a4"].id
    stock(catalogue["a4"], 5, back_office)
    actor_id = back_office.id
    db.session.remove()  # no read transaction of ours may block the writers (SQLite)
    barrier = threading.Barrier(10, timeout=20)
    outcomes: list[str] = []

    def worker():
        with app.app_context():
            try:
                item = db.session.get(SupplyItem, a4_id)
                actor = db.session.get(User, actor_id)
                db.session.commit()  # release the read snapshot; objects stay usable
                barrier.wait()
                supplies.issue_stock(item, quantity=1, actor=actor)
                db.session.commit()
                outcomes.append("ok")
            except ValidationError:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # SQLite: "database is locked" counts as refused
                db.session.rollback()
                outcomes.append(f"error:{type(exc).__name__}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    item = db.session.get(SupplyItem, a4_id)
    assert item.on_hand >= 0
    assert item.on_hand == _ledger(a4_id)
    assert outcomes.count("ok") == 5 - item.on_hand
    if db.engine.dialect.name == "postgresql":
        assert outcomes.count("ok") == 5 and outcomes.count("refused") == 5


def test_stock_count_posts_variances_in_one_go(app, client, login_as, back_office, catalogue):
    stock(catalogue["a4"], 8, back_office)
    stock(catalogue["pens"], 40, back_office)
    count = supplies.start_count(actor=back_office, category_id=catalogue["paper"].id)
    db.session.commit()
    lines = {ln.item.sku: ln for ln in supplies.count_lines(count)}
    assert set(lines) == {"PAP-A4", "PEN-BLU"}
    login_as(back_office)
    resp = client.post(
        f"/supplies/counts/{count.id}/lines/{lines['PAP-A4'].id}",
        data={"counted": "6"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200
    assert f'id="count-line-{lines["PAP-A4"].id}"' in resp.get_data(as_text=True)
    assert "-2" in resp.get_data(as_text=True)
    bad = client.post(
        f"/supplies/counts/{count.id}/lines/{lines['PEN-BLU'].id}",
        data={"counted": "lots"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422
    # Posting with an uncounted line is refused, nothing written.
    assert client.post(f"/supplies/counts/{count.id}/post").status_code == 422
    client.post(f"/supplies/counts/{count.id}/lines/{lines['PEN-BLU'].id}", data={"counted": "40"})
    assert client.post(f"/supplies/counts/{count.id}/post").status_code == 303
    db.session.expire_all()
    a4 = db.session.get(SupplyItem, catalogue["a4"].id)
    assert a4.on_hand == 6 == _ledger(a4.id)
    adjustments = db.session.scalars(
        select(StockMovement).where(StockMovement.count_id == count.id)
    ).all()
    assert [(m.kind, m.quantity) for m in adjustments] == [("adjustment", -2)]
    with pytest.raises(InvalidTransition):
        supplies.post_count(supplies.get_count_or_404(count.id), actor=back_office)


def test_suggestion_explains_itself(app, back_office, catalogue):
    stock(catalogue["a4"], 3, back_office)
    rows = {s.sku: s for s in supplies.suggestions()}
    a4 = rows["PAP-A4"]
    assert a4.explanation == ("on hand 3, on order 0, reorder point 5, par 20 → 17 → 2 packs of 10")
    assert a4.quantity == 20


def test_suggestion_explanation_agrees_with_the_number_of_packs_in_portuguese(
    app, back_office, catalogue
):
    """'1 embalagem', '2 embalagens' (and 'pack'/'packs'): the count picks the form."""
    from dataclasses import replace

    from flask_babel import force_locale

    stock(catalogue["a4"], 3, back_office)
    a4 = {s.sku: s for s in supplies.suggestions()}["PAP-A4"]
    one = replace(a4, packs=1)
    with force_locale("pt_BR"):
        assert a4.explanation.endswith("→ 17 → 2 embalagens de 10")
        assert one.explanation.endswith("→ 1 embalagem de 10")
    assert one.explanation.endswith("→ 1 pack of 10")


def test_goods_on_order_count_and_drafts_are_never_duplicated(
    app, client, login_as, back_office, catalogue
):
    stock(catalogue["a4"], 3, back_office)
    login_as(back_office)
    ids = [str(catalogue[k].id) for k in ("a4", "pens", "coffee")]
    resp = client.post("/supplies/suggestions/order", data={"items": ids})
    assert resp.status_code == 303
    orders = db.session.scalars(select(supplies.PurchaseOrder)).all()
    assert sorted(o.supplier.name for o in orders) == ["Café do Ponto", "Kalunga"]
    kalunga = next(o for o in orders if o.supplier.name == "Kalunga")
    assert sorted((ln.item.sku, ln.quantity) for ln in kalunga.lines) == [
        ("PAP-A4", 20),
        ("PEN-BLU", 100),
    ]
    # The same click again (double submit, another tab): everything is already on order.
    assert supplies.suggestions() == []
    again = client.post("/supplies/suggestions/order", data={"items": ids})
    assert again.status_code == 422
    assert db.session.scalar(select(func.count(supplies.PurchaseOrder.id))) == 2


def test_low_stock_job_notifies_once_a_day_and_only_new_items(app, back_office, catalogue):
    from worker.jobs.supplies import notify_low_stock

    bo_id = back_office.id
    assert notify_low_stock() == 3
    assert notify_low_stock() == 0  # same day: dedupe key
    count = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == bo_id, Notification.kind == "supplies.low_stock"
        )
    )
    assert count == 1
    # Next day: nothing new is low, so nobody is bothered.
    from datetime import timedelta

    assert supplies.notify_low_stock(today=local_today() + timedelta(days=1)) == 0


def test_csv_export_escapes_formulas(app, client, login_as, back_office, catalogue):
    catalogue["a4"].name = '=HYPERLINK("http://evil")'
    db.session.commit()
    login_as(back_office)
    body = client.get("/supplies/items.csv?status=all").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


def test_csv_import_all_or_nothing(app, client, login_as, back_office, catalogue):
    login_as(back_office)
    good = (
        "sku,name,category,unit,pack_size,supplier,unit_cost,reorder_point,par_level,location\n"
        'TON-HP,Toner HP 85A,Paper,un,1,Kalunga,"389,90",1,3,Cabinet\n'
        "PAP-A4,A4 paper ream (Chamex),Paper,ream,10,Kalunga,26.50,5,20,Shelf A\n"
    )
    bad = good + "X-1,,Paper,un,1,,1,0,0,\nX-2,Bad,Nope,un,1,,1,0,0,\nX-3,Par,Paper,un,1,,1,9,2,\n"
    resp = client.post(
        "/supplies/items/import",
        data={"file": (io.BytesIO(bad.encode()), "items.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "Enter a name." in page and "Unknown category" in page and "par level" in page
    assert db.session.scalar(select(func.count(SupplyItem.id))) == 3
    resp = client.post(
        "/supplies/items/import",
        data={"file": (io.BytesIO(good.encode()), "items.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    db.session.expire_all()
    toner = db.session.scalar(select(SupplyItem).where(SupplyItem.sku == "TON-HP"))
    assert str(toner.unit_cost) == "389.90"
    assert db.session.get(SupplyItem, catalogue["a4"].id).name == "A4 paper ream (Chamex)"


def test_item_form_validates_next_to_the_field(app, client, login_as, back_office, catalogue):
    login_as(back_office)
    resp = client.post(
        "/supplies/items",
        data={"sku": "PAP-A4", "name": "Dup", "category_id": catalogue["paper"].id},
    )
    assert resp.status_code == 422
    assert 'id="sku-error"' in resp.get_data(as_text=True)
    resp = client.post(
        "/supplies/items",
        data={
            "sku": "NEW-1",
            "name": "Stapler",
            "category_id": catalogue["paper"].id,
            "pack_size": "1",
            "unit_cost": "19,90",
            "reorder_point": "1",
            "par_level": "2",
            "active": "y",
        },
    )
    assert resp.status_code == 303


def test_items_page_search_and_fragment(app, client, login_as, back_office, catalogue):
    login_as(back_office)
    resp = client.get("/supplies/items?q=pens", headers={"HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.lstrip().startswith("{#") is False
    assert 'id="item-rows"' in body and "Blue pens" in body and "A4 paper" not in body
    assert "<html" not in body
    full = client.get("/supplies/items?q=pens").get_data(as_text=True)
    assert "<html" in full
