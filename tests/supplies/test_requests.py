"""Supply requests filed at the front desk: issue from stock, order the shortfall."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models.supplies import PurchaseOrder, StockMovement
from portal.services import frontdesk, supplies
from tests.supplies.conftest import stock


def test_fulfil_issues_stock_and_orders_the_shortfall(
    app, client, login_as, make_user, back_office, catalogue
):
    staff = make_user(roles=["staff"], name="Lucas Ferreira")
    stock(catalogue["a4"], 3, back_office)
    req = frontdesk.file_request(
        requester=staff,
        type="supplies",
        title="Papel e canetas",
        description="5 resmas de A4 e 10 canetas azuis",
    )
    db.session.commit()
    login_as(back_office)
    assert "Papel e canetas" in client.get("/supplies/requests").get_data(as_text=True)
    bad = client.post(f"/supplies/requests/{req.id}", data={"item-0": "", "qty-0": "x"})
    assert bad.status_code == 422
    resp = client.post(
        f"/supplies/requests/{req.id}",
        data={
            "item-0": catalogue["a4"].id,
            "qty-0": "5",
            "item-1": catalogue["pens"].id,
            "qty-1": "10",
        },
    )
    assert resp.status_code == 303
    db.session.expire_all()
    issue = db.session.scalar(select(StockMovement).where(StockMovement.kind == "issue"))
    assert issue.quantity == -3 and issue.issued_to_id == staff.id
    draft = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.status == "draft"))
    assert sorted((ln.item.sku, ln.quantity) for ln in draft.lines) == [
        ("PAP-A4", 10),
        ("PEN-BLU", 50),  # shortfalls 2 and 10, rounded up to whole packs
    ]
    req = supplies.get_supply_request_or_404(req.id)
    assert req.status == "in_progress"
    assert "To be ordered" in req.comments[-1].body and draft.number in req.comments[-1].body
