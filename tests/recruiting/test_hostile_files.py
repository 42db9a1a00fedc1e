"""Active content in CVs: decided by real parsers (pikepdf, defusedxml + the OPC relationships),
in the sandbox, before anything is stored.  Ordinary CVs with links still go through."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.recruiting import Application, CVFile
from portal.services import sandbox
from portal.services.recruiting import files
from tests.documents import benign_docx, benign_pdfs, hostile_docx, hostile_pdfs, page_pdf
from tests.recruiting.conftest import upload_dir_files

HOSTILE = [("cv.pdf", *case) for case in hostile_pdfs()] + [
    ("cv.docx", *case) for case in hostile_docx()
]
BENIGN = [("cv.pdf", *case) for case in benign_pdfs()] + [
    ("cv.docx", *case) for case in benign_docx()
]
# Passes every byte check (header, %%EOF, startxref) but is no PDF a parser can open.
UNREADABLE = b"%PDF-1.7\n% a scanner that gave up half-way\nstartxref\n0\n%%EOF\n"


def _post(client, opening_id, files_):
    return client.post(
        f"/recruiting/openings/{opening_id}/upload",
        data={"files": [(io.BytesIO(content), name) for name, content in files_]},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("name", "label", "data", "code"), HOSTILE, ids=[case[1] for case in HOSTILE]
)
def test_active_content_is_refused_by_the_check(app, name, label, data, code):
    with pytest.raises(files.Refused) as refused:
        files.check_upload(name, data)
    assert refused.value.code == code, label


@pytest.mark.parametrize(
    ("name", "label", "data", "code"), HOSTILE, ids=[case[1] for case in HOSTILE]
)
def test_active_content_upload_is_422_with_the_reason_and_nothing_stored(
    app, client, login_as, hr, opening, name, label, data, code
):
    login_as(hr)
    before = upload_dir_files(app)
    response = _post(client, opening.id, [(name, data)])
    assert response.status_code == 422, label
    with app.test_request_context():
        expected = files.reason(code)
    assert f"{name}: {expected}".replace("'", "&#39;") in response.get_data(as_text=True)
    assert upload_dir_files(app) == before
    assert db.session.scalar(select(func.count(CVFile.id))) == 0


@pytest.mark.parametrize(("name", "label", "data"), BENIGN, ids=[case[1] for case in BENIGN])
def test_ordinary_cvs_with_links_are_accepted(app, name, label, data):
    checked = files.check_upload(name, data)
    assert checked.data == data, label


def test_ordinary_cvs_are_stored_extracted_and_scored(app, client, login_as, hr, opening, run_jobs):
    login_as(hr)
    uploads = [(f"{i}-{name}", data) for i, (name, _label, data) in enumerate(BENIGN)]
    response = _post(client, opening.id, uploads)
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(CVFile.id))) == len(BENIGN)
    run_jobs()
    statuses = db.session.scalars(select(CVFile.status)).all()
    assert statuses.count("failed") == 0, statuses
    assert db.session.scalar(select(func.count(Application.id))) >= 1


def test_a_pdf_the_parser_cannot_open_is_refused_next_to_the_field(
    app, client, login_as, hr, opening
):
    login_as(hr)
    before = upload_dir_files(app)
    response = _post(client, opening.id, [("scan.pdf", UNREADABLE)])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "scan.pdf: The file could not be opened to check it" in page
    assert 'id="files-error"' in page
    assert upload_dir_files(app) == before


def test_the_refusal_is_in_portuguese_for_a_portuguese_user(
    app, client, login_as, make_user, opening
):
    login_as(make_user(roles=["hr_manager", "staff"], email="rh@example.com", locale="pt_BR"))
    response = _post(client, opening.id, [("scan.pdf", UNREADABLE)])
    assert response.status_code == 422
    assert "Não foi possível abrir o arquivo para verificá-lo" in response.get_data(as_text=True)
    javascript = next(data for _n, label, data, _c in HOSTILE if label.startswith("javascript:"))
    response = _post(client, opening.id, [("cv.pdf", javascript)])
    assert "O arquivo PDF contém scripts ou arquivos incorporados" in response.get_data(
        as_text=True
    )


def test_the_parser_runs_in_the_sandbox_with_its_clock(app, client, login_as, hr, opening):
    """A file the inspector cannot finish in time is refused, the web process never waits on the
    parser past the wall clock, and the next upload gets a fresh child."""
    sandbox.stop_all()  # a cold child cannot answer within 1 ms
    app.config["CV_PARSE_TIMEOUT"] = 0.001
    login_as(hr)
    before = upload_dir_files(app)
    response = _post(client, opening.id, [("cv.pdf", page_pdf())])
    assert response.status_code == 422
    assert "Reading the file took too long" in response.get_data(as_text=True)
    assert upload_dir_files(app) == before
    app.config["CV_PARSE_TIMEOUT"] = 15
    assert _post(client, opening.id, [("cv.pdf", page_pdf())]).status_code == 303


def test_inspection_survives_a_killed_child(app):
    with app.test_request_context():
        files.check_upload("cv.pdf", page_pdf())
        box = sandbox.get("inspect")
        assert box.proc is not None
        box.proc.kill()
        box.proc.wait()
        files.check_upload("cv.pdf", page_pdf())  # a new child, no error
        with pytest.raises(files.Refused):
            files.check_upload("cv.pdf", hostile_pdfs()[0][1])
