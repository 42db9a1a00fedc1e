"""LGPD retention: the policy and its settings page, the job that anonymises exactly what has
expired (frozen clock), the dry run, talent-pool consent, and nothing personal left behind."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import JSON, String, Text, func, select, update

import worker.jobs.retention as job
from portal.extensions import db
from portal.models import AuditEntry
from portal.models.frontdesk import Call, Visit
from portal.models.people import DisciplinaryWarning, Employee
from portal.models.recruiting import Application, Candidate, Opening
from portal.models.retention import RetentionPolicy
from portal.services.people import retention
from tests.people.conftest import login
from tests.recruiting.conftest import add_application, make_opening, opening  # noqa: F401

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
CV = "Experiência com Excel e SQL desde 2015. Analista financeiro sênior."


def _months_ago(months: int, days: int = 0) -> datetime:
    return retention.candidates.shift_months(NOW, -months) - timedelta(days=days)


@pytest.fixture
def frozen(monkeypatch):
    """The job's clock stands at NOW."""
    monkeypatch.setattr(job, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def make_candidate(app, add_application):  # noqa: F811
    """A candidate whose application ended ``months`` ago (rejected), or is still ``stage``."""

    def make(name: str, *, months: int | None = None, stage: str = "rejected", **kw):
        application = add_application(CV, name=name, **kw)
        values = {"stage": stage}
        if months is not None:
            values["closed_at"] = _months_ago(months, days=1)
            values["updated_at"] = _months_ago(months, days=1)
        db.session.execute(
            update(Application).where(Application.id == application.id).values(**values)
        )
        db.session.commit()
        return application.candidate_id

    return make


def _names(ids):
    return dict(
        db.session.execute(select(Candidate.id, Candidate.name).where(Candidate.id.in_(ids))).all()
    )


# --- the policy -----------------------------------------------------------------------------------


def test_defaults_are_documented_and_used(app):
    with app.app_context():
        months = retention.policy_months()
    assert months == {
        "candidates": 6,
        "consent": 12,
        "employees": 60,
        "discipline": 60,
        "calls": 12,
        "visits": 12,
    }
    for kind, policy in retention.POLICIES.items():
        assert policy.minimum <= policy.default <= policy.maximum, kind
        assert str(policy.why) and str(policy.starts)


def _policy_form(**overrides):
    data = {"candidates": "6", "consent": "12", "employees": "60", "discipline": "60"}
    data |= {"calls": "12", "visits": "12"}
    return data | overrides


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("candidates", "0"),
        ("candidates", "abc"),
        ("calls", ""),
        ("employees", "12"),  # less than the two years a labour claim may come in
        ("visits", "9999"),
        ("discipline", "72"),  # longer than the employee record it belongs to
    ],
)
def test_a_nonsense_period_is_refused_next_to_its_field(app, client, hr, field, value):
    login(client, hr)
    response = client.post("/people/retention", data=_policy_form(**{field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-field"' in html
    field_html = html.split(f'id="{field}-field"', 1)[1].split("</div>", 1)[0]
    assert "field-error" in field_html
    assert db.session.scalar(select(func.count()).select_from(RetentionPolicy)) == 0


def test_saving_the_policy_is_stored_and_audited(app, client, hr):
    login(client, hr)
    page = client.get("/people/retention")
    assert page.status_code == 200
    assert 'name="candidates"' in page.get_data(as_text=True)
    response = client.post("/people/retention", data=_policy_form(candidates="3", calls="6"))
    assert response.status_code == 303
    assert dict(db.session.execute(select(RetentionPolicy.kind, RetentionPolicy.months)).all()) == {
        "candidates": 3,
        "calls": 6,
    }
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "people.retention.policy_changed")
    )
    assert entry.actor_id == hr.id
    assert entry.changes == {"candidates": [6, 3], "calls": [12, 6]}


# --- the job ------------------------------------------------------------------------------------


@pytest.fixture
def world(app, hr, make_candidate, make_employee, make_opening):  # noqa: F811
    """Records on both sides of every period, at NOW."""
    ids = {
        "expired": make_candidate("Ana Expirada", months=7),
        "recent": make_candidate("Bruno Recente", months=5),
        "consented": make_candidate("Carla Consentiu", months=8),
        "consent_over": make_candidate("Davi Consentimento Vencido", months=20),
        "open": make_candidate("Eva Em Andamento", stage="interview"),
    }
    closed = make_opening(title="Vaga encerrada", status="closed")
    ids["closed_opening"] = make_candidate(
        "Fábio Vaga Fechada", months=9, stage="screened", op=closed
    )
    db.session.execute(
        update(Candidate)
        .where(Candidate.id == ids["consented"])
        .values(pool_consent_at=_months_ago(3), pool_consent_until=NOW + timedelta(days=270))
    )
    db.session.execute(
        update(Candidate)
        .where(Candidate.id == ids["consent_over"])
        .values(pool_consent_at=_months_ago(14), pool_consent_until=_months_ago(2))
    )
    old = make_employee(name="Gustavo Saiu Há Muito")
    newer = make_employee(name="Helena Saiu Recentemente")
    for employee, last_day in ((old, date(2021, 1, 10)), (newer, date(2023, 3, 1))):
        employee = db.session.get(Employee, employee.id)
        employee.status, employee.last_day = "left", last_day
        for n in range(2):
            db.session.add(
                DisciplinaryWarning(
                    employee_id=employee.id,
                    level="verbal",
                    facts=f"Fatos sobre {employee.name} {n}",
                    occurred_on=date(2020, 5, 1),
                    witness="Testemunha Silva",
                )
            )
    for months, name in ((13, "Ivo Ligou Antigo"), (11, "Júlia Ligou Recente")):
        db.session.add(
            Call(
                caller_name=name,
                phone="+5511912345678",
                outcome="message",
                message=f"Recado de {name}",
                created_at=_months_ago(months),
            )
        )
        db.session.add(Visit(visitor_name=name, badge_number="B1", arrived_at=_months_ago(months)))
    db.session.commit()
    ids["old_employee"], ids["newer_employee"] = old.id, newer.id
    return ids


def test_dry_run_counts_and_changes_nothing(app, client, hr, world, monkeypatch):
    monkeypatch.setattr(retention, "utcnow", lambda: NOW)
    snapshot = _names(world.values())
    audits = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with app.test_request_context():
        preview = {p.kind: p for p in retention.preview(NOW)}
    assert preview["candidates"].count == 3  # Ana, Davi, Fábio
    assert {s["name"] for s in preview["candidates"].sample} == {
        "Ana Expirada",
        "Davi Consentimento Vencido",
        "Fábio Vaga Fechada",
    }
    assert preview["employees"].count == 1
    assert preview["discipline"].count == 2  # the old leaver's two warnings
    assert preview["calls"].count == 1 and preview["visits"].count == 1
    login(client, hr)
    page = client.get("/people/retention")
    assert page.status_code == 200
    assert "Ana Expirada" in page.get_data(as_text=True)
    db.session.expire_all()
    assert _names(world.values()) == snapshot
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_the_job_anonymises_exactly_what_has_expired(app, world, frozen):
    with app.app_context():
        totals = job.anonymise_expired(batch=2)  # several short transactions per kind
    assert totals == {"candidates": 3, "employees": 1, "discipline": 2, "calls": 1, "visits": 1}
    people = {k: v for k, v in world.items() if not k.endswith("employee")}
    names = _names(people.values())
    anonymised = {k for k, cid in people.items() if names.get(cid) == "[anonymised]"}
    assert anonymised == {"expired", "consent_over", "closed_opening"}
    kept = db.session.get(Candidate, world["recent"])
    assert kept.name == "Bruno Recente" and kept.anonymised_at is None
    gone = db.session.get(Candidate, world["expired"])
    assert gone.email is None and gone.phone is None and gone.anonymised_at == NOW
    # Statistics stay: the application, its stage, opening and dates.
    application = db.session.scalar(select(Application).where(Application.candidate_id == gone.id))
    assert application.stage == "rejected" and application.closed_at is not None
    assert application.cv_text is None and application.stage_reason is None
    # Employees: the old leaver's record; the newer leaver keeps record and warnings (60 months).
    assert db.session.get(Employee, world["old_employee"]).anonymised_at is not None
    newer = db.session.get(Employee, world["newer_employee"])
    assert newer.anonymised_at is None and newer.name == "Helena Saiu Recentemente"
    facts = dict(
        db.session.execute(select(DisciplinaryWarning.employee_id, DisciplinaryWarning.facts)).all()
    )
    assert facts[world["old_employee"]] == "[anonymised]"
    assert facts[world["newer_employee"]].startswith("Fatos sobre Helena")
    assert set(db.session.scalars(select(Call.caller_name))) == {
        "[anonymised]",
        "Júlia Ligou Recente",
    }
    assert set(db.session.scalars(select(Visit.visitor_name))) == {
        "[anonymised]",
        "Júlia Ligou Recente",
    }
    old_call = db.session.scalar(select(Call).where(Call.caller_name == "[anonymised]"))
    assert old_call.phone is None and old_call.message is None and old_call.outcome == "message"
    batches = list(
        db.session.scalars(
            select(AuditEntry.changes).where(AuditEntry.action == "people.retention.anonymised")
        )
    )
    assert sum(b["count"] for b in batches if b["kind"] == "candidates") == 3
    assert len([b for b in batches if b["kind"] == "candidates"]) == 2  # batches of 2
    # Idempotent: nothing left the second time.
    with app.app_context():
        assert set(job.anonymise_expired().values()) == {0}


def test_a_shorter_discipline_period_erases_warnings_before_the_record(app, hr, world, frozen):
    db.session.add(RetentionPolicy(kind="discipline", months=24))
    db.session.commit()
    with app.app_context():
        totals = job.anonymise_expired()
    assert totals["discipline"] == 4 and totals["employees"] == 1
    newer = db.session.get(Employee, world["newer_employee"])
    assert newer.anonymised_at is None and newer.name == "Helena Saiu Recentemente"
    assert set(db.session.scalars(select(DisciplinaryWarning.facts))) == {"[anonymised]"}
    assert set(db.session.scalars(select(DisciplinaryWarning.witness))) == {""}


# --- consent ------------------------------------------------------------------------------------


def test_consent_keeps_the_candidate_until_it_expires(app, client, hr, make_candidate, monkeypatch):
    cid = make_candidate("Larissa Pool", months=7)
    login(client, hr)
    page = client.get(f"/people/candidates/{cid}/consent")
    assert page.status_code == 200
    assert "12 months" in page.get_data(as_text=True)
    refused = client.post(f"/people/candidates/{cid}/consent", data={})
    assert refused.status_code == 422
    assert "field-error" in refused.get_data(as_text=True)
    assert db.session.get(Candidate, cid).pool_consent_at is None
    assert client.post(f"/people/candidates/{cid}/consent", data={"agreed": "y"}).status_code == 303
    candidate = db.session.get(Candidate, cid)
    given = candidate.pool_consent_at
    assert "12 months" in candidate.pool_consent_text
    assert candidate.pool_consent_until == retention.candidates.shift_months(given, 12)
    assert (
        db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "recruiting.consent.recorded")
        ).actor_id
        == hr.id
    )
    # While it holds: kept, though the "not hired" period is long over.
    monkeypatch.setattr(job, "utcnow", lambda: given + timedelta(days=300))
    with app.app_context():
        assert job.anonymise_expired()["candidates"] == 0
    # Once it has expired: anonymised.
    monkeypatch.setattr(job, "utcnow", lambda: candidate.pool_consent_until + timedelta(days=1))
    with app.app_context():
        assert job.anonymise_expired()["candidates"] == 1
    db.session.expire_all()
    assert db.session.get(Candidate, cid).name == "[anonymised]"
    assert db.session.get(Candidate, cid).pool_consent_text is None
    assert client.get(f"/people/candidates/{cid}/consent").status_code == 404


def test_withdrawn_consent_makes_the_candidate_eligible(app, client, hr, make_candidate):
    cid = make_candidate("Marcos Desistiu", months=7)
    login(client, hr)
    client.post(f"/people/candidates/{cid}/consent", data={"agreed": "y"})
    with app.app_context():
        assert retention.preview()[0].count == 0
    assert client.post(f"/people/candidates/{cid}/consent/withdraw").status_code == 303
    with app.app_context():
        assert retention.preview()[0].count == 1
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "recruiting.consent.withdrawn")
    )


def test_consent_recorded_with_the_candidate_form(app, client, hr, opening):  # noqa: F811
    login(client, hr)
    form = client.get(f"/recruiting/openings/{opening.id}/candidates/new")
    assert "talent pool for 12 months" in form.get_data(as_text=True)
    response = client.post(
        f"/recruiting/openings/{opening.id}/candidates/new",
        data={"name": "Nina Banco", "locale": "pt_BR", "cv_text": CV, "pool_consent": "y"},
    )
    assert response.status_code == 303
    candidate = db.session.scalar(select(Candidate).where(Candidate.name == "Nina Banco"))
    assert candidate.pool_consent_until is not None and candidate.pool_consent_text


# --- run now, permissions -----------------------------------------------------------------------


def test_hr_runs_the_job_now(app, client, hr, make_candidate, run_jobs):
    cid, hr_id = make_candidate("Otávio Agora", months=8), hr.id
    login(client, hr)
    assert client.post("/people/retention/run").status_code == 303
    assert run_jobs() >= 1
    db.session.expire_all()
    assert db.session.get(Candidate, cid).name == "[anonymised]"
    assert (
        db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "people.retention.run_requested")
        ).actor_id
        == hr_id
    )


ROUTES = [
    ("get", "/people/retention"),
    ("post", "/people/retention"),
    ("post", "/people/retention/run"),
    ("get", "/people/candidates/{cid}/consent"),
    ("post", "/people/candidates/{cid}/consent"),
    ("post", "/people/candidates/{cid}/consent/withdraw"),
]


@pytest.mark.parametrize("role", ["staff", "back_office", "office_manager", "admin", "director"])
def test_only_hr_opens_the_retention_pages(app, client, make_user, make_candidate, role):
    cid = make_candidate("Paula Privada", months=8)
    login(client, make_user(roles=[role], email=f"{role}@retention.test"))
    for method, url in ROUTES:
        response = getattr(client, method)(url.format(cid=cid), headers={"HX-Request": "true"})
        assert response.status_code == 403, (role, url)
        assert "Paula Privada" not in response.get_data(as_text=True)
    assert db.session.get(Candidate, cid).pool_consent_at is None


# --- nothing personal left ----------------------------------------------------------------------

SECRETS = ["Rafaela Quintanilha", "rafaela.q@example.org", "+5511987001234", "98700-1234"]
CPF = "529.982.247-25"


def _leftovers(secrets):
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for value in row:
                text = value if isinstance(value, str) else repr(value)
                if any(s.lower() in text.lower() for s in secrets):
                    found.append((table.name, text[:80]))
    return found


def test_no_personal_data_is_left_after_the_job(app, client, hr, opening, run_jobs, frozen):  # noqa: F811
    login(client, hr)
    response = client.post(
        f"/recruiting/openings/{opening.id}/candidates/new",
        data={
            "name": SECRETS[0],
            "email": SECRETS[1],
            "phone": "(11) 98700-1234",
            "locale": "pt_BR",
            "cv_text": f"{SECRETS[0]}\nCPF {CPF}\n{CV}",
            "pool_consent": "y",
        },
    )
    assert response.status_code == 303
    application = db.session.scalar(select(Application))
    response = client.post(
        f"/recruiting/openings/{opening.id}/reject",
        data={"ids": [application.id], "reason": f"Obrigado, {SECRETS[0]}"},
    )
    assert response.status_code in (200, 303)
    run_jobs()
    assert _leftovers(SECRETS)  # the e-mail, timeline, audit and search rows do hold them
    db.session.execute(
        update(Application).values(closed_at=_months_ago(20), updated_at=_months_ago(20))
    )
    db.session.execute(update(Candidate).values(pool_consent_until=_months_ago(1)))
    db.session.commit()
    with app.app_context():
        assert job.anonymise_expired()["candidates"] == 1
    assert _leftovers(SECRETS + [CPF, "52998224725"]) == []
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1
    assert db.session.scalar(select(Opening.title)) == opening.title
