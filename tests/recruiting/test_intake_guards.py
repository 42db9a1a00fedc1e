"""Upload guards: the virus scanner hook, the daily quota, and double-submit protection."""

from __future__ import annotations

import hashlib
import io
import re
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models.recruiting import Application, Candidate, CVFile, FormToken
from tests.recruiting.conftest import upload_dir_files
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK, make_pdf

SIGNATURE = b"PORTAL-TEST-VIRUS-SIGNATURE"

# A real (tiny) scanner with clamdscan's contract: the file on stdin, exit 0 clean, 1 infected
# (with a "stream: <name> FOUND" line), 2 error.  It logs the SHA-256 of what it was given.
SCANNER = f"""#!{sys.executable}
import hashlib, sys, time
data = sys.stdin.buffer.read()
log, mode = sys.argv[1], sys.argv[2]
with open(log, "a") as fh:
    fh.write(hashlib.sha256(data).hexdigest() + "\\n")
if mode == "error":
    sys.stderr.write("ERROR: Could not connect to clamd on LocalSocket /run/clamd.sock\\n")
    sys.exit(2)
if mode == "slow":
    time.sleep(5)
if {SIGNATURE!r} in data:
    print("stream: Portal.Test-Signature FOUND")
    sys.exit(1)
print("stream: OK")
"""


@pytest.fixture
def scanner(app, tmp_path):
    """Configure the scanner script; returns (set_mode, scanned hashes)."""
    script = tmp_path / "fake-clamdscan"
    script.write_text(SCANNER)
    script.chmod(0o755)
    log = tmp_path / "scanned.log"

    def use(mode: str = "scan") -> None:
        app.config["CV_AV_COMMAND"] = f"{script} {log} {mode}"

    def scanned() -> list[str]:
        return log.read_text().split() if log.exists() else []

    use()
    yield use, scanned
    app.config.pop("CV_AV_COMMAND", None)


def _post(client, opening_id, files, token=None):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    if token:
        data["form_token"] = token
    return client.post(
        f"/recruiting/openings/{opening_id}/upload", data=data, content_type="multipart/form-data"
    )


def _nothing_stored(app, before):
    assert upload_dir_files(app) == before
    assert db.session.scalar(select(func.count(CVFile.id))) == 0


# --- antivirus ---------------------------------------------------------------------------------


def test_clean_files_are_scanned_before_they_are_stored(
    app, client, login_as, hr, opening, scanner
):
    _use, scanned = scanner
    login_as(hr)
    pdf = make_pdf(CV_PT)
    response = _post(client, opening.id, [("mariana.pdf", pdf), ("pedro.txt", CV_WEAK.encode())])
    assert response.status_code == 303
    assert scanned() == [
        hashlib.sha256(pdf).hexdigest(),
        hashlib.sha256(CV_WEAK.encode()).hexdigest(),
    ]
    assert db.session.scalar(select(func.count(CVFile.id))) == 2


def test_infected_file_is_refused_with_the_scanners_verdict(
    app, client, login_as, hr, opening, scanner
):
    login_as(hr)
    before = upload_dir_files(app)
    infected = (CV_EN + "\n").encode() + SIGNATURE
    response = _post(client, opening.id, [("clean.pdf", make_pdf(CV_PT)), ("james.txt", infected)])
    # the clean file is kept (scanned on its own); the infected one is named with the verdict
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "james.txt: The virus scanner found a threat in the file" in page
    assert "Portal.Test-Signature FOUND" in page
    assert db.session.scalars(select(CVFile.original_name)).all() == ["clean.pdf"]
    assert len(upload_dir_files(app)) == len(before) + 1
    response = _post(client, opening.id, [("james.txt", infected)])
    assert response.status_code == 422  # nothing to keep: the form again, with the verdict
    assert "Portal.Test-Signature FOUND" in response.get_data(as_text=True)


@pytest.mark.parametrize("mode", ["error", "missing", "slow"])
def test_scanner_failure_refuses_the_upload_safely(
    app, client, login_as, hr, opening, scanner, mode
):
    use, scanned = scanner
    if mode == "missing":
        app.config["CV_AV_COMMAND"] = "/nonexistent/clamdscan --no-summary -"
    else:
        use(mode)
        app.config["CV_AV_TIMEOUT"] = 1
    login_as(hr)
    before = upload_dir_files(app)
    response = _post(client, opening.id, [("a.pdf", make_pdf(CV_PT)), ("b.txt", CV_WEAK.encode())])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The virus scanner could not check the file, so it was not accepted" in page
    assert page.count("could not check the file") == 1  # one answer, not one per file
    _nothing_stored(app, before)
    app.config.pop("CV_AV_TIMEOUT", None)


def test_scanner_command_from_the_environment(app, opening, hr, scanner, monkeypatch, tmp_path):
    from portal.services.recruiting import files

    _use, scanned = scanner
    command = app.config.pop("CV_AV_COMMAND")
    monkeypatch.setenv("PORTAL_AV_COMMAND", command)
    with app.test_request_context():
        assert files.av_command() == command.split()
        files.scan(b"hello")
        with pytest.raises(files.Refused) as refused:
            files.scan(SIGNATURE)
        assert refused.value.code == "infected"
    assert len(scanned()) == 2


# --- daily quota -------------------------------------------------------------------------------


def test_daily_file_quota(app, client, login_as, hr, make_user, opening):
    app.config["CV_DAILY_FILES"] = 2
    login_as(hr)
    ok = _post(client, opening.id, [("a.txt", CV_EN.encode()), ("b.txt", CV_PT.encode())])
    assert ok.status_code == 303
    page = client.get(f"/recruiting/openings/{opening.id}/upload").get_data(as_text=True)
    assert "Left today: 0 files" in page
    before = upload_dir_files(app)
    refused = _post(client, opening.id, [("c.txt", CV_WEAK.encode())])
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Daily upload limit reached: up to 2 files" in text
    assert "You can still upload 0 files" in text
    assert upload_dir_files(app) == before
    assert db.session.scalar(select(func.count(CVFile.id))) == 2
    # The quota is per person...
    login_as(make_user(roles=["hr_manager", "staff"], email="other-hr@example.com"))
    assert _post(client, opening.id, [("c.txt", CV_WEAK.encode())]).status_code == 303
    # ...and per day: yesterday's uploads no longer count.
    db.session.execute(
        update(CVFile)
        .where(CVFile.uploaded_by_id == hr.id)
        .values(created_at=datetime.now(UTC) - timedelta(days=1, hours=1))
    )
    db.session.commit()
    login_as(hr)
    assert _post(client, opening.id, [("d.txt", CV_WEAK.encode())]).status_code == 303
    app.config.pop("CV_DAILY_FILES")


def test_daily_megabyte_quota(app, client, login_as, hr, opening):
    app.config["CV_DAILY_MB"] = 1
    login_as(hr)
    big = (CV_EN + "\n" + "x" * 600_000).encode()
    assert _post(client, opening.id, [("big.txt", big)]).status_code == 303
    response = _post(client, opening.id, [("big2.txt", big)])
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "up to 200 files and 1 MB a day" in text
    assert re.search(r"You can still upload 199 files \(0\.4 MB\) today", text)
    app.config.pop("CV_DAILY_MB")


# --- double submit -----------------------------------------------------------------------------


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="form_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="form_token"', page
    )
    assert found, "the form carries no one-time token"
    return found.group(1)


def test_double_submitted_upload_creates_one_batch(app, client, login_as, hr, opening, run_jobs):
    login_as(hr)
    opening_id = opening.id
    before = set(upload_dir_files(app))
    token = _token(client, f"/recruiting/openings/{opening_id}/upload")
    files = [("mariana.pdf", make_pdf(CV_PT)), ("james.txt", CV_EN.encode())]
    first = _post(client, opening_id, files, token)
    second = _post(client, opening_id, files, token)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]  # the same progress page
    assert db.session.scalar(select(func.count(CVFile.id))) == 2
    assert len(set(upload_dir_files(app)) - before) == 2
    run_jobs()
    assert db.session.scalar(select(func.count(Application.id))) == 2
    # A fresh form (new token) uploads again, as the person meant it.
    third = _post(
        client, opening_id, files, _token(client, f"/recruiting/openings/{opening_id}/upload")
    )
    assert third.status_code == 303 and third.headers["Location"] != first.headers["Location"]


def test_two_simultaneous_submissions_of_one_form(app, hr, opening):
    opening_id, session_token = opening.id, hr.session_token
    token = "t" * 32
    barrier = threading.Barrier(2)
    results: list[tuple[int, str]] = []

    def submit() -> None:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = session_token
            sess["_fresh"] = True
        barrier.wait()
        response = _post(client, opening_id, [("a.txt", CV_EN.encode())], token)
        results.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [code for code, _ in results] == [303, 303]
    assert results[0][1] == results[1][1]
    assert db.session.scalar(select(func.count(CVFile.id))) == 1
    assert db.session.scalar(select(func.count(FormToken.token))) == 1


def test_double_submitted_candidate_is_added_once(app, client, login_as, hr, opening):
    login_as(hr)
    url = f"/recruiting/openings/{opening.id}/candidates/new"
    token = _token(client, url)
    data = {"name": "Ana Souza", "email": "ana@example.com", "locale": "pt_BR", "cv_text": CV_PT}
    first = client.post(url, data={**data, "form_token": token})
    second = client.post(url, data={**data, "form_token": token})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count(Candidate.id))) == 1


def test_a_token_is_one_persons_and_well_formed(app, client, login_as, hr, make_user, opening):
    login_as(hr)
    token = _token(client, f"/recruiting/openings/{opening.id}/upload")
    assert _post(client, opening.id, [("a.txt", CV_EN.encode())], token).status_code == 303
    login_as(make_user(roles=["hr_manager", "staff"], email="other@example.com"))
    replay = _post(client, opening.id, [("a.txt", CV_EN.encode())], token)
    assert replay.status_code == 422
    assert "This form is out of date" in replay.get_data(as_text=True)
    bad = _post(client, opening.id, [("a.txt", CV_EN.encode())], "<script>")
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count(CVFile.id))) == 1


def test_refused_upload_keeps_the_token_usable(app, client, login_as, hr, opening):
    login_as(hr)
    token = _token(client, f"/recruiting/openings/{opening.id}/upload")
    refused = _post(client, opening.id, [("photo.pdf", b"\x89PNG\r\n\x1a\n")], token)
    assert refused.status_code == 422
    assert f'value="{token}"' in refused.get_data(as_text=True)  # the form keeps its token
    assert _post(client, opening.id, [("a.txt", CV_EN.encode())], token).status_code == 303
