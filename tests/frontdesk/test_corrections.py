"""Correcting visits and faxes: 24 hours, the author or back office, audited, nothing half-saved."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.errors import Conflict, NotAllowed
from portal.extensions import db
from portal.models import AuditEntry, Notification
from portal.models.base import utcnow
from portal.models.frontdesk import Fax, Visit
from portal.services import frontdesk
from portal.services.frontdesk import FormInvalid
from portal.services.notifications import render
from tests.documents import tiny_pdf
from tests.frontdesk.conftest import HX, deliver_all, local_input

PDF = tiny_pdf("scan")  # real PDFs: uploads are opened by a parser before they are kept
PDF2 = tiny_pdf("the right scan")


@pytest.fixture
def visit(desk_user, ana):
    v = frontdesk.register_visit(
        actor=desk_user,
        visitor_name="Fernanda Lopes",
        company="Lopes & Filhos",
        host="ana@example.com",
        badge_number="V-07",
    )
    db.session.commit()
    return v


@pytest.fixture
def fax(desk_user, ana):
    f = frontdesk.log_fax(
        actor=desk_user,
        direction="in",
        number="(11) 3333-4444",
        correspondent="Cartório Central",
        pages=2,
        for_whom="ana@example.com",
        status="received",
        filename="scan.pdf",
        data=PDF,
    )
    db.session.commit()
    return f


def _age(record, hours: float) -> None:
    record.created_at = utcnow() - timedelta(hours=hours)
    db.session.commit()


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def visit_form(visit: Visit, **overrides: str) -> dict[str, str]:
    data = {
        "visitor_name": visit.visitor_name,
        "company": visit.company or "",
        "host": "ana@example.com",
        "badge_number": visit.badge_number or "",
        "arrived_at": frontdesk.to_local_input(visit.arrived_at),
        "left_at": frontdesk.to_local_input(visit.left_at),
    }
    data.update(overrides)
    return {f"visit-{visit.id}-{k}": v for k, v in data.items()}


def fax_form(fax: Fax, file: tuple | None = None, **overrides: str) -> dict:
    data: dict = {
        "direction": fax.direction,
        "number": "(11) 3333-4444",
        "correspondent": fax.correspondent,
        "pages": str(fax.pages),
        "for_whom": "ana@example.com",
        "status": fax.status,
    }
    data.update(overrides)
    if file is not None:
        data["file"] = file
    return {f"fax-{fax.id}-{k}": v for k, v in data.items()}


# --- visits: service --------------------------------------------------------------------------


def _update_visit(visit, actor, **overrides):
    values = {
        "visitor_name": visit.visitor_name,
        "company": visit.company,
        "host": "ana@example.com",
        "badge_number": visit.badge_number,
        "arrived_at": frontdesk.to_local_input(visit.arrived_at),
        "left_at": frontdesk.to_local_input(visit.left_at),
    }
    values.update(overrides)
    return frontdesk.update_visit(visit, actor=actor, **values)


def test_visit_correction_audits_old_and_new_and_tells_the_new_host(visit, desk_user, bruno):
    changes = _update_visit(
        visit, desk_user, visitor_name="Fernanda Lopes Dias", host="bruno@example.com"
    )
    db.session.commit()
    assert changes["visitor_name"] == ["Fernanda Lopes", "Fernanda Lopes Dias"]
    assert changes["host_id"][1] == bruno.id
    assert "arrived_at" not in changes  # the unchanged minute keeps the stored instant
    (entry,) = _entries("frontdesk.visit.corrected")
    assert entry.actor_id == desk_user.id and entry.target_id == visit.id
    assert entry.changes == changes
    note = db.session.scalar(select(Notification).where(Notification.user_id == bruno.id))
    assert note.kind == "frontdesk.visitor" and "Fernanda Lopes Dias" in render(note)


def test_visit_correction_checks_everything_and_saves_nothing(visit, desk_user):
    later = local_input(timedelta(hours=1))
    before = local_input(-timedelta(hours=3))
    with pytest.raises(FormInvalid) as caught:
        _update_visit(visit, desk_user, visitor_name=" ", host="nobody@example.com", left_at=before)
    assert set(caught.value.errors) == {"visitor_name", "host", "left_at"}
    assert "after the arrival" in caught.value.errors["left_at"]
    db.session.rollback()
    with pytest.raises(FormInvalid) as caught:
        _update_visit(visit, desk_user, arrived_at=later)
    assert "future" in caught.value.errors["arrived_at"]
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).visitor_name == "Fernanda Lopes"
    assert _entries("frontdesk.visit.corrected") == []


def test_visit_correction_records_a_forgotten_sign_out(visit, desk_user):
    arrived, left = local_input(-timedelta(hours=2)), local_input(-timedelta(minutes=1))
    _update_visit(visit, desk_user, arrived_at=arrived, left_at=left)
    db.session.commit()
    assert db.session.get(Visit, visit.id).left_at is not None
    assert frontdesk.visitors_in_building() == []


def test_visit_correction_window_author_and_void(visit, desk_user, ana, make_user):
    with pytest.raises(NotAllowed):  # staff, not back office, did not log it
        _update_visit(visit, ana, visitor_name="X")
    other_desk = make_user(roles=["back_office"], email="desk2@example.com")
    _update_visit(visit, other_desk, badge_number="V-08")  # back office may
    db.session.commit()
    _age(visit, 25)
    with pytest.raises(NotAllowed, match="24 hours"):
        _update_visit(visit, desk_user, badge_number="V-09")
    db.session.rollback()
    _age(visit, 1)
    frontdesk.void_visit(visit, actor=desk_user, reason="Duplicate")
    db.session.commit()
    with pytest.raises(Conflict):
        _update_visit(visit, desk_user, badge_number="V-10")


# --- visits: views ----------------------------------------------------------------------------


def test_visit_edit_fragment_swaps_the_row_in_place(client, login_as, desk_user, visit, bruno):
    login_as(desk_user)
    page = client.get("/frontdesk/visitors").get_data(as_text=True)
    assert f'hx-get="/frontdesk/visitors/{visit.id}/edit"' in page
    frag = client.get(f"/frontdesk/visitors/{visit.id}/edit", headers=HX)
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<tr id="visit-{visit.id}" class="editing">')
    assert f'hx-target="#visit-{visit.id}"' in body and 'value="Fernanda Lopes"' in body
    full = client.get(f"/frontdesk/visitors/{visit.id}/edit")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)

    resp = client.post(
        f"/frontdesk/visitors/{visit.id}",
        data=visit_form(visit, host="bruno@example.com", badge_number="V-12"),
        headers=HX,
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="visit-{visit.id}" >')
    assert "Bruno Carvalho" in body and "V-12" in body and "editing" not in body
    # "In the building now" follows out of band.
    assert 'id="in-building" hx-swap-oob="outerHTML"' in body and "badge V-12" in body
    (entry,) = _entries("frontdesk.visit.corrected")
    assert entry.changes["badge_number"] == ["V-07", "V-12"]


def test_visit_bad_correction_is_422_next_to_the_fields(client, login_as, desk_user, visit):
    login_as(desk_user)
    data = visit_form(visit, visitor_name="", host="nobody@example.com")
    resp = client.post(f"/frontdesk/visitors/{visit.id}", data=data, headers=HX)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="visit-{visit.id}" class="editing">')
    assert f'id="visit-{visit.id}-visitor_name-error"' in body
    assert f'id="visit-{visit.id}-host-error"' in body
    resp = client.post(f"/frontdesk/visitors/{visit.id}", data=data)  # without htmx: the page
    assert resp.status_code == 422 and "<html" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).visitor_name == "Fernanda Lopes"
    assert _entries("frontdesk.visit.corrected") == []


def test_visit_correction_without_js_redirects(client, login_as, desk_user, visit):
    login_as(desk_user)
    resp = client.post(f"/frontdesk/visitors/{visit.id}", data=visit_form(visit, company="LF"))
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/frontdesk/visitors")
    assert db.session.get(Visit, visit.id).company == "LF"


def test_visit_correction_refused_after_24h_and_for_staff(client, login_as, desk_user, ana, visit):
    login_as(ana)
    assert client.get(f"/frontdesk/visitors/{visit.id}/edit").status_code == 403
    assert client.post(f"/frontdesk/visitors/{visit.id}", data=visit_form(visit)).status_code == 403
    _age(visit, 25)
    login_as(desk_user)
    assert f"/frontdesk/visitors/{visit.id}/edit" not in client.get("/frontdesk/visitors").get_data(
        as_text=True
    )
    assert client.get(f"/frontdesk/visitors/{visit.id}/edit", headers=HX).status_code == 403
    resp = client.post(f"/frontdesk/visitors/{visit.id}", data=visit_form(visit, company="Late"))
    assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).company == "Lopes & Filhos"


def test_anonymous_htmx_edit_gets_401(client, visit, fax):
    for url in (f"/frontdesk/visitors/{visit.id}/edit", f"/frontdesk/faxes/{fax.id}/edit"):
        resp = client.get(url, headers=HX)
        assert resp.status_code == 401 and "/login" in resp.headers["HX-Redirect"]


# --- faxes ------------------------------------------------------------------------------------


def test_fax_correction_service_audits_and_tells_the_new_recipient(
    fax, desk_user, bruno, smtp_sink, run_jobs
):
    changes = frontdesk.update_fax(
        fax,
        actor=desk_user,
        direction="in",
        number="(11) 3333-4444",
        correspondent="Cartório Central",
        pages=3,
        for_whom="bruno@example.com",
        status="received",
    )
    db.session.commit()
    assert changes["pages"] == [2, 3] and changes["for_user_id"][1] == bruno.id
    assert "number" not in changes and "stored_name" not in changes
    (entry,) = _entries("frontdesk.fax.corrected")
    assert entry.changes == changes
    note = db.session.scalar(select(Notification).where(Notification.user_id == bruno.id))
    assert note.kind == "frontdesk.fax" and f"/faxes/{fax.id}/file" in note.url
    # Through the outbox: Ana heard when it was logged, Bruno when it was corrected to him.
    received = deliver_all(run_jobs, smtp_sink, 2)
    assert sorted(m["X-Sink-Rcpts"] for m in received) == ["ana@example.com", "bruno@example.com"]


def test_fax_correction_service_refusals(fax, desk_user, ana):
    values = dict(
        direction="sideways",
        number="12",
        correspondent="",
        pages=0,
        for_whom="",
        status="lost",
    )
    with pytest.raises(FormInvalid) as caught:
        frontdesk.update_fax(fax, actor=desk_user, **values)
    assert set(caught.value.errors) == {"direction", "number", "correspondent", "pages", "status"}
    db.session.rollback()
    values = dict(
        direction="in",
        number="1133334444",
        correspondent="C",
        pages=1,
        for_whom="",
        status="received",
    )
    with pytest.raises(NotAllowed):
        frontdesk.update_fax(fax, actor=ana, **values)
    _age(fax, 24.5)
    with pytest.raises(NotAllowed, match="24 hours"):
        frontdesk.update_fax(fax, actor=desk_user, **values)


def test_fax_correction_replaces_the_file_and_keeps_the_old_one(
    client, login_as, desk_user, fax, app
):
    login_as(desk_user)
    old_name = fax.stored_name
    frag = client.get(f"/frontdesk/faxes/{fax.id}/edit", headers=HX).get_data(as_text=True)
    assert frag.lstrip().startswith(f'<tr id="fax-{fax.id}" class="editing">')
    assert 'enctype="multipart/form-data"' in frag and 'value="Cartório Central"' in frag
    resp = client.post(
        f"/frontdesk/faxes/{fax.id}",
        data=fax_form(fax, file=(io.BytesIO(PDF2), "right.pdf"), pages="4"),
        content_type="multipart/form-data",
        headers=HX,
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="fax-{fax.id}" >') and "editing" not in body
    assert '<td class="num">4</td>' in body
    db.session.expire_all()
    fax = db.session.get(Fax, fax.id)
    assert fax.stored_name != old_name and fax.original_name == "right.pdf"
    assert client.get(f"/frontdesk/faxes/{fax.id}/file").data == PDF2
    folder = Path(app.config["UPLOAD_FOLDER"]) / "faxes"
    assert (folder / old_name).read_bytes() == PDF  # nothing is deleted
    (entry,) = _entries("frontdesk.fax.corrected")
    assert entry.changes["pages"] == [2, 4]
    assert entry.changes["original_name"] == ["scan.pdf", "right.pdf"]
    assert entry.changes["stored_name"] == [old_name, fax.stored_name]


def test_fax_bad_correction_is_422_and_stores_no_file(client, login_as, desk_user, fax, app):
    login_as(desk_user)
    folder = Path(app.config["UPLOAD_FOLDER"]) / "faxes"
    files_before = sorted(folder.iterdir())
    resp = client.post(
        f"/frontdesk/faxes/{fax.id}",
        data=fax_form(fax, file=(io.BytesIO(PDF2), "right.pdf"), number="12", pages="3"),
        content_type="multipart/form-data",
        headers=HX,
    )
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="fax-{fax.id}" class="editing">')
    assert f'id="fax-{fax.id}-number-error"' in body
    resp = client.post(
        f"/frontdesk/faxes/{fax.id}",
        data=fax_form(fax, file=(io.BytesIO(b"MZ not a pdf"), "x.pdf")),
        content_type="multipart/form-data",
        headers=HX,
    )
    assert resp.status_code == 422 and f'id="fax-{fax.id}-file-error"' in resp.get_data(
        as_text=True
    )
    assert sorted(folder.iterdir()) == files_before
    db.session.expire_all()
    assert db.session.get(Fax, fax.id).pages == 2
    assert _entries("frontdesk.fax.corrected") == []


def test_fax_correction_refused_after_24h_for_staff_and_when_void(
    client, login_as, desk_user, ana, fax
):
    login_as(ana)
    assert client.post(f"/frontdesk/faxes/{fax.id}", data=fax_form(fax)).status_code == 403
    login_as(desk_user)
    resp = client.post(f"/frontdesk/faxes/{fax.id}", data=fax_form(fax, correspondent="Ok"))
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/frontdesk/faxes")
    _age(fax, 25)
    assert client.get(f"/frontdesk/faxes/{fax.id}/edit").status_code == 403
    resp = client.post(f"/frontdesk/faxes/{fax.id}", data=fax_form(fax, correspondent="Late"))
    assert resp.status_code == 403
    _age(fax, 1)
    assert client.post(f"/frontdesk/faxes/{fax.id}/void", data={"reason": "Dup"}).status_code == 303
    assert client.get(f"/frontdesk/faxes/{fax.id}/edit").status_code == 409
    db.session.expire_all()
    assert db.session.get(Fax, fax.id).correspondent == "Ok"


# --- calls: an overdue callback can still be corrected ------------------------------------------


def test_call_with_overdue_callback_can_be_corrected(client, login_as, desk_user, ana, log_call):
    from portal.models.frontdesk import Call
    from tests.frontdesk.conftest import call_form

    call = log_call(outcome="callback", callback_due=local_input(timedelta(hours=1)))
    call.callback_due_at = utcnow() - timedelta(minutes=30, seconds=17)  # now overdue
    db.session.commit()
    due = frontdesk.to_local_input(call.callback_due_at)
    login_as(desk_user)
    data = call_form(outcome="callback", callback_due=due, company="Souza Logística")
    assert client.post(f"/frontdesk/calls/{call.id}", data=data).status_code == 303
    (entry,) = _entries("frontdesk.call.corrected")
    assert entry.changes == {"company": ["Souza Transportes", "Souza Logística"]}
    # Moving it to another past time is still refused.
    earlier = local_input(-timedelta(hours=2))
    data = call_form(outcome="callback", callback_due=earlier)
    resp = client.post(f"/frontdesk/calls/{call.id}", data=data)
    assert resp.status_code == 422 and "must be in the future" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Call, call.id).company == "Souza Logística"
