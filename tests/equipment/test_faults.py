"""Faults: checklist first, solved by the user, photos checked, the vendor called exactly once,
the repair closed with a cost, downtime measured; faults filed as staff requests."""

from __future__ import annotations

import io

from PIL import Image

from portal.extensions import db
from portal.models.equipment import Asset, ChecklistStep, Fault, Repair
from portal.models.outbox import OutboundMessage
from portal.services import equipment


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def _step(office, **kw):
    step = equipment.add_step(
        actor=office,
        asset_type="printer",
        model=kw.get("model"),
        title=kw.get("title", "Paper jam in tray 2: open door B"),
        body="Pull the green lever.",
    )
    db.session.commit()
    return step


def test_checklist_then_solved_by_the_user(client, login_as, office, staff, make_asset):
    asset = make_asset()
    step = _step(office)
    _step(office, model="Brother HL-L5102", title="Reset the fuser")
    _step(office, model="HP Other", title="Not for this model")
    login_as(staff)
    body = client.get(f"/equipment/{asset.id}/report").get_data(as_text=True)
    assert "Paper jam in tray 2" in body and "Reset the fuser" in body
    assert "Not for this model" not in body
    assert body.index("Reset the fuser") < body.index("Paper jam")  # the model's steps first
    resp = client.post(f"/equipment/{asset.id}/report/solved", data={"step_id": str(step.id)})
    assert resp.status_code == 303
    fault = db.session.scalars(db.select(Fault)).one()
    assert fault.status == "solved_by_user" and fault.solved_by_step_id == step.id
    assert db.session.get(ChecklistStep, step.id).solved_count == 1


def test_report_needs_a_description_and_a_real_image(client, login_as, staff, make_asset):
    asset = make_asset()
    login_as(staff)
    resp = client.post(f"/equipment/{asset.id}/report", data={"description": ""})
    assert resp.status_code == 422
    assert 'id="description-error"' in resp.get_data(as_text=True)
    resp = client.post(
        f"/equipment/{asset.id}/report",
        data={"description": "Jam", "photo": (io.BytesIO(b"%PDF-1.4 not an image"), "x.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "The file is not an image." in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Fault.id))) == 0


def test_vendor_called_once_and_repair_closed_with_cost(
    client, login_as, office, staff, make_asset, smtp_sink, run_jobs
):
    asset = make_asset(
        repair_email="assistencia@vendor.example",
        contract_number="CT-77",
        response_hours="8",
        vendor_locale="pt_BR",
    )
    login_as(staff)
    resp = client.post(
        f"/equipment/{asset.id}/report",
        data={
            "description": "Atolamento de papel na bandeja 2",
            "error_code": "J-02",
            "photo": (io.BytesIO(_png()), "jam.png"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    fault = db.session.scalars(db.select(Fault)).one()
    assert fault.photos[0].data[:3] == b"\xff\xd8\xff"  # re-encoded as JPEG
    login_as(office)
    assert (
        client.post(f"/equipment/faults/{fault.id}/call-vendor", data={"note": ""}).status_code
        == 303
    )
    # a second click is refused: one request, one e-mail
    assert client.post(f"/equipment/faults/{fault.id}/call-vendor").status_code == 409
    repair = db.session.scalars(db.select(Repair)).one()
    sent = db.select(OutboundMessage).where(OutboundMessage.kind == "repair_request")
    assert len(db.session.scalars(sent).all()) == 1
    run_jobs()
    messages = smtp_sink.wait_for(2)  # the repair request, and back office's fault notice
    (message,) = [m for m in messages if m["To"] == "assistencia@vendor.example"]
    assert message["To"] == "assistencia@vendor.example"
    assert "HL-L5102" in message["Subject"] and asset.serial in message["Subject"]
    parts = list(message.walk())
    text = next(
        p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
        for p in parts
        if p.get_content_type() == "text/plain" and not p.get_filename()
    )
    for expected in (
        "CT-77",
        "J-02",
        "Sala 201",
        "Atolamento de papel",
        "Solicitação" if False else asset.asset_tag,
    ):
        assert expected in text
    attachments = [p.get_filename() for p in parts if p.get_filename()]
    assert attachments == ["jam.jpg"]
    asset = db.session.get(Asset, asset.id)  # run_jobs ended the session
    repair = db.session.get(Repair, repair.id)
    assert asset.status == "in_repair"
    # closing without a cost is refused next to the field
    resp = client.post(f"/equipment/repairs/{repair.id}/close", data={"work_done": "Roller"})
    assert resp.status_code == 422
    assert 'id="cost-error"' in resp.get_data(as_text=True)
    resp = client.post(
        f"/equipment/repairs/{repair.id}/close",
        data={"cost": "350,00", "parts": "Pickup roller", "work_done": "Replaced the roller"},
    )
    assert resp.status_code == 303
    db.session.refresh(asset)
    db.session.refresh(repair)
    assert asset.status == "in_use" and str(repair.cost) == "350.00"
    total, periods = equipment.downtime_minutes(asset.id)
    assert periods == 1
    body = client.get(f"/equipment/{asset.id}").get_data(as_text=True)
    assert "1 period" in body


def test_equipment_fault_request_becomes_a_fault(client, login_as, staff, make_asset):
    asset = make_asset(asset_tag="PRN-0203")
    login_as(staff)
    resp = client.post(
        "/frontdesk/requests",
        data={
            "type": "equipment_fault",
            "title": "A PRN-0203 não imprime",
            "description": "Luz vermelha",
        },
    )
    assert resp.status_code in (302, 303)
    fault = db.session.scalars(db.select(Fault)).one()
    assert fault.asset_id == asset.id and fault.reporter_id == staff.id
    assert fault.staff_request_id is not None
