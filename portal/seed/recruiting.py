"""Demo recruiting: openings with ranked candidates (generated CV files), interviews, scorecards.

CV files are generated (PDF with fpdf2, DOCX with python-docx, TXT) and stored like uploads; their
text is known, so they are scored directly instead of going through the sandboxed parser.  No
e-mails are written.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import Department
from portal.models.base import utcnow
from portal.models.recruiting import (
    CV_SCORED,
    Application,
    ApplicationEvent,
    Candidate,
    CVFile,
    Interview,
    InterviewSlot,
    Opening,
    Scorecard,
    WorkingHours,
)
from portal.services.recruiting import files, scoring

ORDER = 30

OPENINGS: list[dict[str, Any]] = [
    {
        "title": "Analista financeiro(a) pleno",
        "department": "Financeiro",
        "location": "São Paulo - SP (híbrido)",
        "min_years": 3,
        "languages": "Português, inglês intermediário",
        "status": "open",
        "requirements": [
            {"name": "Conciliação bancária", "synonyms": ["bank reconciliation"], "kind": "must"},
            {"name": "Excel", "synonyms": ["planilhas", "spreadsheets"], "kind": "must"},
            {"name": "Contas a pagar", "synonyms": ["accounts payable"], "kind": "must"},
            {"name": "SAP", "synonyms": ["TOTVS", "Protheus"], "kind": "nice", "weight": 3},
            {"name": "Power BI", "synonyms": ["dashboards"], "kind": "nice", "weight": 2},
            {"name": "Inglês", "synonyms": ["English"], "kind": "nice", "weight": 1},
        ],
    },
    {
        "title": "Assistente de logística",
        "department": "Operações",
        "location": "Guarulhos - SP",
        "min_years": 1,
        "languages": "Português",
        "status": "open",
        "requirements": [
            {
                "name": "Controle de estoque",
                "synonyms": ["gestão de estoque", "inventory"],
                "kind": "must",
            },
            {"name": "Expedição", "synonyms": ["shipping", "despacho"], "kind": "must"},
            {"name": "CNH", "synonyms": ["carteira de motorista"], "kind": "nice", "weight": 2},
            {"name": "WMS", "synonyms": [], "kind": "nice", "weight": 3},
        ],
    },
    {
        "title": "Desenvolvedor(a) Python",
        "department": "TI",
        "location": "Remoto",
        "min_years": 2,
        "languages": "Português, inglês",
        "status": "draft",
        "requirements": [
            {"name": "Python", "synonyms": [], "kind": "must"},
            {"name": "SQL", "synonyms": ["PostgreSQL"], "kind": "must"},
            {"name": "Flask", "synonyms": ["Django"], "kind": "nice", "weight": 3},
        ],
    },
]

FIRST = [
    "Ana",
    "Bruno",
    "Carla",
    "Daniel",
    "Elisa",
    "Fábio",
    "Gisele",
    "Hugo",
    "Íris",
    "Júlio",
    "Kátia",
    "Leonardo",
    "Marina",
    "Nicolas",
    "Olívia",
    "Paulo",
    "Renata",
    "Sérgio",
    "Tatiana",
    "Vinícius",
]
LAST = [
    "Assunção",
    "Brandão",
    "Conceição",
    "Damasceno",
    "Estêvão",
    "Falcão",
    "Gonçalves",
    "Holanda",
    "Junqueira",
    "Lacerda",
    "Magalhães",
    "Nóbrega",
    "Peçanha",
    "Quintão",
]
COMPANIES = [
    "Transportes Andrade Ltda.",
    "Comércio Ipiranga S.A.",
    "Grupo Boa Vista",
    "Metalúrgica Paulista",
    "Distribuidora Sol Nascente",
    "Brightline Logistics",
]


def _cv_text(rng, name: str, email: str, phone: str, opening: dict[str, Any]) -> str:
    reqs = opening["requirements"]
    have = [r for r in reqs if rng.random() < (0.8 if r["kind"] == "must" else 0.5)]
    skills = [rng.choice([r["name"], *r["synonyms"]]) for r in have]
    year = 2026 - rng.randint(1, 12)
    lines = [name, f"{email} | {phone} | São Paulo - SP", "", "Resumo",
             f"Profissional com experiência em {', '.join(skills[:2]) or 'atendimento'}.", "",
             "Experiência profissional"]  # fmt: skip
    while year < 2026:
        end = min(2026, year + rng.randint(1, 4))
        start = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}"
        finish = "atual" if end >= 2026 else f"{rng.randint(1, 12):02d}/{end}"
        lines.append(f"{rng.choice(COMPANIES)}, {start} - {finish}")
        chunk = skills[: rng.randint(1, max(1, len(skills)))]
        lines.append(f"Atividades: {', '.join(chunk) or 'rotinas administrativas'}.")
        year = end + 1
    lines += [
        "",
        "Formação",
        f"Graduação, {2026 - rng.randint(8, 16)} - {2026 - rng.randint(3, 7)}",
    ]
    return "\n".join(lines)


def text_pdf(text: str, *, size: int = 11, line_height: int = 6) -> bytes:
    """A PDF of ``text``, one paragraph per line (demo CVs; the tests' and benchmark's too)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=size)
    for line in text.splitlines():
        pdf.multi_cell(0, line_height, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def text_docx(text: str) -> bytes:
    """A DOCX of ``text``, one paragraph per line."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _store(kind: str, data: bytes) -> str:
    stored = f"{uuid.uuid4().hex}.{kind}"
    (files.upload_dir() / stored).write_bytes(data)
    return stored


def seed(ctx) -> None:
    rng = ctx.rng
    hr = ctx.users.get("hr_manager")
    uploader = ctx.users.get("back_office") or hr
    if hr is None:
        return
    departments = {d.name: d for d in db.session.scalars(select(Department))}
    interviewers = [hr] + [p for p in ctx.people if p is not hr][:2]
    for weekday in range(5):
        db.session.add(
            WorkingHours(user_id=hr.id, weekday=weekday, start_minute=9 * 60, end_minute=18 * 60)
        )
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = utcnow().astimezone(tz).date()
    n = 0
    for spec in OPENINGS:
        opening = Opening(
            title=spec["title"],
            department=departments.get(spec["department"]),
            description="",
            requirements=scoring.normalise_requirements(spec["requirements"]),
            min_years=spec["min_years"],
            languages=spec["languages"],
            location=spec["location"],
            status=spec["status"],
            hiring_manager=hr,
        )
        opening.interviewers = interviewers[:2]
        db.session.add(opening)
        db.session.flush()
        if spec["status"] != "open":
            continue
        for i in range(9):
            n += 1
            name = f"{FIRST[n % len(FIRST)]} {rng.choice(LAST)} {rng.choice(LAST)}"
            email = f"candidato{n}@example.com"
            phone = f"+55 11 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            text = _cv_text(rng, name, email, phone, spec)
            kind = ("pdf", "docx", "txt")[i % 3]
            data = (
                text_pdf(text)
                if kind == "pdf"
                else text_docx(text)
                if kind == "docx"
                else text.encode()
            )
            candidate = Candidate(
                name=name,
                email=email,
                phone=files.normalise_phone(phone, "BR"),
                locale="pt_BR" if i % 4 else "en",
            )
            result = scoring.score_cv(text, opening.requirements, opening.min_years, today=today)
            application = Application(
                opening=opening,
                candidate=candidate,
                stage="new",
                score=result["score"],
                evidence=result,
                years=result["years"],
                missing_must=scoring.missing_key(result["missing"]),
                cv_text=text,
            )
            db.session.add(application)
            db.session.flush()
            db.session.add(
                CVFile(
                    opening_id=opening.id,
                    application_id=application.id,
                    batch=f"seed{opening.id:028d}",
                    stored_name=_store(kind, data),
                    original_name=f"CV {name}.{kind}",
                    size=len(data),
                    kind=kind,
                    content_type=files.EXTENSIONS[kind],
                    sha256=hashlib.sha256(data).hexdigest(),
                    status=CV_SCORED,
                    uploaded_by_id=uploader.id,
                    processed_at=utcnow(),
                )
            )
            db.session.add(
                ApplicationEvent(
                    application_id=application.id,
                    kind="applied",
                    actor_id=uploader.id,
                    details={"score": application.score},
                )
            )
        # Move the best ones along, interview two of them, and offer free slots.
        ranked = list(
            db.session.scalars(
                select(Application)
                .where(Application.opening_id == opening.id)
                .order_by(Application.score.desc())
            )
        )
        for stage, application in zip(
            ("interview", "interview", "shortlisted", "screened"), ranked, strict=False
        ):
            application.stage = stage
            db.session.add(
                ApplicationEvent(
                    application_id=application.id,
                    kind="stage",
                    actor_id=hr.id,
                    details={"old": "new", "new": stage},
                )
            )
        ranked[-1].stage = "rejected"
        ranked[-1].stage_reason = "Perfil não aderente"
        ranked[-1].closed_at = utcnow()  # the CV retention clock starts here
        for k, application in enumerate(ranked[:2]):
            day = today + timedelta(days=(1 + k + opening.id) % 5 + 1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            start = datetime.combine(day, time(10 + 3 * k, 0), tz).astimezone(UTC)
            interview = Interview(
                application=application,
                uid=f"interview-{uuid.uuid4()}@portal.local",
                start_at=start,
                end_at=start + timedelta(hours=1),
                location="Sala de reuniões 2",
                organizer=hr,
            )
            interview.interviewers = opening.interviewers
            db.session.add(interview)
            if k == 0:
                db.session.flush()
                for person in opening.interviewers:
                    db.session.add(
                        Scorecard(
                            interview=interview,
                            interviewer=person,
                            ratings={
                                c: rng.randint(3, 5)
                                for c in (
                                    "technical",
                                    "communication",
                                    "problem_solving",
                                    "culture",
                                )
                            },
                            notes="Boa comunicação e domínio técnico.",
                            recommendation=rng.choice(["yes", "strong_yes"]),
                        )
                    )
        slot_day = today + timedelta(days=7)
        for _k in range(3):
            slot_day += timedelta(days=1)
            while slot_day.weekday() >= 5:  # working days only
                slot_day += timedelta(days=1)
            start = datetime.combine(slot_day, time(14, 0), tz)
            start_utc = start.astimezone(UTC)
            db.session.add(
                InterviewSlot(
                    opening_id=opening.id, start_at=start_utc, end_at=start_utc + timedelta(hours=1)
                )
            )
    db.session.flush()
