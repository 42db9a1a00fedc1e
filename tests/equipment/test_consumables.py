"""Consumables: linked by make and model, stock on the machine's page, issuing one to a machine
writes the stock ledger and the machine's history; which machines depend on an item."""

from __future__ import annotations

from portal.extensions import db
from portal.models.equipment import ConsumableUse, Event
from portal.models.supplies import StockMovement, SupplyItem
from portal.services import equipment
from tests.equipment.conftest import HX, reading


def test_link_issue_and_stock(client, login_as, office, make_asset, toner, department):
    from datetime import date

    asset = make_asset(department_id=department.id)
    same_model = make_asset()
    other = make_asset(make="HP", model="LaserJet P1102")
    reading(asset, office, date(2026, 1, 5), 10_000)
    login_as(office)
    resp = client.post(
        f"/equipment/{asset.id}/consumables",
        data={"item_id": str(toner.id), "yield_pages": "3000"},
        headers=HX,
    )
    assert resp.status_code == 200
    assert "Toner Brother TN-3442" in resp.get_data(as_text=True)
    # linking twice is refused next to the field
    resp = client.post(
        f"/equipment/{asset.id}/consumables", data={"item_id": str(toner.id)}, headers=HX
    )
    assert resp.status_code == 422 and 'id="item_id-error"' in resp.get_data(as_text=True)
    # the link is per make and model: the other Brother takes it too, the HP does not
    assert [n.item_id for n in equipment.needs_for(same_model)] == [toner.id]
    assert equipment.needs_for(other) == []
    machines = equipment.machines_for_items([toner.id])
    assert [m.asset_tag for m in machines[toner.id]] == [asset.asset_tag, same_model.asset_tag]
    # fitting one takes it out of stock and goes on the machine's history
    resp = client.post(
        f"/equipment/{asset.id}/issue", data={"item_id": str(toner.id), "quantity": "1"}, headers=HX
    )
    assert resp.status_code == 200
    assert db.session.get(SupplyItem, toner.id).on_hand == 4
    use = db.session.scalars(db.select(ConsumableUse)).one()
    movement = db.session.get(StockMovement, use.movement_id)
    assert movement.quantity == -1 and movement.department_id == department.id
    assert use.counter_at_issue == 10_000 and str(use.unit_cost) == "300.00"
    assert db.session.scalars(
        db.select(Event).where(Event.asset_id == asset.id, Event.kind == "consumable")
    ).one()
    # more than in stock is refused, nothing changes
    resp = client.post(
        f"/equipment/{asset.id}/issue", data={"item_id": str(toner.id), "quantity": "9"}, headers=HX
    )
    assert resp.status_code == 422
    assert db.session.get(SupplyItem, toner.id).on_hand == 4
    assert db.session.scalar(db.select(db.func.count(ConsumableUse.id))) == 1


def test_pages_printed_on_a_toner(office, make_asset, toner):
    from datetime import date

    asset = make_asset()
    equipment.link_item(asset, actor=office, item_id=toner.id, yield_pages=3000)
    reading(asset, office, date(2026, 1, 5), 10_000)
    equipment.issue_to_machine(asset, actor=office, item_id=toner.id)
    db.session.commit()
    reading(asset, office, equipment.today_local(), 12_500)
    (use,) = equipment.uses_for(asset)
    assert (use.pages_since, use.yield_pages) == (2_500, 3000)
