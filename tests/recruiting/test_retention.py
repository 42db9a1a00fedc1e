"""CV retention: closed applications lose their CV files and text after the configured days."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import AuditEntry
from portal.models.recruiting import Application, ApplicationEvent, Candidate, CVFile
from tests.recruiting.conftest import upload_dir_files
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK, make_pdf


@pytest.fixture
def uploaded(app, client, login_as, hr, opening, run_jobs):
    """Three CVs uploaded and scored: {candidate name: application id}."""
    login_as(hr)
    response = client.post(
        f"/recruiting/openings/{opening.id}/upload",
        data={
            "files": [
                (io.BytesIO(make_pdf(CV_PT)), "mariana.pdf"),
                (io.BytesIO(CV_EN.encode()), "james.txt"),
                (io.BytesIO(CV_WEAK.encode()), "pedro.txt"),
            ]
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert run_jobs() == 3
    rows = db.session.execute(
        select(Candidate.name, Application.id).join(Application.candidate)
    ).all()
    return {name.split()[0]: app_id for name, app_id in rows}


def _close(client, application_id: int, stage: str, days_ago: int) -> None:
    response = client.post(
        f"/recruiting/applications/{application_id}/stage",
        data={"stage": stage, "reason": "profile does not match"},
    )
    assert response.status_code in (200, 303)
    db.session.execute(
        update(Application)
        .where(Application.id == application_id)
        .values(closed_at=datetime.now(UTC) - timedelta(days=days_ago))
    )
    db.session.commit()


def test_rejecting_starts_the_retention_clock(app, client, uploaded):
    before = datetime.now(UTC) - timedelta(seconds=5)
    client.post(
        f"/recruiting/applications/{uploaded['Pedro']}/stage",
        data={"stage": "rejected", "reason": "no experience"},
    )
    closed = db.session.scalar(
        select(Application.closed_at).where(Application.id == uploaded["Pedro"])
    )
    assert closed is not None and closed >= before
    assert (
        db.session.scalar(select(Application.closed_at).where(Application.id == uploaded["James"]))
        is None
    )


def test_retention_job_deletes_old_cvs_of_closed_candidates_only(app, client, hr, uploaded):
    from worker.jobs.recruiting import purge_expired_cvs

    app.config["CV_RETENTION_DAYS"] = 30
    _close(client, uploaded["Pedro"], "rejected", days_ago=31)
    _close(client, uploaded["James"], "withdrawn", days_ago=45)
    _close(client, uploaded["Mariana"], "rejected", days_ago=10)  # not yet
    stored = {cv.application_id: cv.stored_name for cv in db.session.scalars(select(CVFile))}
    assert all(name in upload_dir_files(app) for name in stored.values())

    assert purge_expired_cvs() == 2
    assert purge_expired_cvs() == 0  # idempotent
    db.session.expire_all()

    on_disk = upload_dir_files(app)
    for who in ("Pedro", "James"):
        application = db.session.get(Application, uploaded[who])
        assert stored[application.id] not in on_disk
        assert application.cv_text is None
        assert application.cv_purged_at is not None
        assert all(m["snippet"] == "" for m in application.evidence["must"])
        assert all(r["text"] == "" for r in application.evidence["ranges"])
        assert application.score > 0 and application.stage in ("rejected", "withdrawn")
        assert application.candidate.name.startswith(who)  # the record stays
        assert not db.session.scalars(
            select(CVFile).where(CVFile.application_id == application.id)
        ).all()
        assert db.session.scalar(
            select(ApplicationEvent).where(
                ApplicationEvent.application_id == application.id,
                ApplicationEvent.kind == "cv_purged",
            )
        ).details == {"files": 1, "days": 30}
    mariana = db.session.get(Application, uploaded["Mariana"])
    assert stored[mariana.id] in on_disk and mariana.cv_text and mariana.cv_purged_at is None
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "recruiting.cv.purged")
    ).all()
    assert sorted(e.target_id for e in entries) == sorted([uploaded["Pedro"], uploaded["James"]])
    assert all(e.changes == {"files": 1, "retention_days": 30} for e in entries)
    app.config.pop("CV_RETENTION_DAYS")


def test_purged_application_page_explains_and_the_cv_is_gone(app, client, login_as, hr, uploaded):
    from worker.jobs.recruiting import purge_expired_cvs

    app.config["CV_RETENTION_DAYS"] = 30
    pedro = uploaded["Pedro"]
    cv_id = db.session.scalar(select(CVFile.id).where(CVFile.application_id == pedro))
    _close(client, pedro, "rejected", days_ago=60)
    purge_expired_cvs()
    page = client.get(f"/recruiting/applications/{pedro}").get_data(as_text=True)
    assert 'id="cv-purged"' in page
    assert "CV and extracted text deleted after 30 days" in page
    assert "Download the CV" not in page
    assert client.get(f"/recruiting/cvs/{cv_id}").status_code == 404
    blind = client.get(f"/recruiting/applications/{pedro}", query_string={"blind": "1"})
    assert blind.status_code == 200
    opening_id = db.session.scalar(select(Application.opening_id).where(Application.id == pedro))
    ranked = client.get(
        f"/recruiting/openings/{opening_id}", query_string={"stage": "rejected"}
    ).get_data(as_text=True)
    assert f'id="application-{pedro}"' in ranked and "<q></q>" not in ranked
    app.config.pop("CV_RETENTION_DAYS")


def test_retention_from_the_environment_and_zero_keeps_everything(
    app, client, uploaded, monkeypatch
):
    from portal.services import recruiting

    _close(client, uploaded["Pedro"], "rejected", days_ago=400)
    monkeypatch.setenv("PORTAL_CV_RETENTION_DAYS", "0")
    assert recruiting.purge_expired_cvs() == 0
    monkeypatch.setenv("PORTAL_CV_RETENTION_DAYS", "365")
    assert recruiting.retention_days() == 365
    assert recruiting.purge_expired_cvs() == 1
    db.session.commit()
    assert db.session.scalar(select(func.count(CVFile.id))) == 2


def test_retention_job_forgets_old_form_tokens(app, hr):
    from portal.models.recruiting import FormToken
    from worker.jobs.recruiting import purge_expired_cvs

    now = datetime.now(UTC)
    db.session.add_all(
        [
            FormToken(token="o" * 32, user_id=hr.id, kind="upload", created_at=now - timedelta(2)),
            FormToken(token="n" * 32, user_id=hr.id, kind="upload", created_at=now),
        ]
    )
    db.session.commit()
    purge_expired_cvs()
    assert db.session.scalars(select(FormToken.token)).all() == ["n" * 32]


def test_cron_registers_the_retention_job(app):
    """The recruiting area declares the hourly retention job; the scheduler resolves it."""
    from werkzeug.utils import import_string

    from portal import ui
    from worker.jobs.recruiting import purge_expired_cvs

    jobs = {j.name: j for j in ui.registry(app).periodic_jobs}
    job = jobs["recruiting-cv-retention"]
    assert import_string(job.func) is purge_expired_cvs
    assert job.queue == "default" and job.interval == 3600
