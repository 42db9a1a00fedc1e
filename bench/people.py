"""People benchmark: 10,000 employees; the directory and HR's employee list against a bare page.

    python -m bench.people [--employees 10000] [--duration 8] [--reps 3] [--rounds 40]

Built on bench/common.py (baseline, gunicorn, wrk, in-process timing).

1. Generates a SQLite company with Core bulk inserts: ``--employees`` employee records over 20
   departments (70% with a portal account carrying a work e-mail, extension and phone; a few
   hundred who left, a few dozen leaving), two history lines each, onboarding checklists (done
   for most, open for the newest hundred), offboarding checklists for the leavers; plus the
   shared bare baseline database.
2. In-process: the queries each page issues (constant whatever the data:
   tests/people/test_queries.py) and the median CPU ms per request through the WSGI stack,
   every page alternated with the baseline in each round (steady on a busy machine).
3. Over HTTP: the portal and the bare page under gunicorn (sync, 2 workers each) on
   127.0.0.1, loaded in turn with ``wrk`` (fixed duration and connections) ``--reps`` times.

Pages: the directory (first page, an accent-insensitive search, a department, the htmx list
fragment) and HR's employee list (first page, a later page, a search).  Target: each at least
0.55 of the bare page's requests per second in the same run.  No absolute time is asserted.

Results go to bench/RESULTS-people.md.  Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import random
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import common

HR_EMAIL = "hr@bench.test"
TARGET = 0.55
HX = {"HX-Request": "true"}
FIRST = (
    "João", "Maria", "José", "Ana", "Antônio", "Francisca", "Carlos", "Patrícia", "Paulo",
    "Júlia", "Lucas", "Letícia", "Márcio", "Fernanda", "Rafael", "Camila", "Sérgio", "Beatriz",
)  # fmt: skip
LAST = (
    "Silva", "Santos", "Oliveira", "Souza", "Araújo", "Conceição", "Gonçalves", "Brandão",
    "Lima", "Ribeiro", "Magalhães", "Simões", "Pereira", "Carvalho", "Assunção", "Fonseca",
)  # fmt: skip
POSITIONS = (
    "Analista financeiro", "Assistente administrativo", "Recepcionista", "Técnico de TI",
    "Comprador", "Coordenadora de RH", "Auxiliar de limpeza", "Vendedor", "Gerente comercial",
)  # fmt: skip


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )


def _at(day: date, days: int, minutes: int) -> datetime:
    """A distinct moment on ``day + days`` (ticked-off steps carry their own times)."""
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
        days=days, minutes=minutes % 480
    )


def generate(workdir: Path, employees: int, seed: int = 13) -> Path:
    """Build the company with bulk inserts; return the database path."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.extensions import db
    from portal.models import Department, User, UserRole
    from portal.models.people import ChecklistTask, Employee, EmployeeChange

    path = workdir / "people.db"
    if path.exists():
        path.unlink()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    started = time.perf_counter()
    app = create_app(common.portal_config(workdir, path))
    with app.app_context():
        db.create_all()
        departments = [f"Departamento {i:02d}" for i in range(20)]
        db.session.execute(insert(Department), [{"name": n} for n in departments])
        hashed = generate_password_hash(common.PASSWORD)
        users, staff = [], []
        rows = []
        for i in range(employees):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
            has_user = i == 0 or rng.random() < 0.7
            user_id = None
            if has_user:
                user_id = len(users) + 1
                users.append(
                    {
                        "email": HR_EMAIL if i == 0 else f"pessoa{i}@bench.test",
                        "name": "RH Bench" if i == 0 else name,
                        "password_hash": hashed,
                        "session_token": f"bench-{i}",
                        "active": True,
                        "must_change_password": False,
                        "department_id": 1 + i % 20,
                        "extension": f"{2000 + i % 8000}",
                        "phone": f"+55113{i:07d}"[:14],
                        "created_at": now,
                    }
                )
                staff.append(user_id)
            status = rng.choices(("active", "leaving", "left"), (95, 1, 4))[0]
            position = rng.choice(POSITIONS)
            dept = 1 + rng.randrange(20)
            start = today - timedelta(days=rng.randint(0, 3650))
            rows.append(
                {
                    "user_id": user_id,
                    "name": name,
                    "preferred_name": name.split()[0] if i % 7 == 0 else None,
                    "position": position,
                    "department_id": dept,
                    "manager_id": 1,
                    "contract_type": rng.choice(("clt", "clt", "clt", "pj", "estagio")),
                    "working_hours": "Seg a sex, 9h às 18h",
                    "start_date": start,
                    "status": "active" if i == 0 else status,
                    "last_day": today + timedelta(days=20) if status == "leaving" else None,
                    "email": f"pessoal{i}@example.org",
                    "search_key": _fold(f"{name} {position} {departments[dept - 1]}"),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(User), users)
        db.session.execute(
            insert(UserRole),
            [{"user_id": 1, "role": "hr_manager"}]
            + [{"user_id": u, "role": "staff"} for u in staff],
        )
        db.session.execute(insert(Employee), rows)
        changes, tasks = [], []
        for emp_id in range(1, employees + 1):
            row = rows[emp_id - 1]
            for field, old, new in (
                ("position", "Estagiário", row["position"]),
                ("department", "Departamento 00", departments[row["department_id"] - 1]),
            ):
                changes.append(
                    {
                        "employee_id": emp_id,
                        "field": field,
                        "old_value": old,
                        "new_value": new,
                        "effective_on": row["start_date"],
                        "actor_id": 1,
                        "at": now,
                    }
                )
            newest = emp_id > employees - 100
            for p in range(5):
                tasks.append(
                    {
                        "employee_id": emp_id,
                        "kind": "onboarding",
                        "position": p,
                        "title": f"Passo {p + 1}",
                        "assignee_id": 1,
                        "due_on": row["start_date"] + timedelta(days=p * 3),
                        "done_at": None
                        if newest and p >= 2
                        else _at(row["start_date"], p * 3, emp_id),
                    }
                )
            if row["status"] != "active":
                for p in range(3):
                    tasks.append(
                        {
                            "employee_id": emp_id,
                            "kind": "offboarding",
                            "position": p,
                            "title": f"Devolver {p + 1}",
                            "assignee_id": 1,
                            "due_on": row["last_day"] or today,
                            "done_at": _at(today, -p, emp_id) if row["status"] == "left" else None,
                        }
                    )
        for start in range(0, len(changes), 20_000):
            db.session.execute(insert(EmployeeChange), changes[start : start + 20_000])
        for start in range(0, len(tasks), 20_000):
            db.session.execute(insert(ChecklistTask), tasks[start : start + 20_000])
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    print(
        f"generated {employees} employees, {len(users)} accounts, {len(changes)} history lines, "
        f"{len(tasks)} checklist steps in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    common.generate_baseline(workdir / "baseline.db")
    return path


PAGES = {
    "directory": ("/people/", None),
    "directory search (accents)": ("/people/?q=joao+araujo", None),
    "directory, one department, page 2": ("/people/?department=3&page=2", None),
    "directory list fragment (htmx)": ("/people/?page=5", HX),
    "employee list": ("/people/employees", None),
    "employee list, page 40": ("/people/employees?page=40", None),
    "employee list search": ("/people/employees?q=silva", None),
}


def measure_in_process(path: Path, workdir: Path, rounds: int) -> dict[str, tuple[int, float]]:
    """Queries per page and median CPU ms per request (pages alternated with the baseline)."""
    client, engine = common.signed_in_client(path, workdir, email=HR_EMAIL)
    base = common.baseline_client(workdir / "baseline.db")
    queries = {
        name: common.count_queries(client, engine, url, headers)
        for name, (url, headers) in PAGES.items()
    }
    calls = {"baseline": lambda: base.get("/")}
    for name, (url, headers) in PAGES.items():
        calls[name] = lambda url=url, headers=headers: client.get(url, headers=headers or {})
    timings = common.interleaved(calls, rounds)
    return {
        name: (1 if name == "baseline" else queries[name], t.cpu_ms) for name, t in timings.items()
    }


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "people.db"
    if not (args.reuse and db_path.exists()):
        generate(workdir, args.employees)
    measured = measure_in_process(db_path, workdir, args.rounds)
    for name, (q, ms) in measured.items():
        print(f"in-process {name}: {q} queries, {ms:.2f} CPU ms", flush=True)
    results: dict[str, list[dict]] = {}
    if not args.in_process_only:
        with common.servers(workdir, db_path) as (portal, baseline):
            cookie = common.login_cookie(portal.url, HR_EMAIL)
            endpoints = {"baseline": common.Endpoint(baseline.url + "/", server=baseline)}
            for name, (url, headers) in PAGES.items():
                endpoints[name] = common.Endpoint(portal.url + url, cookie, portal, headers=headers)
            results = common.load(endpoints, workdir, duration=args.duration, reps=args.reps)
    report = _report(results, measured, args)
    common.write_report("RESULTS-people.md", report)
    return report


def _report(results: dict[str, list[dict]], measured: dict[str, tuple[int, float]], args) -> str:
    lines = [
        "# People benchmark",
        "",
        common.machine_line(),
        "",
        common.command_line(
            "bench.people", args, ["employees", "duration", "reps", "rounds", "in_process_only"]
        )
        + ". gunicorn sync, 2 workers each; wrk 2 threads, 8 connections, loopback. Medians of "
        f"the repetitions. Target: each page at least {TARGET:.2f} of the bare page's req/s in "
        "the same run.",
        "",
        "| page | queries | req/s | p50 ms | p95 ms | vs baseline (req/s) | server CPU ms/req |"
        " CPU vs baseline | in-process CPU ms | in-process vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base_ms = measured["baseline"][1]
    if results:
        base = common.median_of(results["baseline"], "rps")
        base_cpu = common.median_of(results["baseline"], "cpu_ms")
        for name, runs in results.items():
            rps = common.median_of(runs, "rps")
            cpu = common.median_of(runs, "cpu_ms")
            q, ms = measured[name]
            lines.append(
                f"| {name} | {q} | {rps:.0f} | {common.median_of(runs, 'p50'):.1f} | "
                f"{common.median_of(runs, 'p95'):.1f} | {rps / base:.2f} | {cpu:.2f} | "
                f"{base_cpu / cpu:.2f} | {ms:.2f} | {base_ms / ms:.2f} |"
            )
    else:
        for name, (q, ms) in measured.items():
            lines.append(f"| {name} | {q} | | | | | | | {ms:.2f} | {base_ms / ms:.2f} |")
    lines += [
        "",
        "Ratios are the page's figure over the bare page's (1.00 = as fast). Server CPU ms/req: "
        "CPU time of the gunicorn processes during each wrk run divided by the requests served; "
        "CPU vs baseline is the req/s ratio the page would reach on an otherwise idle machine. "
        "In-process: median CPU time through the WSGI stack, pages alternated with the baseline.",
        "",
        "The query counts do not depend on the data (tests/people/test_queries.py checks few vs "
        "many employees): the directory reads a page of plain rows (employee, department and "
        "account columns in one join) and one count; the employee list reads a page of plain "
        "rows, one count, the counts by status in one grouped query, and the open onboarding "
        "and offboarding checklists (grouped, only those not finished, bounded).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--workdir", default="/tmp/bench-people")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database")
    parser.add_argument(
        "--in-process-only", action="store_true", help="query counts and in-process timings only"
    )
    args = parser.parse_args()
    print(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
