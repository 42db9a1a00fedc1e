"""Who may do what: staff report faults and see their own; back office runs the register."""

from __future__ import annotations

from portal.extensions import db
from portal.models.equipment import Fault
from tests.equipment.conftest import HX


def test_staff_cannot_see_the_register_but_can_report(client, login_as, staff, make_asset):
    asset = make_asset()
    login_as(staff)
    assert client.get("/equipment/").status_code == 403
    assert client.get(f"/equipment/{asset.id}").status_code == 403
    assert client.get("/equipment/export.csv").status_code == 403
    assert client.get("/equipment/costs").status_code == 403
    assert client.post(f"/equipment/{asset.id}/readings", data={"mono": "5"}).status_code == 403
    page = client.get(f"/equipment/{asset.id}/report")
    assert page.status_code == 200
    assert asset.asset_tag in page.get_data(as_text=True)
    # the label's short code opens the same report page
    assert client.get(f"/equipment/c/{asset.asset_tag.lower()}").status_code == 200


def test_staff_sees_only_their_own_reports(client, login_as, staff, make_user, make_asset):
    asset = make_asset()
    other = make_user(roles=["staff"])
    login_as(other)
    resp = client.post(f"/equipment/{asset.id}/report", data={"description": "Paper jam in tray 2"})
    assert resp.status_code == 303
    fault = db.session.scalars(db.select(Fault)).one()
    assert client.get(f"/equipment/faults/{fault.id}").status_code == 200
    login_as(staff)
    assert client.get(f"/equipment/faults/{fault.id}").status_code == 404
    assert client.get("/equipment/faults").status_code == 403


def test_back_office_and_manager_see_the_register(client, login_as, office, manager, make_asset):
    make_asset()
    for user in (office, manager):
        login_as(user)
        assert client.get("/equipment/").status_code == 200
        assert client.get("/equipment/costs").status_code == 200
        assert client.get("/equipment/dashboard").status_code == 200


def test_anonymous_htmx_gets_401_with_redirect(client):
    resp = client.get("/equipment/", headers=HX)
    assert resp.status_code == 401
    assert "/login" in resp.headers["HX-Redirect"]


def test_staff_sees_which_machines_are_down(client, login_as, office, staff, make_asset):
    from portal.services import equipment

    down = make_asset()
    make_asset()
    equipment.mark_out_of_order(down, actor=office)
    db.session.commit()
    login_as(staff)
    body = client.get("/equipment/report").get_data(as_text=True)
    section = body[body.index('id="machines-down"') :]
    assert down.asset_tag in section.split("</section>")[0]
