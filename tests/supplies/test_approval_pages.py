"""Issue 16 through HTTP: the approve form asks for a reason beyond the budget (422 next to the
field, shown on the order once approved); overlapping absences are refused next to the field;
the queue sends several orders back with one reason and tells the badge to refresh; a count
line refuses a negative number next to the line and keeps what was saved after a reload; the
supplier form keeps language, contact and payment terms."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models.supplies import PurchaseOrder, Supplier, local_today
from portal.services import supplies


def test_over_budget_approval_asks_for_a_reason(
    app, client, login_as, manager, back_office, make_order, catalogue
):
    catalogue["coffee"].category.monthly_budget = Decimal("100.00")
    db.session.commit()
    order = make_order(back_office, status="pending_approval", lines=[(catalogue["coffee"], 3)])
    login_as(manager)
    page = client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    assert 'id="order-approvers"' in page and "Marcos Oliveira" in page
    assert 'name="budget_reason"' in page
    resp = client.post(f"/supplies/orders/{order.id}/approve", data={"version": order.version})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="budget-reason-' in body and "over its budget" in body
    assert db.session.get(PurchaseOrder, order.id).status == "pending_approval"
    resp = client.post(
        f"/supplies/orders/{order.id}/approve",
        data={"version": order.version, "budget_reason": "Board visit"},
    )
    assert resp.status_code == 303
    assert "supplies-approvals-changed" in resp.headers.get("HX-Trigger", "")
    page = client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    assert 'id="over-budget-reason">Board visit<' in page


def test_overlapping_absence_refused_next_to_the_field(app, client, login_as, manager, back_office):
    login_as(manager)
    today = local_today()
    data = {
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "delegate_id": back_office.id,
    }
    assert client.post("/supplies/absences", data=data).status_code == 303
    data["starts_on"] = (today + timedelta(days=2)).isoformat()
    data["ends_on"] = (today + timedelta(days=6)).isoformat()
    resp = client.post("/supplies/absences", data=data)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "already away" in body
    # Kept as typed.
    assert (today + timedelta(days=6)).isoformat() in body


def test_bulk_reject_and_badge(app, client, login_as, manager, back_office, make_order):
    a = make_order(back_office, status="pending_approval")
    b = make_order(back_office, status="pending_approval")
    login_as(manager)
    resp = client.get("/supplies/approvals/badge", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and ">2<" in resp.get_data(as_text=True)
    resp = client.post(
        "/supplies/approvals/bulk-reject",
        data={"orders": [f"{a.id}:{a.version}", f"{b.id}:{b.version}"], "reason": "Duplicado"},
    )
    assert resp.status_code == 303
    db.session.expire_all()
    assert {o.status for o in db.session.query(PurchaseOrder)} == {"draft"}
    assert {o.rejected_reason for o in db.session.query(PurchaseOrder)} == {"Duplicado"}
    resp = client.get("/supplies/approvals/badge", headers={"HX-Request": "true"})
    assert "delete:" in resp.get_data(as_text=True)


def test_count_line_refuses_negative_and_keeps_saved_values(
    app, client, login_as, back_office, catalogue
):
    count = supplies.start_count(actor=back_office)
    db.session.commit()
    line = supplies.count_lines(count)[0]
    login_as(back_office)
    url = f"/supplies/counts/{count.id}/lines/{line.id}"
    resp = client.post(url, data={"counted": "-2"}, headers={"HX-Request": "true"})
    assert resp.status_code == 422
    assert f'id="counted-{line.id}-error"' in resp.get_data(as_text=True)
    resp = client.post(url, data={"counted": "7"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert "count-line-saved" in resp.headers.get("HX-Trigger", "")
    page = client.get(f"/supplies/counts/{count.id}").get_data(as_text=True)
    assert 'name="counted" value="7"' in page
    assert 'id="count-progress"' in page and "1 of" in page
    assert "saved as soon as you change it" in page


def test_supplier_form_keeps_language_contact_and_terms(app, client, login_as, manager, catalogue):
    login_as(manager)
    supplier = catalogue["kalunga"]
    resp = client.post(
        f"/supplies/suppliers/{supplier.id}",
        data={
            "name": "Kalunga",
            "order_email": "pedidos@kalunga.test",
            "lead_time_days": "2",
            "min_order_value": "0",
            "active": "y",
            "language": "en",
            "contact_name": "Regina",
            "payment_terms": "Boleto 28 dias",
        },
    )
    assert resp.status_code == 303
    db.session.expire_all()
    s = db.session.get(Supplier, supplier.id)
    assert (s.language, s.contact_name, s.payment_terms) == ("en", "Regina", "Boleto 28 dias")
