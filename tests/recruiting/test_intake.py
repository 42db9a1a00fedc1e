"""CV intake: hostile uploads refused before storing; good CVs extracted in a sandbox and scored."""

from __future__ import annotations

import io
import re
import stat
import time
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.recruiting import Application, Candidate, CVFile
from portal.services.recruiting import files
from tests.recruiting.conftest import upload_dir_files
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK, make_docx, make_pdf

LIMIT = 300_000


@pytest.fixture
def app_config(app_config):
    app_config["CV_MAX_BYTES"] = LIMIT
    return app_config


# --- hostile files -----------------------------------------------------------------------------


def _pdf_with_stream(body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Length "
        + str(len(body)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + body
        + b"\nendstream\nendobj\n"
        + extra
        + b"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
    )


def _zip(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _docx_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(make_docx("Hello"))) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _docx_with(document_xml: bytes) -> bytes:
    return _zip({**_docx_parts(), "word/document.xml": document_xml})


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b"<w:document><w:body>&lol2;</w:body></w:document>"
)


def _hostile() -> list[tuple[str, str, bytes, str]]:
    pdf = make_pdf(CV_EN)
    docx = make_docx(CV_EN)
    parts = _docx_parts()
    bomb = zlib.compress(b"\0" * (60 * 1024 * 1024), 9)
    many = {**parts, **{f"word/media/x{i}.bin": b"x" for i in range(1001)}}
    rels_external = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        b'Target="http://127.0.0.1/evil.dotm" TargetMode="External"/></Relationships>'
    )
    macro_ct = parts["[Content_Types].xml"].replace(
        b"document.main+xml", b"document.macroEnabled.main+xml"
    )
    return [
        ("oversized", "cv.pdf", pdf + b"%" * (LIMIT - len(pdf) + 1), "too_big"),
        ("empty", "cv.pdf", b"", "empty"),
        ("png renamed .pdf", "cv.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "magic_pdf"),
        ("elf renamed .pdf", "cv.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 100, "magic_pdf"),
        ("html/pdf polyglot", "cv.pdf", b"<html><script>alert(1)</script>" + pdf, "magic_pdf"),
        ("pdf decompression bomb", "cv.pdf", _pdf_with_stream(bomb), "pdf_bomb"),
        ("truncated pdf", "cv.pdf", pdf[: len(pdf) // 2], "truncated"),
        (
            "encrypted pdf",
            "cv.pdf",
            _pdf_with_stream(zlib.compress(b"x"), b"/Encrypt 5 0 R\n"),
            "encrypted",
        ),
        (
            "pdf with javascript",
            "cv.pdf",
            _pdf_with_stream(zlib.compress(b"x"), b"<< /S /JavaScript /JS (app.alert(1)) >>\n"),
            "active",
        ),
        ("docx zip bomb", "cv.docx", _docx_with(b" " * (5 * 1024 * 1024)), "zip_bomb"),
        ("docx too many entries", "cv.docx", _zip(many), "zip_entries"),
        ("docx external entity", "cv.docx", _docx_with(XXE), "xml_entities"),
        ("docx billion laughs", "cv.docx", _docx_with(LAUGHS), "xml_entities"),
        ("docx zip-slip", "cv.docx", _zip({**parts, "../../evil.sh": b"rm -rf /"}), "zip_names"),
        ("docx absolute name", "cv.docx", _zip({**parts, "/etc/cron.d/x": b"x"}), "zip_names"),
        ("docx backslash name", "cv.docx", _zip({**parts, "..\\..\\x.bat": b"x"}), "zip_names"),
        ("docx symlink entry", "cv.docx", _zip(parts, symlink="word/link.xml"), "zip_names"),
        (
            "ole2 .doc renamed .docx",
            "cv.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
            "magic_docx",
        ),
        (
            "docm renamed .docx",
            "cv.docx",
            _zip({**parts, "[Content_Types].xml": macro_ct, "word/vbaProject.bin": b"x"}),
            "macro",
        ),
        (
            "docx external template",
            "cv.docx",
            _zip({**parts, "word/_rels/settings.xml.rels": rels_external}),
            "external",
        ),
        ("zip without a document", "cv.docx", _zip({"hello.txt": b"hi"}), "magic_docx"),
        ("txt with NUL", "cv.txt", b"Name\x00\x00binary", "txt_binary"),
        ("txt not utf-8", "cv.txt", "Conceição".encode("latin-1"), "txt_encoding"),
        ("name traversal", "../../etc/passwd.pdf", pdf, "name"),
        ("name windows traversal", "..\\..\\win.ini.pdf", pdf, "name"),
        ("name with NUL", "cv.pdf\x00.exe", pdf, "name"),
        ("name with RTL override", "cv\u202efdp.exe", pdf, "name"),
        ("name 300 characters", "a" * 296 + ".pdf", pdf, "name_long"),
        ("double extension", "cv.pdf.exe", pdf, "extension"),
        ("unsupported type", "cv.html", b"<html></html>", "extension"),
        ("leading dot", ".cv.pdf", pdf, "name"),
        ("docx renamed .pdf", "cv.pdf", docx, "magic_pdf"),
    ]


HOSTILE = _hostile()


def test_at_least_twenty_hostile_files():
    assert len(HOSTILE) >= 20


@pytest.mark.parametrize(("label", "name", "data", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused_by_the_check(app, label, name, data, code):
    with pytest.raises(files.Refused) as refused:
        files.check_upload(name, data)
    assert refused.value.code == code, label


@pytest.mark.parametrize(("label", "name", "data", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_upload_is_refused_with_a_reason_and_nothing_stored(
    app, client, login_as, hr, opening, label, name, data, code
):
    login_as(hr)
    before = upload_dir_files(app)
    response = client.post(
        f"/recruiting/openings/{opening.id}/upload",
        data={"files": [(io.BytesIO(data), name)]},
        content_type="multipart/form-data",
    )
    # Werkzeug may drop a path from a hostile name before the view sees it; the content checks
    # then still decide.  Every case must be a readable refusal, never a stored file.
    assert response.status_code == 422, label
    page = response.get_data(as_text=True)
    with app.test_request_context():
        reasons = {str(files.reason(c)) for c in files.REASONS}
    assert any(r.replace("'", "&#39;") in page for r in reasons), label
    assert upload_dir_files(app) == before
    assert db.session.scalar(select(func.count(CVFile.id))) == 0
    assert db.session.scalar(select(func.count(Candidate.id))) == 0


def test_request_over_the_wsgi_limit_is_413(app, client, login_as, hr, opening):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    login_as(hr)
    response = client.post(
        f"/recruiting/openings/{opening.id}/upload",
        data={"files": [(io.BytesIO(b"%PDF-" + b"0" * 2 * 1024 * 1024), "big.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_exactly_the_limit_is_accepted(app):
    pdf = make_pdf(CV_EN)
    head = pdf.index(b"\n") + 1
    padded = pdf[:head] + b"%" * (LIMIT - len(pdf) - 1) + b"\n" + pdf[head:]
    assert len(padded) == LIMIT
    assert files.check_upload("cv.pdf", padded).kind == "pdf"


def test_upper_case_extension_is_accepted(app):
    assert files.check_upload("CV.PDF", make_pdf(CV_EN)).kind == "pdf"


def test_staff_cannot_upload(client, login_as, make_user, opening):
    login_as(make_user(roles=["staff"]))
    response = client.post(f"/recruiting/openings/{opening.id}/upload", data={})
    assert response.status_code == 403


# --- the good path -----------------------------------------------------------------------------


def _upload_three(client, opening):
    return client.post(
        f"/recruiting/openings/{opening.id}/upload",
        data={
            "files": [
                (io.BytesIO(make_pdf(CV_PT)), "Currículo Mariana.pdf"),
                (io.BytesIO(make_docx(CV_EN)), "james.docx"),
                (io.BytesIO(CV_WEAK.encode()), "pedro.txt"),
            ]
        },
        content_type="multipart/form-data",
    )


def test_bulk_upload_extracts_scores_and_shows_progress(
    app, client, login_as, hr, opening, run_jobs, rendered_templates
):
    login_as(hr)
    response = _upload_three(client, opening)
    assert response.status_code == 303
    progress_url = response.headers["Location"]
    page = client.get(progress_url).get_data(as_text=True)
    assert rendered_templates[-1] == "recruiting/batch.html"
    assert page.count("cv-queued") == 3
    assert 'hx-trigger="every 2s"' in page
    stored = db.session.scalars(select(CVFile.stored_name)).all()
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(pdf|docx|txt)", s) for s in stored)

    assert run_jobs() == 3

    states = [(c.original_name, c.status, c.error) for c in db.session.scalars(select(CVFile))]
    assert all(state == "scored" for _n, state, _e in states), states
    rendered_templates.clear()
    fragment = client.get(progress_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert rendered_templates == ["recruiting/_partials/_progress.html"]
    assert 'id="cv-progress"' in fragment
    assert fragment.count("cv-scored") == 3
    assert "every 2s" not in fragment  # polling stops when everything is done

    apps = {a.candidate.name: a for a in db.session.scalars(select(Application))}
    assert set(apps) == {"Mariana Conceição Araújo", "James O'Connor", "Pedro Henrique Lima"}
    mariana = apps["Mariana Conceição Araújo"]
    assert mariana.candidate.email == "mariana.araujo@example.com.br"
    assert mariana.candidate.phone == "+5511987654321"
    assert mariana.candidate.locale == "pt_BR"
    assert mariana.evidence["missing"] == []
    assert apps["James O'Connor"].candidate.phone == "+16502530000"
    assert apps["James O'Connor"].candidate.locale == "en"
    assert apps["Pedro Henrique Lima"].candidate.phone == "+5521998765432"
    assert apps["Pedro Henrique Lima"].score < mariana.score


def test_same_email_is_flagged_as_duplicate_then_merged(
    app, client, login_as, hr, opening, run_jobs
):
    login_as(hr)
    opening_id = opening.id
    for _ in range(2):
        response = client.post(
            f"/recruiting/openings/{opening_id}/upload",
            data={"files": [(io.BytesIO(make_pdf(CV_PT)), "mariana.pdf")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        assert run_jobs() == 1  # this upload's job, and nothing left from an earlier test
    states = [(c.id, c.status, c.error) for c in db.session.scalars(select(CVFile))]
    assert [state for _id, state, _error in states] == ["scored", "scored"], states
    first, second = db.session.scalars(select(Application).order_by(Application.id)).all()
    assert first.duplicate_state is None
    assert second.duplicate_state == "possible"
    assert second.duplicate_of_id == first.candidate_id
    page = client.get(f"/recruiting/applications/{second.id}").get_data(as_text=True)
    assert "Possible duplicate" in page

    response = client.post(
        f"/recruiting/applications/{second.id}/duplicate", data={"action": "merge"}
    )
    # Same opening: the two applications become one (the first), the duplicate is gone.
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/recruiting/applications/{first.id}")
    second_id = second.id
    db.session.expire_all()
    assert db.session.get(Application, second_id) is None
    assert db.session.scalar(select(func.count(Application.id))) == 1
    assert db.session.scalar(select(func.count(Candidate.id))) == 1
    assert db.session.scalar(select(func.count(CVFile.id))) == 2  # both CVs kept, on the first


@pytest.mark.parametrize("match", ["phone", "email", "none"])
def test_duplicates_by_phone_or_email_from_the_worker(app, opening, hr, add_application, match):
    """The worker's lookup matches on either contact, and flags nothing when neither matches."""
    from worker.jobs.recruiting import process_cv

    earlier = add_application(
        CV_WEAK,
        name="Mariana Earlier",
        email="mariana.araujo@example.com.br" if match == "email" else "other@example.com",
        phone="+55 11 98765-4321" if match == "phone" else "+55 21 3333-4444",
    )
    earlier_candidate = earlier.candidate_id
    cv = _store_raw(app, opening, hr, CV_PT.encode(), "txt")  # mariana.araujo@..., +5511987654321
    with app.test_request_context():
        assert process_cv(cv.id) == "scored"
    db.session.expire_all()
    newest = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    if match == "none":
        assert newest.duplicate_state is None and newest.duplicate_of_id is None
    else:
        assert newest.duplicate_state == "possible"
        assert newest.duplicate_of_id == earlier_candidate
        kinds = [e.kind for e in recruiting_timeline(newest)]
        assert kinds == ["applied", "duplicate"]


def recruiting_timeline(application):
    from portal.services import recruiting

    return recruiting.timeline(application)


def test_keep_clears_the_duplicate_flag(client, login_as, hr, add_application):
    login_as(hr)
    add_application(CV_PT, email="a@example.com")
    second = add_application(
        CV_PT, name="Another Mariana", phone="+55 11 98765-4321", email="a@example.com"
    )
    client.post(f"/recruiting/applications/{second.id}/duplicate", data={"action": "keep"})
    db.session.expire_all()
    assert db.session.get(Application, second.id).duplicate_state == "kept"


# --- the sandbox ---------------------------------------------------------------------------------


def _store_raw(app, opening, hr, data: bytes, kind: str) -> CVFile:
    """Put a file straight into storage, bypassing the checks (as if one slipped through)."""
    with app.test_request_context():
        item = files.CheckedFile("x." + kind, kind, files.EXTENSIONS[kind], data, "0" * 64)
        cv = CVFile(
            opening_id=opening.id,
            batch="b" * 32,
            stored_name=files.store(item),
            original_name="x." + kind,
            size=len(data),
            kind=kind,
            content_type=files.EXTENSIONS[kind],
            sha256="0" * 64,
            uploaded_by_id=hr.id,
        )
        db.session.add(cv)
        db.session.commit()
        return cv


def test_parser_bomb_fails_in_the_sandbox_and_the_file_is_removed(app, opening, hr):
    from worker.jobs.recruiting import process_cv

    # A nested-filter bomb (Flate inside Flate) passes the one-level static check.
    inner = zlib.compress(b"\0" * (300 * 1024 * 1024), 9)
    nested = zlib.compress(inner, 9)
    data = _pdf_with_stream(nested).replace(
        b"/Filter /FlateDecode", b"/Filter [/FlateDecode /FlateDecode]"
    )
    cv = _store_raw(app, opening, hr, data, "pdf")
    before = upload_dir_files(app)
    assert cv.stored_name in before
    assert process_cv(cv.id) == "failed"
    db.session.expire_all()
    cv = db.session.get(CVFile, cv.id)
    assert cv.status == "failed" and cv.error in {"corrupt", "limit", "memory", "timeout"}
    assert cv.stored_name not in upload_dir_files(app)
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_wall_clock_timeout_kills_a_slow_parse(app, opening, hr):
    from worker.jobs.recruiting import process_cv

    # A cold child needs far longer than 1 ms to start (a warm one could beat the clock when
    # the parent is descheduled between sending and waiting).
    files._stop_sandboxes()
    app.config["CV_PARSE_TIMEOUT"] = 0.001
    cv = _store_raw(app, opening, hr, make_pdf(CV_EN), "pdf")
    assert process_cv(cv.id) == "failed"
    db.session.expire_all()
    assert db.session.get(CVFile, cv.id).error == "timeout"


def test_processing_twice_is_harmless(app, opening, hr):
    from worker.jobs.recruiting import process_cv

    cv = _store_raw(app, opening, hr, CV_EN.encode(), "txt")
    with app.test_request_context():
        assert process_cv(cv.id) == "scored"
        assert process_cv(cv.id) == "skipped"
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_docx_entities_are_refused_in_the_sandbox_too(app, opening, hr):
    from worker.jobs.recruiting import process_cv

    cv = _store_raw(app, opening, hr, _docx_with(XXE), "docx")
    assert process_cv(cv.id) == "failed"
    db.session.expire_all()
    assert db.session.get(CVFile, cv.id).error == "xml_entities"


def test_sandbox_child_runs_with_memory_cpu_and_file_limits(app, tmp_path):
    box = files.Sandbox(memory=300 * 1024 * 1024, cpu=7)
    try:
        path = tmp_path / "cv.txt"
        path.write_text(CV_EN)
        assert box.extract("txt", path, wall=10)[0].startswith("James")
        limits = Path(f"/proc/{box.proc.pid}/limits").read_text()
        address = next(line for line in limits.splitlines() if "Max address space" in line)
        assert str(300 * 1024 * 1024) in address
        cpu = next(line for line in limits.splitlines() if "Max cpu time" in line)
        assert cpu.split()[3] != "unlimited"
        fsize = next(line for line in limits.splitlines() if "Max file size" in line)
        assert fsize.split()[3] == "0"
    finally:
        box.stop()


def test_sandbox_pipeline_returns_each_file_its_own_text(app, tmp_path):
    """Several files queued ahead: answers come back in order, each to its own file, even when
    they arrive together in one read, or when the files are asked for in another order."""
    box = files.Sandbox(memory=512 * 1024 * 1024, cpu=10)
    try:
        paths = []
        for i in range(4):
            path = tmp_path / f"cv{i}.txt"
            path.write_text(f"Candidate number {i}\n" + "x" * 30_000)
            paths.append(path)
        for path in paths[:3]:
            box.prefetch("txt", path)
        assert len(box.pending) == 3
        time.sleep(0.5)  # all three answers are waiting in the pipe
        assert box.extract("txt", paths[0], wall=10)[0].startswith("Candidate number 0")
        assert box.extract("txt", paths[1], wall=10)[0].startswith("Candidate number 1")
        # Out of order: the queued answer for file 2 is dropped, file 3 is parsed now...
        assert box.extract("txt", paths[3], wall=10)[0].startswith("Candidate number 3")
        # ...and file 2 is simply sent again.
        assert box.extract("txt", paths[2], wall=10)[0].startswith("Candidate number 2")
        assert not box.pending and box.buffer == b""
    finally:
        box.stop()


def test_sandbox_recovers_after_a_timeout(app, opening, hr):
    from worker.jobs.recruiting import process_cv

    files._stop_sandboxes()
    app.config["CV_PARSE_TIMEOUT"] = 0.001
    slow = _store_raw(app, opening, hr, make_pdf(CV_EN), "pdf")
    assert process_cv(slow.id) == "failed"
    app.config["CV_PARSE_TIMEOUT"] = 15
    good = _store_raw(app, opening, hr, make_pdf(CV_PT), "pdf")
    with app.test_request_context():
        assert process_cv(good.id) == "scored"


def test_lost_jobs_are_swept_back_into_the_queue(app, opening, hr, run_jobs):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from worker.jobs.recruiting import sweep_cvs

    _store_raw(app, opening, hr, CV_EN.encode(), "txt")  # never enqueued
    dead_id = _store_raw(app, opening, hr, CV_PT.encode(), "txt").id  # worker died mid-file
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    db.session.execute(update(CVFile).values(created_at=long_ago))
    db.session.execute(
        update(CVFile).where(CVFile.id == dead_id).values(status="extracting", claimed_at=long_ago)
    )
    db.session.commit()
    assert sweep_cvs() == 2
    assert run_jobs() == 2
    statuses = db.session.scalars(select(CVFile.status).order_by(CVFile.id)).all()
    assert statuses == ["scored", "scored"]
    assert sweep_cvs() == 0
