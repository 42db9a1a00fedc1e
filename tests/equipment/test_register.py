"""The register: create with field errors, filters, pagination, retire, held by a person."""

from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.models import AuditEntry
from portal.models.equipment import Asset
from portal.services import equipment
from tests.equipment.conftest import HX


def _form(**overrides):
    data = {
        "asset_tag": "cop-0001",
        "type": "copier",
        "make": "Ricoh",
        "model": "IM 430",
        "serial": "RC-1",
        "vendor_locale": "pt_BR",
    }
    data.update(overrides)
    return data


def test_create_asset_and_duplicate_tag_or_serial_is_422(client, login_as, office):
    login_as(office)
    resp = client.post("/equipment/", data=_form())
    assert resp.status_code == 303
    asset = db.session.scalars(db.select(Asset)).one()
    assert asset.asset_tag == "COP-0001"  # tags are upper case
    resp = client.post("/equipment/", data=_form(serial="RC-2"))
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="asset_tag-error"' in body and "Another asset already has this tag." in body
    resp = client.post("/equipment/", data=_form(asset_tag="COP-0002", serial="rc-1"))
    assert resp.status_code == 422
    assert 'id="serial-error"' in resp.get_data(as_text=True)
    resp = client.post("/equipment/", data=_form(asset_tag="COP-0003", type="", serial=""))
    assert resp.status_code == 422
    assert 'id="type-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Asset.id))) == 1
    assert db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "equipment.asset.created")
    ).one()


def test_filters_and_search(client, login_as, office, staff, make_asset):
    make_asset(
        asset_tag="NB-0001", type="laptop", make="Dell", model="Latitude", holder_id=staff.id
    )
    soon = equipment.today_local() + timedelta(days=20)
    make_asset(asset_tag="PRN-0002", contract_end=soon)
    make_asset(asset_tag="PRN-0003", floor="3º andar")
    login_as(office)
    body = client.get("/equipment/?type=laptop").get_data(as_text=True)
    assert "NB-0001" in body and "PRN-0002" not in body
    body = client.get("/equipment/?expiring=1").get_data(as_text=True)
    assert "PRN-0002" in body and "PRN-0003" not in body
    body = client.get(f"/equipment/?holder={staff.id}").get_data(as_text=True)
    assert "NB-0001" in body and "PRN-0002" not in body
    body = client.get("/equipment/?floor=3º andar").get_data(as_text=True)
    assert "PRN-0003" in body and "NB-0001" not in body
    body = client.get("/equipment/?q=ana").get_data(as_text=True)  # the holder's name
    assert "NB-0001" in body and "PRN-0003" not in body


def test_fragment_for_htmx_page_otherwise(client, login_as, office, make_asset, rendered_templates):
    make_asset()
    login_as(office)
    client.get("/equipment/", headers=HX)
    assert rendered_templates[-1] == "equipment/_partials/_asset_list.html"
    rendered_templates.clear()
    client.get("/equipment/")
    assert rendered_templates[0] == "equipment/index.html"


def test_pagination(client, login_as, office, make_asset, app):
    app.config["PAGE_SIZE"] = 5
    for _ in range(12):
        make_asset()
    login_as(office)
    first = client.get("/equipment/").get_data(as_text=True)
    assert "PRN-0001" in first and "PRN-0005" in first and "PRN-0006" not in first
    third = client.get("/equipment/?page=3").get_data(as_text=True)
    assert "PRN-0011" in third and "PRN-0012" in third and "PRN-0010" not in third
    assert "12 items" in third
    past = client.get("/equipment/?page=99").get_data(as_text=True)  # shows the last page
    assert "PRN-0012" in past


def test_retire_needs_a_reason_and_hides_the_asset(client, login_as, office, make_asset):
    asset = make_asset()
    login_as(office)
    # the machine's page links to the retire page (the form is not carried by every visit)
    page = client.get(f"/equipment/{asset.id}").get_data(as_text=True)
    assert f'href="/equipment/{asset.id}/retire"' in page and 'id="retire-form"' not in page
    form = client.get(f"/equipment/{asset.id}/retire").get_data(as_text=True)
    assert 'id="retire-form"' in form and 'name="reason"' in form
    resp = client.post(f"/equipment/{asset.id}/retire", data={"reason": " "})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Say why the asset is retired." in body and 'id="reason-error"' in body
    assert asset.status == "in_use"
    resp = client.post(f"/equipment/{asset.id}/retire", data={"reason": "Broken beyond repair"})
    assert resp.status_code == 303
    db.session.refresh(asset)
    assert asset.status == "retired" and asset.retired_reason == "Broken beyond repair"
    row = f'id="asset-{asset.id}"'
    assert row not in client.get("/equipment/").get_data(as_text=True)
    assert row in client.get("/equipment/?status=all").get_data(as_text=True)


def test_assets_held_by(make_asset, staff):
    make_asset(
        asset_tag="NB-0100", type="laptop", make="Dell", model="Latitude", holder_id=staff.id
    )
    make_asset(asset_tag="PH-0100", type="phone", make="Moto", model="G84", holder_id=staff.id)
    make_asset(asset_tag="PRN-0100")
    rows = equipment.assets_held_by(staff.id)
    assert [(r.asset_tag, r.type, r.make, r.model) for r in rows] == [
        ("NB-0100", "laptop", "Dell", "Latitude"),
        ("PH-0100", "phone", "Moto", "G84"),
    ]
    assert rows[0].serial and rows[0].id


def test_out_of_order_then_back_in_use_measures_downtime(
    client, login_as, office, staff, make_asset, department
):
    from portal.models import Notification
    from portal.models.equipment import Downtime
    from portal.services.notifications import render

    asset = make_asset(department_id=department.id)
    login_as(office)
    assert client.post(f"/equipment/{asset.id}/out-of-order").status_code == 303
    db.session.refresh(asset)
    assert asset.status == "out_of_order"
    # the people who use it (its department) are told
    note = db.session.scalars(db.select(Notification).where(Notification.user_id == staff.id)).one()
    assert asset.asset_tag in render(note)
    login_as(staff)
    body = client.get(f"/equipment/{asset.id}/report").get_data(as_text=True)
    assert "Out of order since" in body
    login_as(office)
    period = db.session.scalars(db.select(Downtime)).one()
    period.started_at -= timedelta(hours=3)
    db.session.commit()
    assert client.post(f"/equipment/{asset.id}/back-in-use").status_code == 303
    period = db.session.scalars(db.select(Downtime)).one()
    assert period.ended_at is not None and 179 <= period.minutes <= 181


def test_header_search_finds_assets_for_back_office_only(
    client, login_as, office, staff, make_asset
):
    make_asset(asset_tag="PRN-0777", room="Sala Azul")
    login_as(office)
    body = client.get("/search/?q=sala azul").get_data(as_text=True)
    assert "PRN-0777" in body
    login_as(staff)
    body = client.get("/search/?q=sala azul").get_data(as_text=True)
    assert "PRN-0777" not in body


def test_printable_label_shows_tag_and_short_address(client, login_as, office, staff, make_asset):
    asset = make_asset(asset_tag="PRN-0777", contract_number="CT-12")
    login_as(office)
    page = client.get(f"/equipment/{asset.id}").get_data(as_text=True)
    assert f"/equipment/{asset.id}/label" in page
    resp = client.get(f"/equipment/{asset.id}/label")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<p class="label-tag">PRN-0777</p>' in body
    # the short address on PORTAL_BASE_URL (it may wrap after a slash)
    assert "portal.test/equipment/c/PRN-0777" in body.replace("<wbr>", "")
    assert 'href="/equipment/label.css"' in body and "CT-12" in body
    css = client.get("/equipment/label.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "@media print" in css.get_data(as_text=True)
    # The short address opens the report page for that machine (the code is case-insensitive).
    login_as(staff)
    assert "PRN-0777" in client.get("/equipment/c/prn-0777").get_data(as_text=True)
    assert client.get(f"/equipment/{asset.id}/label").status_code == 403  # staff: no register
