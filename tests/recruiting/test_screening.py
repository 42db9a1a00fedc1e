"""Ranking with evidence, filters, blind review, privacy of CVs, stages, bulk reject, hiring."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import AuditEntry
from portal.models.outbox import OutboundMessage
from portal.models.recruiting import Application, Employee
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK, make_pdf


@pytest.fixture
def three(add_application):
    mariana = add_application(CV_PT, email="mariana@example.com", locale="pt_BR")
    james = add_application(CV_EN, name="James O'Connor", email="james@example.com", locale="en")
    pedro = add_application(
        CV_WEAK, name="Pedro Henrique Lima", email="pedro@example.com", locale="pt_BR"
    )
    return mariana, james, pedro


def _order(page: str, names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: page.index(n) if n in page else 10**9)


def test_ranked_list_shows_best_first_with_evidence(client, login_as, hr, opening, three):
    login_as(hr)
    page = client.get(f"/recruiting/openings/{opening.id}").get_data(as_text=True)
    assert _order(page, ["Mariana", "James", "Pedro"])[-1] == "Pedro"
    assert "planilhas avançadas" in page  # the snippet for "Excel"
    assert "not found in the CV" in page  # Pedro's missing must-haves


def test_filters_stage_min_score_and_missing(client, login_as, hr, opening, three):
    login_as(hr)
    mariana, james, pedro = three
    url = f"/recruiting/openings/{opening.id}"
    page = client.get(url, query_string={"missing": "Excel"}).get_data(as_text=True)
    assert "Pedro" in page and "Mariana" not in page
    page = client.get(url, query_string={"missing": "none"}).get_data(as_text=True)
    assert "Pedro" not in page and "Mariana" in page
    page = client.get(url, query_string={"min_score": pedro.score + 1}).get_data(as_text=True)
    assert "Pedro" not in page
    page = client.get(url, query_string={"stage": "shortlisted"}).get_data(as_text=True)
    assert "No candidates match" in page


def test_counts_under_each_stage_filter(client, login_as, hr, opening, three):
    """The count under "active" (all minus hired/rejected/withdrawn) matches what is listed."""
    login_as(hr)
    mariana, james, pedro = three
    db.session.execute(
        Application.__table__.update()
        .where(Application.id == pedro.id)
        .values(stage="rejected", stage_reason="profile")
    )
    db.session.commit()
    url = f"/recruiting/openings/{opening.id}"
    page = client.get(url).get_data(as_text=True)  # default: active
    assert "2 items" in page and "Pedro" not in page
    page = client.get(url, query_string={"stage": ""}).get_data(as_text=True)
    assert "3 items" in page and "Pedro" in page
    page = client.get(url, query_string={"stage": "rejected"}).get_data(as_text=True)
    assert "1 item" in page and "Pedro" in page and "Mariana" not in page
    for query in ({"stage": "active", "missing": "none"}, {"stage": "active", "min_score": 50}):
        page = client.get(url, query_string=query).get_data(as_text=True)
        listed = page.count('class="rank-item"')
        assert listed and f"{listed} item" in page, query
    # Each row links to its application; blind review carries on to it.
    assert f'href="/recruiting/applications/{mariana.id}"' in page
    page = client.get(url, query_string={"blind": "1"}).get_data(as_text=True)
    assert f'href="/recruiting/applications/{mariana.id}?blind=1"' in page


def test_fragment_for_htmx(client, login_as, hr, opening, three):
    login_as(hr)
    response = client.get(f"/recruiting/openings/{opening.id}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="ranked">')
    assert "<html" not in body


def test_blind_review_hides_identity_and_cues(client, login_as, hr, opening, add_application):
    login_as(hr)
    text = CV_PT.replace("Resumo", "Resumo\n34 anos, feminino, casada")
    add_application(
        text,
        name="Mariana Conceição Araújo",
        email="mariana.araujo@example.com.br",
        phone="+55 11 98765-4321",
    )
    page = client.get(f"/recruiting/openings/{opening.id}", query_string={"blind": "1"}).get_data(
        as_text=True
    )
    for cue in ("Mariana", "Araújo", "mariana.araujo", "98765", "34 anos", "feminino", "casada"):
        assert cue not in page, cue
    assert "Candidate #" in page
    app_id = db.session.scalar(select(Application.id))
    page = client.get(f"/recruiting/applications/{app_id}", query_string={"blind": "1"}).get_data(
        as_text=True
    )
    for cue in ("Mariana", "mariana.araujo", "98765", "feminino"):
        assert cue not in page, cue


def test_ranked_list_query_count_is_constant(app, client, login_as, hr, opening, add_application):
    login_as(hr)
    opening_id = opening.id

    def count_queries() -> int:
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        db.session.remove()  # a request starts with an empty identity map
        event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert client.get(f"/recruiting/openings/{opening_id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return len(statements)

    add_application(CV_PT, email="a1@example.com")
    count_queries()  # warm-up: first requests fill per-process caches
    few = count_queries()
    for i in range(30):
        add_application(CV_EN, name=f"Person {i}", email=f"p{i}@example.com")
    many = count_queries()
    assert many == few


def test_only_hr_sees_candidates(client, login_as, make_user, opening, three):
    mariana = three[0]
    for roles in (["staff"], ["back_office"], ["office_manager"]):
        login_as(make_user(roles=roles))
        assert client.get(f"/recruiting/openings/{opening.id}").status_code == 403
        assert client.get(f"/recruiting/applications/{mariana.id}").status_code == 403
    login_as(make_user(roles=["admin"]))
    assert client.get(f"/recruiting/applications/{mariana.id}").status_code == 200


def test_anonymous_htmx_gets_401(client, opening):
    response = client.get(f"/recruiting/openings/{opening.id}", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "HX-Redirect" in response.headers


def test_cv_download_is_an_audited_sandboxed_attachment(
    app, client, login_as, hr, make_user, opening, run_jobs
):
    login_as(hr)
    client.post(
        f"/recruiting/openings/{opening.id}/upload",
        data={"files": [(io.BytesIO(make_pdf(CV_PT)), "Currículo <Mariana>.pdf")]},
        content_type="multipart/form-data",
    )
    hr_id = hr.id
    run_jobs()
    from portal.models import User
    from portal.models.recruiting import CVFile

    cv = db.session.scalar(select(CVFile))
    back_office = make_user(roles=["back_office"])
    login_as(back_office)
    assert client.get(f"/recruiting/cvs/{cv.id}").status_code == 403
    hr = db.session.get(User, hr_id)
    login_as(hr)
    response = client.get(f"/recruiting/cvs/{cv.id}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Curr%C3%ADculo%20%3CMariana%3E.pdf" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    views = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "recruiting.cv.viewed")
    ).all()
    assert len(views) == 1 and views[0].actor_id == hr.id and views[0].target_id == cv.id


def test_stored_files_are_not_under_static(app, client):
    from portal.services.recruiting import files

    with app.test_request_context():
        assert "static" not in str(files.upload_dir())
    assert client.get("/static/../instance/uploads/cvs/x.pdf").status_code == 404


# --- stages -------------------------------------------------------------------------------------


def test_move_through_stages_and_timeline(client, login_as, hr, three):
    login_as(hr)
    mariana = three[0]
    for stage in ("screened", "shortlisted"):
        response = client.post(
            f"/recruiting/applications/{mariana.id}/stage", data={"stage": stage}
        )
        assert response.status_code == 303
    page = client.get(f"/recruiting/applications/{mariana.id}").get_data(as_text=True)
    assert "Moved from New to Screened" in page
    assert "Moved from Screened to Shortlisted" in page


def test_reject_needs_a_reason(client, login_as, hr, three):
    login_as(hr)
    mariana = three[0]
    response = client.post(
        f"/recruiting/applications/{mariana.id}/stage", data={"stage": "rejected", "reason": ""}
    )
    assert response.status_code == 422
    assert "Give a reason." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, mariana.id).stage == "new"


def test_bulk_reject_sends_one_courteous_email_per_candidate_in_their_language(
    client, login_as, hr, opening, three
):
    login_as(hr)
    mariana, james, pedro = three
    ids = [james.id, pedro.id]
    for _ in range(2):  # a double submit changes nothing
        response = client.post(
            f"/recruiting/openings/{opening.id}/reject",
            data={"ids": [str(i) for i in ids], "reason": "Perfil diferente"},
        )
        assert response.status_code == 303
    messages = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.template == "recruiting_rejection")
    ).all()
    assert sorted(m.recipients[0] for m in messages) == ["james@example.com", "pedro@example.com"]
    by = {m.recipients[0]: m for m in messages}
    assert by["pedro@example.com"].locale == "pt_BR"
    assert by["james@example.com"].locale == "en"
    assert "Thank you for your interest" in by["james@example.com"].text_body
    assert "Perfil diferente" not in by["james@example.com"].text_body  # internal reason stays in
    db.session.expire_all()
    assert db.session.get(Application, mariana.id).stage == "new"
    assert db.session.get(Application, pedro.id).stage == "rejected"


def test_rejection_email_in_portuguese(app, client, login_as, hr, opening, three):
    login_as(hr)
    client.post(
        f"/recruiting/openings/{opening.id}/reject",
        data={"ids": [str(three[2].id)], "reason": "x"},
    )
    message = db.session.scalar(select(OutboundMessage))
    assert "Obrigad" in message.text_body  # a missing translation fails, it is never skipped


def test_hire_creates_the_employee_record(client, login_as, hr, opening, three):
    login_as(hr)
    mariana = three[0]
    response = client.post(
        f"/recruiting/applications/{mariana.id}/hire",
        # still "new": hiring without an interview needs the explicit confirmation
        data={"start_date": "2027-01-11", "position": "Analista financeira", "confirm_early": "y"},
    )
    assert response.status_code == 303
    employee = db.session.scalar(select(Employee))
    assert employee.application_id == mariana.id
    assert employee.name == "Mariana Conceição Araújo"
    assert employee.email == "mariana@example.com"
    assert employee.start_date == date(2027, 1, 11)
    assert employee.position == "Analista financeira"
    db.session.expire_all()
    assert db.session.get(Application, mariana.id).stage == "hired"
    # Hiring twice is refused; nothing half-saved.
    response = client.post(
        f"/recruiting/applications/{mariana.id}/hire", data={"start_date": "2027-01-11"}
    )
    assert response.status_code == 422
    assert "closed" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Employee.id))) == 1
    page = client.get("/recruiting/employees").get_data(as_text=True)
    assert "Mariana Conceição Araújo" in page


def test_hire_form_errors_are_422(client, login_as, hr, three):
    login_as(hr)
    response = client.post(f"/recruiting/applications/{three[0].id}/hire", data={})
    assert response.status_code == 422
    assert 'id="start_date-error"' in response.get_data(as_text=True)


def test_dashboard_cards(client, login_as, hr, opening, three):
    login_as(hr)
    page = client.get("/").get_data(as_text=True)
    assert 'id="card-recruiting-open"' in page
    assert 'id="card-reports-funnel"' in page  # the funnel chart, from the reports area
    assert 'id="card-recruiting-screen"' in page


def test_opening_form_parses_requirements(client, login_as, hr):
    login_as(hr)
    response = client.post(
        "/recruiting/openings",
        data={
            "title": "Assistente de logística",
            "status": "open",
            "must_haves": "Excel: planilhas, spreadsheets\nEstoque",
            "nice_to_haves": "SAP*3: TOTVS\nInglês",
            "min_years": "2",
            "interviewer_ids": [str(hr.id)],
        },
    )
    assert response.status_code == 303
    from portal.models.recruiting import Opening

    opening = db.session.scalar(select(Opening))
    assert opening.requirements == [
        {"name": "Excel", "synonyms": ["planilhas", "spreadsheets"], "kind": "must", "weight": 1},
        {"name": "Estoque", "synonyms": [], "kind": "must", "weight": 1},
        {"name": "SAP", "synonyms": ["TOTVS"], "kind": "nice", "weight": 3},
        {"name": "Inglês", "synonyms": [], "kind": "nice", "weight": 1},
    ]
    assert [u.id for u in opening.interviewers] == [hr.id]
    bad = client.post(
        "/recruiting/openings",
        data={"title": "X", "status": "open", "must_haves": "", "nice_to_haves": "A*9"},
    )
    assert bad.status_code == 422


def test_add_candidate_by_hand_validates_phone(client, login_as, make_user, opening):
    login_as(make_user(roles=["back_office"]))
    response = client.post(
        f"/recruiting/openings/{opening.id}/candidates/new",
        data={"name": "Ana", "phone": "123", "locale": "pt_BR"},
    )
    assert response.status_code == 422
    assert "not a valid phone number" in response.get_data(as_text=True)
    response = client.post(
        f"/recruiting/openings/{opening.id}/candidates/new",
        data={"name": "Ana Souza", "phone": "(11) 91234-5678", "locale": "pt_BR", "cv_text": CV_PT},
    )
    assert response.status_code == 303
    application = db.session.scalar(select(Application))
    assert application.candidate.phone == "+5511912345678"
    assert application.score > 50


def test_ranked_list_follows_a_rescore_and_the_worker(
    app, client, login_as, hr, opening, three, run_jobs
):
    """The list prints the compact evidence: it must change when the requirements change, and
    CVs scored by the worker (Core insert) must show their evidence too."""
    login_as(hr)
    opening_id = opening.id
    url = f"/recruiting/openings/{opening_id}"
    assert "Kubernetes" not in client.get(url).get_data(as_text=True)
    response = client.post(
        f"/recruiting/openings/{opening_id}/edit",
        data={
            "title": "Analista financeiro",
            "status": "open",
            "must_haves": "Excel: planilhas, spreadsheets\nKubernetes",
            "nice_to_haves": "",
            "min_years": "3",
            "interviewer_ids": [str(hr.id)],
        },
    )
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert page.count("✗ Kubernetes") == 3  # nobody has it: missing on every row
    assert "✓ Conciliação bancária" not in page  # no longer required
    client.post(
        f"{url}/upload",
        data={"files": [(io.BytesIO(make_pdf(CV_PT)), "again.pdf")]},
        content_type="multipart/form-data",
    )
    run_jobs()
    page = client.get(url).get_data(as_text=True)
    assert page.count("✗ Kubernetes") == 4
    assert page.count("planilhas avançadas") >= 2  # the new CV's snippet for Excel, too


def test_ranked_page_header_and_evidence_markup(
    client, login_as, hr, make_opening, add_application
):
    """The header (read with the count in one statement) and the evidence list (written in
    Python) show the opening's data and escape whatever came from the opening or the CV."""
    from portal.models import Department

    department = Department(name="Finanças & Controladoria")
    db.session.add(department)
    db.session.commit()
    op = make_opening(
        title="Analista <b>sênior</b>",
        department_id=department.id,
        requirements=[
            {"name": "C++ <templates>", "synonyms": ["C <plus> plus"], "kind": "must"},
            {"name": "Excel", "synonyms": [], "kind": "must"},
            {"name": "R & Python", "synonyms": [], "kind": "nice", "weight": 2},
        ],
    )
    add_application(
        "Experience\nDeveloper 2015 - 2024: C <plus> plus and <script>x</script> R & Python",
        name="Ana <Lima>",
        email="ana@example.com",
        op=op,
    )
    login_as(hr)
    page = client.get(f"/recruiting/openings/{op.id}").get_data(as_text=True)
    assert "Finanças &amp; Controladoria" in page
    assert "hiring manager: Patrícia Almeida" in page
    assert "São Paulo" in page
    assert "Analista &lt;b&gt;sênior&lt;/b&gt;" in page
    assert "<b>sênior" not in page and "<script>x" not in page and "<Lima>" not in page
    assert "✓ C++ &lt;templates&gt;</strong>" in page
    assert "(as “C &lt;plus&gt; plus”)" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<strong>✗ Excel</strong> — not found in the CV" in page
    assert '<span class="chip">R &amp; Python ×2</span>' in page
    assert "1 item" in page


def test_ranked_page_past_the_end_and_unknown_opening(client, login_as, hr, opening, three):
    login_as(hr)
    page = client.get(f"/recruiting/openings/{opening.id}", query_string={"page": 9})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # past the end: the last page, as every list (tests/core/test_hostile_params.py)
    assert "No candidates match" not in text and "3 items" in text
    assert "James O&#39;Connor" in text and "Pedro Henrique Lima" in text
    assert client.get("/recruiting/openings/999999").status_code == 404


def test_years_of_experience_use_the_languages_decimal_sign(
    client, hr, login_as, opening, add_application
):
    """1.6 years in English, 1,6 anos in Portuguese (ranked list and the application page)."""
    row = add_application(
        "Experience\nAnalyst 01/2023 - 08/2024: inventory control, Excel", name="Rui Lima"
    )
    years = str(db.session.get(Application, row.id).years)
    assert "." in years
    login_as(hr)
    english = client.get(f"/recruiting/openings/{opening.id}").get_data(as_text=True)
    assert f"{years} years of experience" in english
    client.post("/language", data={"locale": "pt_BR"})
    portuguese = client.get(f"/recruiting/openings/{opening.id}").get_data(as_text=True)
    assert f"{years.replace('.', ',')} anos de experiência" in portuguese
    detail = client.get(f"/recruiting/applications/{row.id}").get_data(as_text=True)
    assert f"Cerca de {years.replace('.', ',')} anos" in detail


# --- one copy of the row, the badge and the evidence, escaped ---------------------------------

HOSTILE_NAME = 'Ana <img src=x onerror="alert(1)"> & Co'
HOSTILE_CV = (
    "Experience\n2015 - 2024: Excel <script>alert('cv')</script> planilhas & macros\n"
    'Contas a pagar "><svg onload=alert(2)>\nSQL'
)


def test_hostile_name_and_cv_quote_are_escaped_in_the_list_and_the_detail(
    client, login_as, hr, opening, add_application, rendered_templates
):
    """The ranked list (page and htmx fragment) and the application page print the same
    partials (recruiting/_partials/_application.html) with autoescaping: nothing a candidate
    typed in a name or a CV becomes markup, in either place."""
    application = add_application(HOSTILE_CV, name=HOSTILE_NAME, email="ana@example.com")
    app_id, score = application.id, application.score
    login_as(hr)
    url = f"/recruiting/openings/{opening.id}"
    pages = {
        "recruiting/opening.html": client.get(url).get_data(as_text=True),
        "recruiting/_partials/_ranked.html": client.get(
            url, headers={"HX-Request": "true"}
        ).get_data(as_text=True),
        "recruiting/application.html": client.get(f"/recruiting/applications/{app_id}").get_data(
            as_text=True
        ),
    }
    assert rendered_templates == list(pages)  # which template answered each request
    escaped_name = "Ana &lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Co"
    tone = "high" if score >= 70 else ("mid" if score >= 40 else "low")
    for template, body in pages.items():
        assert "<img src" not in body and "<script>alert" not in body, template
        assert "<svg onload" not in body, template
        assert escaped_name in body, template
        assert "&lt;script&gt;alert(&#39;cv&#39;)&lt;/script&gt;" in body, template
        assert "&#34;&gt;&lt;svg onload=alert(2)&gt;" in body, template
        # the same score badge (one colour rule) and the same evidence items in both places
        assert f'<span class="score score-{tone}" title="Score">{score}</span>' in body, template
        assert "<strong>✓ Excel</strong>" in body, template
        assert "<strong>✗ Conciliação bancária</strong> — not found in the CV" in body, template
        assert '<span class="chip">SQL ×1</span>' in body, template
    # only the page of one application lists the nice-to-haves it did not find
    assert "SAP — not found" in pages["recruiting/application.html"]
    assert "SAP — not found" not in pages["recruiting/opening.html"]

    rendered_templates.clear()
    blind = client.get(f"/recruiting/applications/{app_id}", query_string={"blind": "1"})
    assert rendered_templates == ["recruiting/application.html"]
    body = blind.get_data(as_text=True)
    assert "onerror" not in body and "Ana &lt;img" not in body
    assert f"Candidate #{app_id}" in body
    assert "&lt;script&gt;alert(&#39;cv&#39;)&lt;/script&gt;" in body


def test_score_tone_is_one_rule():
    from portal.services.recruiting import scoring

    assert [scoring.score_tone(s) for s in (0, 39, 40, 69, 70, 100)] == [
        "low",
        "low",
        "mid",
        "mid",
        "high",
        "high",
    ]


def test_no_html_is_built_in_the_recruiting_python():
    """Rows, badges and evidence are Jinja partials: no markup in the area's Python, and no
    template switches autoescaping off."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "portal"
    python = [
        *(root / "services" / "recruiting").glob("*.py"),
        *(root / "blueprints" / "recruiting").rglob("*.py"),
    ]
    for path in python:
        text = path.read_text()
        for needle in ("Markup(", "<li", "<span", "<ul", "<td", "<strong"):
            assert needle not in text, (path.name, needle)
    for path in (root / "templates" / "recruiting").rglob("*.html"):
        assert "autoescape false" not in path.read_text(), path.name
