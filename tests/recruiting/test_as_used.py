"""Recruiting as used (issue 17): feedback on merges and inline actions, partial CV batches,
scorecards only after the interview, a confirmed early hire, busy slots once, blind review that
hides the CV until the identity is revealed (audited)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import AuditEntry
from portal.models.recruiting import Application, Candidate, CVFile, Employee, Interview
from tests.recruiting.conftest import upload_dir_files
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK, make_pdf
from tests.recruiting.test_interviews import _schedule, next_monday


def _flashes(client) -> list[str]:
    with client.session_transaction() as sess:
        return [message for _cat, message in sess.get("_flashes", [])]


# --- (a) merging a duplicate ------------------------------------------------------------------


def test_merge_says_what_went_where_and_the_ranked_list_shows_the_person_once(
    client, login_as, hr, opening, add_application
):
    login_as(hr)
    first = add_application(CV_WEAK, name="Mariana Araújo", email="mariana@example.com")
    again = add_application(CV_PT, name="Mariana C. Araújo", email="mariana@example.com")
    assert again.duplicate_state == "possible"
    ranked = client.get(f"/recruiting/openings/{opening.id}").get_data(as_text=True)
    assert f'id="application-{first.id}"' in ranked and f'id="application-{again.id}"' in ranked

    response = client.post(
        f"/recruiting/applications/{again.id}/duplicate", data={"action": "merge"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/recruiting/applications/{first.id}")
    assert _flashes(client) == [
        "Mariana C. Araújo was merged into Mariana Araújo; the ranked list shows them once."
    ]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "was merged into Mariana Araújo" in page

    ranked = client.get(f"/recruiting/openings/{opening.id}").get_data(as_text=True)
    assert f'id="application-{first.id}"' in ranked
    assert f'id="application-{again.id}"' not in ranked
    assert db.session.scalar(select(func.count(Application.id))) == 1
    assert db.session.scalar(select(func.count(Candidate.id))) == 1
    # the better-scored CV now explains the one row's rank
    merged = db.session.get(Application, first.id)
    assert merged.score == again.score > 0
    assert db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "recruiting.duplicate.merge")
    )


def test_keep_both_says_so(client, login_as, hr, add_application):
    login_as(hr)
    add_application(CV_WEAK, name="Ana", phone="+5511912340000")
    again = add_application(CV_PT, name="Ana Souza", phone="+5511912340000")
    response = client.post(
        f"/recruiting/applications/{again.id}/duplicate", data={"action": "keep"}
    )
    assert response.status_code == 303
    assert _flashes(client) == ["Kept apart: Ana Souza stays a separate candidate."]
    assert db.session.scalar(select(func.count(Application.id))) == 2


# --- (b) a CV batch with one bad file ---------------------------------------------------------


def _upload(client, opening_id, files):
    return client.post(
        f"/recruiting/openings/{opening_id}/upload",
        data={"files": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data",
    )


def test_one_bad_file_keeps_the_good_ones_and_names_the_bad_one(app, client, login_as, hr, opening):
    login_as(hr)
    before = upload_dir_files(app)
    response = _upload(
        client,
        opening.id,
        [
            ("mariana.pdf", make_pdf(CV_PT)),
            ("photo.pdf", b"\x89PNG\r\n\x1a\n"),
            ("james.txt", CV_EN.encode()),
        ],
    )
    assert response.status_code == 303
    stored = db.session.scalars(select(CVFile.original_name).order_by(CVFile.id)).all()
    assert stored == ["mariana.pdf", "james.txt"]
    assert len(set(upload_dir_files(app)) - set(before)) == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 files stored and queued for reading." in page
    assert "1 file was refused and not stored:" in page
    assert "photo.pdf: " in page
    assert "mariana.pdf" in page and "james.txt" in page  # the batch's progress rows


def test_a_batch_of_only_bad_files_is_still_a_422_with_every_reason(
    app, client, login_as, hr, opening
):
    login_as(hr)
    before = upload_dir_files(app)
    response = _upload(
        client, opening.id, [("a.pdf", b"\x89PNG\r\n\x1a\n"), ("b.exe", b"MZ\x90\x00")]
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "a.pdf: " in body and "b.exe: " in body and 'id="files-error"' in body
    assert upload_dir_files(app) == before
    assert db.session.scalar(select(func.count(CVFile.id))) == 0


# --- (c) scorecards ---------------------------------------------------------------------------

CARD = {
    "technical": "4",
    "communication": "5",
    "problem_solving": "3",
    "culture": "4",
    "recommendation": "yes",
    "notes": "Boa comunicação",
}


def test_scorecard_waits_for_the_interview_and_lands_back_on_the_application(
    client, login_as, hr, add_application
):
    login_as(hr)
    mariana = add_application(CV_PT, email="mariana@example.com", locale="pt_BR")
    assert _schedule(client, mariana, [hr], next_monday()).status_code == 303
    interview = db.session.scalar(select(Interview))
    url = f"/recruiting/interviews/{interview.id}/scorecard"
    assert 'id="scorecard-early"' in client.get(url).get_data(as_text=True)
    early = client.post(url, data=CARD)
    assert early.status_code == 422
    body = early.get_data(as_text=True)
    assert 'id="recommendation-error"' in body and "has not taken place yet" in body
    assert interview.scorecards == []

    past = datetime.now(UTC) - timedelta(hours=2)
    db.session.execute(update(Interview).values(start_at=past, end_at=past + timedelta(hours=1)))
    db.session.commit()
    assert 'id="scorecard-early"' not in client.get(url).get_data(as_text=True)
    saved = client.post(url, data=CARD)
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/recruiting/applications/{mariana.id}")


# --- (d) hiring from the first stage ----------------------------------------------------------


def test_hire_from_the_first_stage_needs_an_explicit_confirmation(
    client, login_as, hr, add_application
):
    login_as(hr)
    mariana = add_application(CV_PT, email="mariana@example.com")
    page = client.get(f"/recruiting/applications/{mariana.id}").get_data(as_text=True)
    assert 'name="confirm_early"' in page
    data = {"start_date": "2027-01-11", "position": "Analista financeira"}
    refused = client.post(f"/recruiting/applications/{mariana.id}/hire", data=data)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="confirm_early-error"' in body and "has not been interviewed yet" in body
    assert db.session.scalar(select(func.count(Employee.id))) == 0
    hired = client.post(
        f"/recruiting/applications/{mariana.id}/hire", data={**data, "confirm_early": "y"}
    )
    assert hired.status_code == 303
    assert db.session.scalar(select(func.count(Employee.id))) == 1


def test_hire_after_the_interview_stage_needs_no_confirmation(
    client, login_as, hr, add_application
):
    login_as(hr)
    mariana = add_application(CV_PT, email="mariana@example.com")
    client.post(f"/recruiting/applications/{mariana.id}/stage", data={"stage": "offer"})
    page = client.get(f"/recruiting/applications/{mariana.id}").get_data(as_text=True)
    assert 'name="confirm_early"' not in page
    hired = client.post(
        f"/recruiting/applications/{mariana.id}/hire", data={"start_date": "2027-01-11"}
    )
    assert hired.status_code == 303


# --- (e) inline actions confirm what happened -------------------------------------------------


def test_a_stage_move_confirms_it_in_the_page(client, login_as, hr, add_application):
    login_as(hr)
    mariana = add_application(CV_PT, email="mariana@example.com")
    moved = client.post(
        f"/recruiting/applications/{mariana.id}/stage",
        data={"stage": "shortlisted"},
        headers={"HX-Request": "true"},
    )
    assert moved.status_code == 204 and moved.headers["HX-Location"]
    page = client.get(moved.headers["HX-Location"]).get_data(as_text=True)
    assert "Moved to the stage “Shortlisted”." in page
    assert 'id="flash"' in page


# --- (f) busy slots ---------------------------------------------------------------------------


def test_busy_slots_are_listed_once(app, client, login_as, hr, add_application):
    login_as(hr)
    mariana = add_application(CV_PT, email="mariana@example.com")
    james = add_application(CV_EN, name="James O'Connor", email="james@example.com")
    start = next_monday(weeks=0)
    assert _schedule(client, mariana, [hr], start).status_code == 303
    # a second interview at the very same time (a panel, or booked before the check existed)
    first = db.session.scalar(select(Interview))
    twin = Interview(
        application_id=james.id,
        uid="twin@example.com",
        start_at=first.start_at,
        end_at=first.end_at,
        interviewers=list(first.interviewers),
    )
    db.session.add(twin)
    db.session.commit()
    page = client.get("/recruiting/availability").get_data(as_text=True)
    busy = page[page.index('id="busy-slots"') :]
    busy = busy[busy.index("My busy slots") : busy.index("</section>")]
    assert busy.count("<li>") == 1


# --- (g) blind review -------------------------------------------------------------------------


def test_blind_review_hides_the_cv_until_the_identity_is_revealed(
    app, client, login_as, hr, opening, run_jobs
):
    login_as(hr)
    hr_id = hr.id
    assert _upload(client, opening.id, [("mariana.txt", CV_PT.encode())]).status_code == 303
    run_jobs()
    cv = db.session.scalar(select(CVFile))
    application_id = cv.application_id
    assert application_id is not None

    blind = client.get(f"/recruiting/applications/{application_id}", query_string={"blind": "1"})
    body = blind.get_data(as_text=True)
    assert f"/recruiting/cvs/{cv.id}" not in body and 'id="cv-hidden"' in body
    assert client.get(f"/recruiting/cvs/{cv.id}").status_code == 403
    # dropping ?blind=1 from the address does not reveal anything
    body = client.get(f"/recruiting/applications/{application_id}").get_data(as_text=True)
    assert "Mariana" not in body and f"/recruiting/cvs/{cv.id}" not in body
    assert not db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "recruiting.identity.revealed")
    )

    revealed = client.post(f"/recruiting/applications/{application_id}/reveal")
    assert revealed.status_code == 303
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "recruiting.identity.revealed")
    )
    assert entry is not None and entry.actor_id == hr_id
    body = client.get(f"/recruiting/applications/{application_id}").get_data(as_text=True)
    assert "Mariana" in body and f"/recruiting/cvs/{cv.id}" in body
    assert "Identity revealed" in body
    assert client.get(f"/recruiting/cvs/{cv.id}").status_code == 200
