"""Scanned faxes get the same inspection as CVs: a PDF parser decides, before anything is stored."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.frontdesk import Fax
from portal.services import frontdesk
from tests.documents import benign_pdfs, hostile_pdfs, tiny_pdf
from tests.frontdesk.conftest import HX

UNREADABLE = b"%PDF-1.7\n% a scanner that gave up half-way\nstartxref\n0\n%%EOF\n"


def _bomb() -> bytes:
    body = zlib.compress(b"\0" * (60 * 1024 * 1024), 9)
    return (
        b"%%PDF-1.4\n1 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body)
        + body
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
    )


HOSTILE = hostile_pdfs() + [
    ("unreadable", UNREADABLE, "unreadable"),
    ("truncated", tiny_pdf()[:200], "truncated"),
    ("encrypted", tiny_pdf().replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R"), "encrypted"),
    ("decompression bomb", _bomb(), "pdf_bomb"),
]


def _form(data: bytes, filename: str = "scan.pdf", **fields) -> dict:
    form = {
        "direction": "in",
        "number": "(11) 3333-4444",
        "correspondent": "Cartório Central",
        "pages": "1",
        "for_whom": "ana@example.com",
        "status": "received",
        "file": (io.BytesIO(data), filename),
    }
    form.update(fields)
    return form


def _stored(app) -> list[str]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "faxes"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def desk(client, login_as, desk_user, ana):
    login_as(desk_user)
    return client


@pytest.mark.parametrize(("label", "data", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_fax_is_refused_next_to_the_file_field(app, desk, label, data, code):
    from portal.services import filecheck

    before = _stored(app)
    response = desk.post("/frontdesk/faxes", data=_form(data), content_type="multipart/form-data")
    assert response.status_code == 422, label
    page = response.get_data(as_text=True)
    with app.test_request_context():
        expected = filecheck.reason(code)
    assert f'<p class="field-error" id="file-error">{expected}'.replace("'", "&#39;") in page
    assert _stored(app) == before
    assert db.session.scalar(select(func.count(Fax.id))) == 0


@pytest.mark.parametrize(("label", "data"), benign_pdfs(), ids=[b[0] for b in benign_pdfs()])
def test_ordinary_scans_are_accepted(app, desk, label, data):
    response = desk.post("/frontdesk/faxes", data=_form(data), content_type="multipart/form-data")
    assert response.status_code == 303, label
    fax = db.session.scalar(select(Fax))
    assert (Path(app.config["UPLOAD_FOLDER"]) / "faxes" / fax.stored_name).read_bytes() == data


def test_a_correction_with_a_hostile_file_keeps_the_old_one(app, desk, desk_user):
    fax = frontdesk.log_fax(
        actor=desk_user,
        direction="in",
        number="(11) 3333-4444",
        correspondent="Cartório Central",
        pages=1,
        for_whom="ana@example.com",
        status="received",
        filename="scan.pdf",
        data=tiny_pdf(),
    )
    db.session.commit()
    before = _stored(app)
    launch = next(data for label, data, _c in hostile_pdfs() if "launching" in label)
    form = _form(launch, "right.pdf")
    form = {f"fax-{fax.id}-{key}": value for key, value in form.items()}
    response = desk.post(
        f"/frontdesk/faxes/{fax.id}", data=form, content_type="multipart/form-data", headers=HX
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="fax-{fax.id}-file-error"' in page
    assert "actions that start programs" in page
    assert _stored(app) == before
    db.session.expire_all()
    assert db.session.get(Fax, fax.id).original_name == "scan.pdf"


def test_the_service_refuses_too(app, desk_user, ana):
    """Not only the form: anything that logs a fax goes through the same inspection."""
    from portal.errors import ValidationError

    before = _stored(app)
    with app.test_request_context(), pytest.raises(ValidationError) as refused:
        frontdesk.log_fax(
            actor=desk_user,
            direction="in",
            number="(11) 3333-4444",
            correspondent="C",
            pages=1,
            for_whom=None,
            status="received",
            filename="x.pdf",
            data=hostile_pdfs()[1][1],
        )
    assert "scripts" in str(refused.value)
    assert _stored(app) == before


def test_the_refusal_is_in_portuguese_for_a_portuguese_user(app, client, login_as, make_user, ana):
    login_as(
        make_user(roles=["back_office", "staff"], email="recepcao@example.com", locale="pt_BR")
    )
    response = client.post(
        "/frontdesk/faxes", data=_form(UNREADABLE), content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Não foi possível abrir o arquivo para verificá-lo" in response.get_data(as_text=True)
