"""Recruiting benchmark (``make bench-cv``): CV ingestion vs raw parsing; ranked list vs Flask.

    python -m bench.recruiting [--cvs 100] [--apps 10000] [--duration 6] [--reps 3]

1. CV ingestion.  Generates ``--cvs`` two-page PDF CVs (fpdf2) and as many DOCX CVs
   (python-docx), then in the same run measures, sequentially on one core:
   - raw: pypdf / python-docx text extraction in-process (the library's own rate);
   - portal: ``worker.jobs.recruiting.process_cv`` for each stored file — the sandboxed child
     (memory/CPU limits, wall clock), contact extraction, scoring, and the database commit.
   Goal: portal files/s >= 70 % of raw files/s.
2. Ranking.  Generates one opening with ``--apps`` scored applications (bulk insert), serves the
   portal and a bare Flask + SQLite list page (bench.frontdesk's baseline) with gunicorn, loads
   both with wrk, and counts the queries of the ranked page for 25 and for all applications.
   Goals: constant query count; ranked page >= 50 % of the baseline's req/s.

Built on bench/common.py.  Results go to bench/RESULTS-recruiting.md.  Nothing here runs in the
test suite.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from bench import common

SECRET, PASSWORD = common.SECRET, common.PASSWORD
HR_EMAIL = "hr@bench.test"

SKILLS = [
    "conciliação bancária", "Excel", "planilhas", "contas a pagar", "SAP", "TOTVS", "Power BI",
    "SQL", "inglês avançado", "fechamento contábil", "fluxo de caixa", "orçamento",
]  # fmt: skip
REQUIREMENTS = [
    {"name": "Conciliação bancária", "synonyms": ["bank reconciliation"], "kind": "must"},
    {"name": "Excel", "synonyms": ["planilhas", "spreadsheets"], "kind": "must"},
    {"name": "Contas a pagar", "synonyms": ["accounts payable"], "kind": "must"},
    {"name": "SAP", "synonyms": ["TOTVS"], "kind": "nice", "weight": 3},
    {"name": "Power BI", "synonyms": [], "kind": "nice", "weight": 2},
    {"name": "SQL", "synonyms": [], "kind": "nice", "weight": 1},
]


# --- corpus ---------------------------------------------------------------------------------


def cv_text(rng: random.Random, i: int) -> str:
    name = f"Candidata {i:04d} da Conceição"
    lines = [name, f"candidata{i}@example.com | +55 11 9{rng.randint(1000, 9999)}-{i:04d}", ""]
    lines.append("Experiência profissional")
    year = 2010 + rng.randint(0, 8)
    while year < 2025:
        end = year + rng.randint(1, 4)
        lines.append(
            f"Empresa {rng.randint(1, 99)} Ltda., 01/{rng.randint(1, 12):02d}/{year} - "
            + ("atual" if end >= 2025 else f"{rng.randint(1, 12):02d}/{end}")
        )
        for _ in range(6):
            lines.append(
                "Responsável por "
                + ", ".join(rng.sample(SKILLS, 4))
                + " e relatórios gerenciais para a diretoria financeira."
            )
        year = end + 1
    lines += ["", "Formação", "Ciências Contábeis, 2005 - 2009"]
    return "\n".join(lines * 2)  # about two pages


def make_corpus(workdir: Path, n: int) -> list[tuple[str, Path]]:
    from portal.seed.recruiting import text_docx, text_pdf

    rng = random.Random(11)
    out: list[tuple[str, Path]] = []
    corpus = workdir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = cv_text(rng, i)
        pdf_path = corpus / f"cv{i}.pdf"
        if not pdf_path.exists():
            pdf_path.write_bytes(text_pdf(text, size=10, line_height=5))
        docx_path = corpus / f"cv{i}.docx"
        if not docx_path.exists():
            docx_path.write_bytes(text_docx(text))
        out += [("pdf", pdf_path), ("docx", docx_path)]
    return out


def raw_rate(corpus: list[tuple[str, Path]]) -> float:
    """Files per second of pypdf / python-docx alone, in-process, sequential."""
    import docx
    from pypdf import PdfReader

    started = time.perf_counter()
    for kind, path in corpus:
        if kind == "pdf":
            text = "\n".join(p.extract_text() or "" for p in PdfReader(path).pages)
        else:
            text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
        assert "@example.com" in text
    return len(corpus) / (time.perf_counter() - started)


def portal_rate(workdir: Path, corpus: list[tuple[str, Path]]) -> tuple[float, int]:
    """Files per second of the portal's job (sandboxed extract + contacts + score + commit)."""
    import hashlib

    from portal import create_app
    from portal.extensions import db
    from portal.models import User
    from portal.models.recruiting import Application, CVFile, Opening
    from portal.services.recruiting import files
    from worker.jobs.recruiting import process_cv

    db_path = workdir / "ingest.db"
    db_path.unlink(missing_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SECRET_KEY": SECRET,
            "UPLOAD_FOLDER": str(workdir / "uploads"),
        }
    )
    with app.app_context():
        db.create_all()
        user = User(email=HR_EMAIL, name="HR Bench")
        user.set_password(PASSWORD)
        db.session.add(user)
        opening = Opening(title="Analista", requirements=REQUIREMENTS, min_years=3, status="open")
        db.session.add(opening)
        db.session.commit()
        ids = []
        for kind, path in corpus:
            data = path.read_bytes()
            checked = files.check_upload(path.name, data)
            cv = CVFile(
                opening_id=opening.id, batch="bench", stored_name=files.store(checked),
                original_name=path.name, size=len(data), kind=kind,
                content_type=files.EXTENSIONS[kind], sha256=hashlib.sha256(data).hexdigest(),
                uploaded_by_id=user.id,
            )  # fmt: skip
            db.session.add(cv)
            db.session.flush()
            ids.append(cv.id)
        db.session.commit()
        files.sandbox()  # the worker starts its sandbox once; so does the bench, untimed
        process_cv(ids[0])  # warm-up (imports, first connection)
        started = time.perf_counter()
        for cv_id in ids[1:]:
            assert process_cv(cv_id) == "scored"
        elapsed = time.perf_counter() - started
        scored = db.session.query(Application).count()
        files._stop_sandboxes()
    return (len(ids) - 1) / elapsed, scored


# --- ranking ----------------------------------------------------------------------------------


def generate_ranking(workdir: Path, apps: int) -> tuple[Path, int]:
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.extensions import db
    from portal.models import User, UserRole
    from portal.models.recruiting import Application, Candidate, Opening, summarise_evidence
    from portal.services.recruiting import scoring

    path = workdir / "ranking.db"
    path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": SECRET})
    rng = random.Random(5)
    with app.app_context():
        db.create_all()
        db.session.execute(
            insert(User),
            [{"email": HR_EMAIL, "name": "HR Bench", "session_token": "bench-hr",
              "password_hash": generate_password_hash(PASSWORD), "active": True,
              "must_change_password": False}],
        )  # fmt: skip
        db.session.execute(insert(UserRole), [{"user_id": 1, "role": "hr_manager"}])
        opening = Opening(title="Analista", requirements=REQUIREMENTS, min_years=3, status="open")
        db.session.add(opening)
        db.session.commit()
        texts = [cv_text(rng, i) for i in range(50)]
        evidences = [scoring.score_cv(t, REQUIREMENTS, 3, today=date(2026, 11, 27)) for t in texts]
        db.session.execute(
            insert(Candidate),
            [{"name": f"Candidata {i:05d}", "email": f"c{i}@example.com", "locale": "pt_BR"}
             for i in range(apps)],
        )  # fmt: skip
        rows = []
        for i in range(apps):
            ev = evidences[i % 50]
            rows.append(
                {"opening_id": opening.id, "candidate_id": i + 1, "stage": "new",
                 "score": max(0, ev["score"] - rng.randint(0, 40)), "evidence": ev,
                 "rank_summary": summarise_evidence(ev),
                 "missing_must": scoring.missing_key(ev["missing"]), "years": ev["years"]}
            )  # fmt: skip
        db.session.execute(insert(Application), rows)
        db.session.commit()
        return path, opening.id


def count_queries(path: Path, opening_id: int) -> int:
    client, engine = common.signed_in_client(path, path.parent, email=HR_EMAIL)
    client.get(f"/recruiting/openings/{opening_id}")  # warm-up
    return common.count_queries(client, engine, f"/recruiting/openings/{opening_id}")


def measure_in_process(
    path: Path, opening_id: int, baseline_db: Path, rounds: int = 100
) -> dict[str, float]:
    """Median CPU milliseconds per request through the WSGI stack in one process (Flask test
    clients, no network, no load generator): the same comparison, steadier on a busy machine
    (process CPU time leaves out the time spent waiting for a core)."""
    client, _engine = common.signed_in_client(path, path.parent, email=HR_EMAIL)
    base = common.baseline_client(baseline_db)
    ranked = f"/recruiting/openings/{opening_id}"
    calls = {
        "baseline": lambda: base.get("/"),
        "ranked": lambda: client.get(ranked),
        "ranked, blind review": lambda: client.get(ranked + "?stage=active&blind=1"),
        "floor: smallest portal page (employees, empty)": lambda: client.get(
            "/recruiting/employees"
        ),
    }
    return {name: t.cpu_ms for name, t in common.interleaved(calls, rounds).items()}


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Recruiting benchmark results",
        "",
        common.machine_line(),
        "",
        f"Command: `python -m bench.recruiting --cvs {args.cvs} --apps {args.apps} "
        f"--duration {args.duration} --reps {args.reps}{' --skip-cv' if args.skip_cv else ''}`.",
        "",
    ]
    if not args.skip_cv:
        lines += cv_section(workdir, args)
    lines += ranking_section(workdir, args)
    return "\n".join(lines)


def cv_section(workdir: Path, args: argparse.Namespace) -> list[str]:
    lines = ["## 1. CV ingestion (extract + score) vs raw extraction, same files, same run", ""]
    corpus = make_corpus(workdir, args.cvs)
    raws, portals = [], []
    for rep in range(args.reps):
        raws.append(raw_rate(corpus))
        rate, scored = portal_rate(workdir, corpus)
        portals.append(rate)
        print(f"rep {rep + 1}: raw {raws[-1]:.1f} files/s, portal {rate:.1f} files/s ({scored})")
    raw, portal = statistics.median(raws), statistics.median(portals)
    lines += [
        f"{len(corpus)} files ({args.cvs} two-page PDF + {args.cvs} DOCX), median of {args.reps}.",
        "",
        "| Path | files/s (median) | runs |",
        "|---|---:|---|",
        f"| raw pypdf / python-docx, in-process | {raw:.1f} | "
        + ", ".join(f"{r:.1f}" for r in raws)
        + " |",
        f"| portal `process_cv` (sandboxed child, contacts, score, commit) | {portal:.1f} | "
        + ", ".join(f"{r:.1f}" for r in portals)
        + " |",
        "",
        f"**Ratio portal / raw = {portal / raw:.2f}** (goal >= 0.70).",
        "",
    ]
    return lines


def ranking_section(workdir: Path, args: argparse.Namespace) -> list[str]:
    lines = ["## 2. Ranked list of one opening vs bare Flask + SQLite list page", ""]
    db_path, opening_id = generate_ranking(workdir, args.apps)
    (workdir / "small").mkdir(exist_ok=True)
    small_path, small_id = generate_ranking(workdir / "small", 30)
    q_big, q_small = count_queries(db_path, opening_id), count_queries(small_path, small_id)
    common.generate_baseline(workdir / "baseline.db")
    with common.servers(workdir, db_path) as (portal, baseline):
        cookie = common.login_cookie(portal.url, HR_EMAIL)
        ranked = f"{portal.url}/recruiting/openings/{opening_id}"
        results = common.load(
            {
                "baseline": common.Endpoint(baseline.url + "/", server=baseline),
                "ranked": common.Endpoint(ranked, cookie, portal),
                "ranked, blind review": common.Endpoint(
                    ranked + "?stage=active&blind=1", cookie, portal
                ),
            },
            workdir,
            duration=args.duration,
            reps=args.reps,
        )
    base_rps = statistics.median(r["rps"] for r in results["baseline"])
    lines += [
        f"{args.apps} applications in one opening; page size 25; gunicorn sync, 2 workers each; "
        f"wrk 2 threads, 8 connections, {args.duration} s x {args.reps}.",
        "",
        "| Page | req/s (median) | p95 ms (median) | non-2xx | ratio to baseline | "
        "ratio per repetition (to the baseline run just before) | server CPU ms/req | "
        "CPU ratio |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    base_cpu = common.median_of(results["baseline"], "cpu_ms")
    for name, runs in results.items():
        cpu = common.median_of(runs, "cpu_ms")
        rps = statistics.median(r["rps"] for r in runs)
        p95 = statistics.median(r["p95"] for r in runs)
        bad = sum(r["non2xx"] + r["errors"] for r in runs)
        paired = [r["rps"] / b["rps"] for r, b in zip(runs, results["baseline"], strict=True)]
        lines.append(
            f"| {name} | {rps:.0f} | {p95:.1f} | {bad} | {rps / base_rps:.2f} | "
            + ", ".join(f"{x:.2f}" for x in paired)
            + f" (median {statistics.median(paired):.2f}) | {cpu:.2f} | {base_cpu / cpu:.2f} |"
        )
    lines += [
        "",
        f"Queries per ranked page: {q_big} with {args.apps} applications, {q_small} with 30 "
        "(constant: the signed-in user, the opening's header with the count, the page of rows).",
        "",
        "Server CPU ms/req: CPU time of the gunicorn processes during each wrk run divided by "
        "the requests served; the CPU ratio is the req/s ratio on an otherwise idle machine.",
        "",
        "Goal (issue 11): ranked page >= 0.55 of the baseline.",
        "",
    ]
    cpu = measure_in_process(db_path, opening_id, workdir / "baseline.db")
    lines += [
        "In-process, same data (Flask test clients, median CPU ms per request over 100 rounds, "
        "taken after the wrk runs):",
        "",
        "| Page | CPU ms | ratio to baseline (baseline ms / page ms) |",
        "|---|---:|---:|",
    ]
    for name, ms in cpu.items():
        lines.append(f"| {name} | {ms:.2f} | {cpu['baseline'] / ms:.2f} |")
    lines.append("")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cvs", type=int, default=100)
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/recruiting-bench")
    parser.add_argument(
        "--skip-cv", action="store_true", help="only the ranked-list part (section 2)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 2
    report = run(args)
    common.write_report("RESULTS-recruiting.md", report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
