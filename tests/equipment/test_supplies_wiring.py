"""The supplies area names the machines that use an item (reorder suggestions, the item's page)
and issues an item "to a machine" from its stock form: stock ledger and machine history in one
transaction.  Supplies imports nothing of equipment: the equipment area registers the hooks."""

from __future__ import annotations

from sqlalchemy import event

from portal.extensions import db
from portal.models.equipment import ConsumableUse, Event
from portal.models.supplies import StockMovement, SupplyItem
from portal.services import equipment


def _link(asset, office, item):
    equipment.link_item(asset, actor=office, item_id=item.id)
    db.session.commit()


def _low(item, reorder_point: int = 9) -> None:
    item.reorder_point = reorder_point
    item.par_level = reorder_point + 5
    db.session.commit()


def _queries(client, url: str) -> int:
    seen: list[str] = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return len(seen)


def test_suggestion_says_which_machines_take_the_item(
    client, login_as, office, manager, make_asset, toner
):
    first, second = make_asset(), make_asset()
    make_asset(make="HP", model="LaserJet P1102")  # another model: does not take this toner
    retired = make_asset()
    _link(first, office, toner)
    equipment.retire_asset(retired, actor=office, reason="Broken")
    db.session.commit()
    _low(toner)
    login_as(manager)
    body = client.get("/supplies/suggestions").get_data(as_text=True)
    row = body[body.index(f'id="suggestion-{toner.id}"') :].split("</tr>", 1)[0]
    assert "Used by:" in row
    assert f'href="/equipment/{first.id}"' in row and f'href="/equipment/{second.id}"' in row
    assert first.asset_tag in row and second.asset_tag in row
    assert retired.asset_tag not in row and "LaserJet" not in row


def test_suggestions_page_queries_do_not_grow_with_items_or_machines(
    client, login_as, office, manager, make_asset, toner
):
    from portal.models.supplies import SupplyItem

    _link(make_asset(), office, toner)
    _low(toner)
    login_as(manager)
    client.get("/supplies/suggestions")
    few = _queries(client, "/supplies/suggestions")
    for n in range(4):  # more low items, each taken by more machines
        item = SupplyItem(
            sku=f"TON-{n}",
            name=f"Toner {n}",
            category_id=toner.category_id,
            reorder_point=5,
            par_level=9,
            on_hand=0,
        )
        db.session.add(item)
        db.session.commit()
        machines = [make_asset(make="Ricoh", model=f"IM {n}") for _ in range(3)]
        _link(machines[0], office, item)  # the link is per model: all three take it
    many_body = client.get("/supplies/suggestions").get_data(as_text=True)
    assert many_body.count("Used by:") == 5
    assert _queries(client, "/supplies/suggestions") == few


def test_item_page_lists_the_machines_that_use_it(
    client, login_as, office, make_asset, toner, department
):
    asset = make_asset(floor="3º andar", room="Sala 301")
    _link(asset, office, toner)
    login_as(office)
    body = client.get(f"/supplies/items/{toner.id}").get_data(as_text=True)
    assert 'id="item-machines"' in body
    assert f'href="/equipment/{asset.id}"' in body and "3º andar / Sala 301" in body
    # the stock form offers the machines in service
    assert 'name="machine_id"' in body and f'value="{asset.id}"' in body


def test_issue_to_a_machine_from_the_stock_form(
    client, login_as, office, staff, make_asset, toner, department
):
    asset = make_asset(department_id=department.id)
    login_as(office)
    resp = client.post(
        f"/supplies/items/{toner.id}/stock",
        data={
            "kind": "issue",
            "quantity": "2",
            "machine_id": str(asset.id),
            "issued_to_id": str(staff.id),
            "reason": "Troca de toner",
        },
    )
    assert resp.status_code == 303
    assert db.session.get(SupplyItem, toner.id).on_hand == 3
    use = db.session.scalars(db.select(ConsumableUse)).one()
    assert use.asset_id == asset.id and use.quantity == 2
    movement = db.session.get(StockMovement, use.movement_id)
    assert movement.quantity == -2 and movement.issued_to_id == staff.id
    assert asset.asset_tag in movement.reason and "Troca de toner" in movement.reason
    assert movement.department_id == department.id  # the machine's department
    assert db.session.scalars(
        db.select(Event).where(Event.asset_id == asset.id, Event.kind == "consumable")
    ).one()
    # the ledger on the item's page names the machine
    assert asset.asset_tag in client.get(f"/supplies/items/{toner.id}").get_data(as_text=True)


def test_issue_to_an_unknown_or_retired_machine_is_422_and_saves_nothing(
    client, login_as, office, make_asset, toner
):
    retired = make_asset()
    equipment.retire_asset(retired, actor=office, reason="Broken")
    db.session.commit()
    login_as(office)
    for machine_id in (str(retired.id), "999999"):
        resp = client.post(
            f"/supplies/items/{toner.id}/stock",
            data={"kind": "issue", "quantity": "1", "machine_id": machine_id},
        )
        assert resp.status_code == 422
        body = resp.get_data(as_text=True)
        assert 'id="machine_id-error"' in body and "Choose a machine in service." in body
    # more than in stock: refused, nothing half-saved (no machine history without the ledger)
    asset = make_asset()
    resp = client.post(
        f"/supplies/items/{toner.id}/stock",
        data={"kind": "issue", "quantity": "50", "machine_id": str(asset.id)},
    )
    assert resp.status_code == 422
    assert db.session.get(SupplyItem, toner.id).on_hand == 5
    assert db.session.scalar(db.select(db.func.count(ConsumableUse.id))) == 0
    assert not db.session.scalars(db.select(Event).where(Event.kind == "consumable")).all()


def test_staff_cannot_issue_to_a_machine(client, login_as, staff, make_asset, toner):
    asset = make_asset()
    login_as(staff)
    resp = client.post(
        f"/supplies/items/{toner.id}/stock",
        data={"kind": "issue", "quantity": "1", "machine_id": str(asset.id)},
    )
    assert resp.status_code == 403
    assert db.session.scalar(db.select(db.func.count(ConsumableUse.id))) == 0
