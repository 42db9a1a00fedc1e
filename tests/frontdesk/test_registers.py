"""Visitors, faxes, corrections within 24 hours and voiding."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Notification
from portal.models.frontdesk import Call, Fax, Visit
from portal.services.notifications import render
from tests.documents import tiny_pdf
from tests.frontdesk.conftest import call_form, deliver_all

PDF = tiny_pdf("scan")  # a real PDF: uploads are opened by a parser before they are kept


# --- visitors ---------------------------------------------------------------------------------


def test_visitor_arrives_host_notified_and_listed(
    client, login_as, desk_user, ana, smtp_sink, run_jobs
):
    login_as(desk_user)
    resp = client.post(
        "/frontdesk/visitors",
        data={
            "visitor_name": "Fernanda Lopes",
            "company": "Lopes & Filhos",
            "host": "Ana Santos <ana@example.com>",
            "badge_number": "V-07",
        },
    )
    assert resp.status_code == 303
    page = client.get("/frontdesk/visitors").get_data(as_text=True)
    assert 'id="in-building"' in page and "Fernanda Lopes" in page and "V-07" in page
    note = db.session.scalar(select(Notification).where(Notification.user_id == ana.id))
    assert note.kind == "frontdesk.visitor" and "Fernanda Lopes" in render(note)
    assert deliver_all(run_jobs, smtp_sink, 1)[0]["X-Sink-Rcpts"] == "ana@example.com"
    visit = db.session.scalar(select(Visit))
    assert client.post(f"/frontdesk/visitors/{visit.id}/leave").status_code == 303
    page = client.get("/frontdesk/visitors").get_data(as_text=True)
    assert "Nobody is visiting right now." in page
    assert client.post(f"/frontdesk/visitors/{visit.id}/leave").status_code == 409


def test_visitor_needs_name_and_host(client, login_as, desk_user):
    login_as(desk_user)
    resp = client.post("/frontdesk/visitors", data={"visitor_name": "", "host": ""})
    assert resp.status_code == 422
    assert 'id="visitor_name-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(Visit)) is None


def test_staff_cannot_see_the_visitor_log(client, login_as, ana):
    login_as(ana)
    assert client.get("/frontdesk/visitors").status_code == 403


# --- faxes ------------------------------------------------------------------------------------


def _fax(client, data: bytes = PDF, filename: str = "scan.pdf", **fields):
    form = {
        "direction": "in",
        "number": "(11) 3333-4444",
        "correspondent": "Cartório Central",
        "pages": "2",
        "for_whom": "ana@example.com",
        "status": "received",
        "file": (io.BytesIO(data), filename),
    }
    form.update(fields)
    return client.post("/frontdesk/faxes", data=form, content_type="multipart/form-data")


def test_fax_upload_and_download_rules(client, login_as, desk_user, ana, bruno, app):
    login_as(desk_user)
    assert _fax(client).status_code == 303
    fax = db.session.scalar(select(Fax))
    assert fax.number == "+551133334444" and fax.pages == 2 and fax.size_bytes == len(PDF)
    # Stored under a server-chosen name, outside static/, not under the client's name.
    assert fax.stored_name != "scan.pdf" and fax.stored_name.endswith(".pdf")
    from pathlib import Path

    stored = Path(app.config["UPLOAD_FOLDER"]) / "faxes" / fax.stored_name
    assert stored.read_bytes() == PDF
    assert "static" not in str(
        stored.resolve().relative_to(Path(app.root_path).parent)
        if stored.resolve().is_relative_to(Path(app.root_path).parent)
        else ""
    )
    resp = client.get(f"/frontdesk/faxes/{fax.id}/file")
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.mimetype == "application/pdf"
    login_as(ana)  # the person it is for
    assert client.get(f"/frontdesk/faxes/{fax.id}/file").status_code == 200
    login_as(bruno)  # anyone else
    assert client.get(f"/frontdesk/faxes/{fax.id}/file").status_code == 403
    assert client.get("/frontdesk/faxes").status_code == 403


def test_fax_refuses_non_pdf_and_oversized(client, login_as, desk_user, ana, app):
    login_as(desk_user)
    resp = _fax(client, data=b"MZ\x90\x00 not a pdf", filename="scan.pdf")
    assert resp.status_code == 422 and 'id="file-error"' in resp.get_data(as_text=True)
    resp = _fax(client, data=PDF, filename="scan.exe")
    assert resp.status_code == 422 and "Only PDF files" in resp.get_data(as_text=True)
    app.config["FAX_MAX_BYTES"] = 100
    resp = _fax(client, data=PDF + b"0" * 200)
    assert resp.status_code == 422 and "larger than" in resp.get_data(as_text=True)
    resp = _fax(client, number="12")
    assert resp.status_code == 422 and 'id="number-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(Fax)) is None


# --- corrections and voiding ------------------------------------------------------------------


def test_author_corrects_within_24h_audited(
    client, login_as, desk_user, ana, bruno, log_call, smtp_sink, run_jobs
):
    call = log_call()
    login_as(desk_user)
    data = call_form(for_whom="bruno@example.com", company="Souza Logística")
    resp = client.post(f"/frontdesk/calls/{call.id}", data=data)
    assert resp.status_code == 303
    db.session.expire_all()
    call = db.session.get(Call, call.id)
    assert call.recipient_id == bruno.id and call.company == "Souza Logística"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "frontdesk.call.corrected")
    )
    assert entry.changes["company"] == ["Souza Transportes", "Souza Logística"]
    assert entry.changes["recipient_id"] == [ana.id, bruno.id]
    # The new recipient hears about it.
    assert db.session.scalar(select(Notification).where(Notification.user_id == bruno.id))


def test_no_correction_after_24h_and_bad_input_saves_nothing(
    client, login_as, desk_user, ana, log_call
):
    call = log_call()
    login_as(desk_user)
    resp = client.post(f"/frontdesk/calls/{call.id}", data=call_form(phone="1"))
    assert resp.status_code == 422
    db.session.expire_all()
    assert db.session.get(Call, call.id).phone == "+5511987654321"
    call = db.session.get(Call, call.id)
    call.created_at = call.created_at - timedelta(hours=25)
    db.session.commit()
    resp = client.post(f"/frontdesk/calls/{call.id}", data=call_form(company="Late"))
    assert resp.status_code == 403
    assert (
        client.post(f"/frontdesk/calls/{call.id}/void", data={"reason": "dup"}).status_code == 403
    )


def test_void_needs_reason_and_keeps_the_row(client, login_as, desk_user, ana, log_call):
    call = log_call()
    login_as(desk_user)
    resp = client.post(f"/frontdesk/calls/{call.id}/void", data={"reason": ""})
    assert resp.status_code == 422 and 'id="reason-error"' in resp.get_data(as_text=True)
    resp = client.post(f"/frontdesk/calls/{call.id}/void", data={"reason": "Logged twice"})
    assert resp.status_code == 303
    db.session.expire_all()
    call = db.session.get(Call, call.id)
    assert call.status == "void" and call.void_reason == "Logged twice"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "frontdesk.call.voided"))
    # Gone from Ana's open messages, still in the register.
    login_as(ana)
    assert "Carlos Souza" not in client.get("/frontdesk/messages").get_data(as_text=True)


def test_other_back_office_may_correct_but_staff_may_not(make_user, log_call, ana):
    from portal.errors import NotAllowed
    from portal.services import frontdesk

    call = log_call()
    other_desk = make_user(roles=["back_office"], email="desk2@example.com")
    frontdesk.void_call(call, actor=other_desk, reason="wrong line")
    db.session.rollback()
    try:
        frontdesk.void_call(call, actor=ana, reason="mine")
    except NotAllowed:
        pass
    else:
        raise AssertionError("staff voided a call they did not log")
