"""Reports benchmark: the five report pages over a year of office data against the bare page.

    python -m bench.reports [--calls 200000] [--movements 1000000] [--orders 20000]
                            [--applications 10000] [--duration 8] [--reps 3]

1. Generates a SQLite database with Core bulk inserts (``executemany``): ``--calls`` calls and
   5,000 staff requests over the last year, 5,000 supply items with ``--movements`` stock
   movements and ``--orders`` purchase orders (with deliveries), ``--applications``
   applications over 20 openings with their stage events and interviews, 2,000 machines with
   fortnightly meter readings and repairs, 600 employees with mandatory training; then builds
   the daily rollups as the periodic job keeps them (``flask reports rebuild-rollups``), and the
   bare baseline database of the front-desk bench.
2. Starts the portal and the bare Flask page (50 rows from one indexed query in a layout) under
   gunicorn (sync, 2 workers each) on 127.0.0.1.
3. Loads each report page with ``wrk`` (fixed duration and connections), alternating with the
   baseline, ``--reps`` times; records the queries each page issues (constant whatever the
   data: tests/reports/test_pages.py) and the same-run ratio to the baseline, by requests per
   second and by the server's CPU per request.  No absolute time is asserted.

Pages, each with its default period (front desk: this month; supplies and people: twelve months;
recruiting and equipment: three months).  Target: each at least 0.50 of the baseline's requests
per second in the same run.  ``--no-rollups`` measures the same pages reading only raw data.

Results go to bench/RESULTS-reports.md.  Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.frontdesk import (
    PASSWORD,
    ROOT,
    SECRET,
    _free_port,
    _generate_baseline,
    _start,
    _stop,
    _wrk,
)
from bench.supplies import _cpu_seconds, _median_ms
from bench.web import cookie_header, sign_in

OFFICE_EMAIL = "office@bench.test"
HR_EMAIL = "hr@bench.test"
TARGET = 0.50
PAGES = {
    "front desk": ("/reports/frontdesk", OFFICE_EMAIL),
    "supplies": ("/reports/supplies", OFFICE_EMAIL),
    "equipment": ("/reports/equipment", OFFICE_EMAIL),
    "recruiting": ("/reports/recruiting", HR_EMAIL),
    "people": ("/reports/people", HR_EMAIL),
}
YEAR_MINUTES = 525_600


def _config(workdir: Path, path: Path, rollups: bool = True) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": SECRET,
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "REPORTS_USE_ROLLUPS": rollups,
    }


def _insert(table, rows, size: int = 20_000) -> None:
    """Core ``executemany`` in chunks (no ORM objects)."""
    from sqlalchemy import insert

    from portal.extensions import db

    if rows:  # a misspelt key would be dropped silently by the bulk insert
        unknown = set(rows[0]) - set(table.__table__.columns.keys())
        assert not unknown, f"{table.__tablename__}: no column {sorted(unknown)}"
    for start in range(0, len(rows), size):
        db.session.execute(insert(table), rows[start : start + size])


def _people(rng, now, today, hashed) -> int:
    from portal.models import Department, User, UserRole
    from portal.models.people import Attendance, Course, Employee, TrainingSession

    _insert(Department, [{"name": f"Departamento {i:02d}"} for i in range(12)])
    staff = 500
    users = [
        {
            "email": OFFICE_EMAIL if i == 0 else HR_EMAIL if i == 1 else f"p{i}@bench.test",
            "name": "Escritório Bench" if i == 0 else "RH Bench" if i == 1 else f"Pessoa {i:04d}",
            "password_hash": hashed,
            "session_token": f"bench-{i}",
            "active": True,
            "must_change_password": False,
            "department_id": 1 + i % 12,
            "created_at": now,
        }
        for i in range(staff)
    ]
    _insert(User, users)
    _insert(
        UserRole,
        [{"user_id": 1, "role": "back_office"}, {"user_id": 2, "role": "hr_manager"}]
        + [{"user_id": i + 1, "role": "staff"} for i in range(2, staff)],
    )
    employees = []
    for i in range(600):
        start = today - timedelta(days=rng.randint(0, 3000))
        left = i % 9 == 0
        employees.append(
            {
                "user_id": i + 1 if i < staff else None,
                "name": f"Pessoa {i:04d}",
                "position": "Analista",
                "department_id": 1 + i % 12,
                "contract_type": "clt",
                "start_date": start,
                "status": "left" if left else "active",
                "last_day": start + timedelta(days=rng.randint(30, 400)) if left else None,
                "search_key": f"pessoa {i:04d}",
                "created_at": now,
                "updated_at": now,
            }
        )
    _insert(Employee, employees)
    _insert(
        Course,
        [{"title": f"Treinamento obrigatório {k}", "mandatory": True} for k in range(4)],
    )
    _insert(
        TrainingSession,
        [
            {"course_id": 1 + k, "held_on": today - timedelta(days=30 * k), "place": "Sala 1"}
            for k in range(4)
        ],
    )
    _insert(
        Attendance,
        [
            {
                "session_id": 1 + k,
                "employee_id": 1 + i,
                "attended": True,
                "expires_on": today + timedelta(days=365 - 30 * k),
            }
            for k in range(4)
            for i in range(0, 600, 1 + k)
        ],
    )
    return staff


def _frontdesk(rng, now, staff: int, calls: int) -> None:
    from portal.models.frontdesk import Call, StaffRequest

    batch = []
    for _i in range(calls):
        created = now - timedelta(minutes=rng.randint(0, YEAR_MINUTES))
        outcome = rng.choice(("message", "message", "transferred", "callback", "handled"))
        recipient = rng.randint(3, staff)
        status = "closed"
        returned = None
        if outcome in ("message", "callback"):
            status = "open" if rng.random() < 0.05 else "returned"
            if status == "returned":
                returned = created + timedelta(minutes=rng.randint(5, 240))
        batch.append(
            {
                "direction": "in",
                "caller_name": f"Cliente {rng.randint(1, 20000)}",
                "company": f"Empresa {rng.randint(1, 3000)} Ltda.",
                "phone": f"+55119{rng.randint(60000000, 99999999)}",
                "for_user_id": recipient,
                "recipient_id": recipient,
                "message": "Pediu retorno sobre a proposta.",
                "urgent": rng.random() < 0.05,
                "outcome": outcome,
                "status": status,
                "callback_due_at": created + timedelta(hours=2) if outcome == "callback" else None,
                "returned_at": returned,
                "logged_by_id": 1,
                "created_at": created,
            }
        )
        if len(batch) == 20_000:
            _insert(Call, batch)
            batch = []
    _insert(Call, batch)
    requests = []
    for i in range(5000):
        created = now - timedelta(minutes=rng.randint(0, YEAR_MINUTES))
        closed = i % 4 != 0
        requests.append(
            {
                "type": rng.choice(("general", "it", "facilities", "supplies")),
                "title": "Pedido",
                "description": "Preciso de ajuda.",
                "requester_id": rng.randint(3, staff),
                "assignee_id": 1,
                "status": "closed" if closed else "new",
                "created_at": created,
                "triaged_at": created + timedelta(hours=rng.randint(1, 30)),
                "closed_at": created + timedelta(hours=rng.randint(30, 200)) if closed else None,
            }
        )
    _insert(StaffRequest, requests)


def _supplies(rng, now, movements: int, orders: int) -> None:
    from portal.models.supplies import (
        PurchaseOrder,
        PurchaseOrderLine,
        Receipt,
        StockMovement,
        Supplier,
        SupplyCategory,
        SupplyItem,
    )

    _insert(
        SupplyCategory,
        [{"name": f"Categoria {i}", "monthly_budget": Decimal("50000.00")} for i in range(8)],
    )
    _insert(
        Supplier,
        [
            {
                "name": f"Fornecedor {i:02d}",
                "order_email": f"f{i}@bench.test",
                "lead_time_days": 3 + i % 5,
                "min_order_value": Decimal("0"),
                "active": True,
                "created_at": now,
            }
            for i in range(40)
        ],
    )
    items = 5000
    _insert(
        SupplyItem,
        [
            {
                "sku": f"SKU-{i:05d}",
                "name": f"Item de escritório {i:05d}",
                "category_id": 1 + i % 8,
                "unit": "un",
                "pack_size": 1,
                "supplier_id": 1 + i % 40,
                "unit_cost": Decimal(rng.randint(100, 50000)) / 100,
                "reorder_point": 10,
                "par_level": 40,
                "active": True,
                "on_hand": rng.randint(0, 200),
                "created_at": now,
            }
            for i in range(items)
        ],
    )
    batch = []
    for i in range(movements):
        issue = i % 3 != 0
        batch.append(
            {
                "item_id": 1 + int(rng.paretovariate(1.2) * 7) % items,
                "kind": "issue" if issue else "receipt",
                "quantity": -rng.randint(1, 5) if issue else 20,
                "actor_id": 1,
                "at": now - timedelta(minutes=rng.randint(0, YEAR_MINUTES)),
            }
        )
        if len(batch) == 50_000:
            _insert(StockMovement, batch, 50_000)
            batch = []
    _insert(StockMovement, batch, 50_000)
    rows, lines, receipts = [], [], []
    for i in range(orders):
        created = now - timedelta(minutes=rng.randint(60, YEAR_MINUTES))
        status = rng.choice(("closed", "closed", "received", "sent", "cancelled"))
        if i >= orders - 200:
            status = "pending_approval"
        approved = None if status in ("pending_approval", "cancelled") else created
        sent = created + timedelta(hours=2) if approved else None
        rows.append(
            {
                "supplier_id": 1 + i % 40,
                "category_id": 1 + i % 8,
                "status": status,
                "version": 1,
                "total": Decimal(rng.randint(2000, 90000)) / 100,
                "requester_id": 1,
                "created_at": created,
                "submitted_at": created,
                "updated_at": created,
                "approved_at": approved,
                "approver_id": 3 if approved else None,  # never the requester
                "sent_at": sent,
            }
        )
        lines.append(
            {
                "order_id": i + 1,
                "item_id": 1 + i % items,
                "quantity": 10,
                "unit_cost": Decimal("6.00"),
                "received_qty": 10 if status in ("closed", "received") else 0,
            }
        )
        if status in ("closed", "received"):
            receipts.append(
                {
                    "order_id": i + 1,
                    "received_by_id": 1,
                    "at": sent + timedelta(days=rng.randint(1, 9)),
                }
            )
    _insert(PurchaseOrder, rows, 10_000)
    _insert(PurchaseOrderLine, lines)
    _insert(Receipt, receipts)


def _recruiting(rng, now, staff: int, applications: int) -> None:
    from sqlalchemy import insert

    from portal.extensions import db
    from portal.models.recruiting import (
        Application,
        ApplicationEvent,
        Candidate,
        Interview,
        Opening,
        interview_interviewer,
    )

    _insert(
        Opening,
        [
            {
                "title": f"Vaga {k:02d}",
                "status": "open",
                "department_id": 1 + k % 12,
                "requirements": [],
                "created_at": now,
            }
            for k in range(20)
        ],
    )
    _insert(
        Candidate,
        [
            {"name": f"Candidata {i:05d}", "email": f"c{i}@example.com", "locale": "pt_BR"}
            for i in range(applications)
        ],
    )
    stages = ("new", "screened", "interview", "offer", "hired")
    apps, events, interviews = [], [], []
    for i in range(applications):
        created = now - timedelta(minutes=rng.randint(0, YEAR_MINUTES))
        reached = min(int(rng.expovariate(0.9)), 4)
        apps.append(
            {
                "opening_id": 1 + i % 20,
                "candidate_id": i + 1,
                "stage": stages[reached],
                "score": rng.randint(0, 100),
                "evidence": {},
                "missing_must": "",
                "created_at": created,
                "updated_at": created,
            }
        )
        events.append({"application_id": i + 1, "kind": "applied", "details": {}, "at": created})
        at = created
        for k in range(1, reached + 1):
            at = at + timedelta(days=rng.randint(1, 12))
            kind = "hired" if stages[k] == "hired" else "stage"
            events.append(
                {
                    "application_id": i + 1,
                    "kind": kind,
                    "details": {"old": stages[k - 1], "new": stages[k]},
                    "at": at,
                }
            )
            if stages[k] == "interview":
                interviews.append(
                    {
                        "application_id": i + 1,
                        "uid": f"bench-{i}@portal",
                        "status": "scheduled",
                        "start_at": at,
                        "end_at": at + timedelta(hours=1),
                        "organizer_id": 3 + i % 15,
                        "created_at": at,
                    }
                )
    _insert(Application, apps, 5000)
    _insert(ApplicationEvent, events)
    _insert(Interview, interviews)
    db.session.execute(
        insert(interview_interviewer),
        [
            {"interview_id": k + 1, "user_id": row["organizer_id"]}
            for k, row in enumerate(interviews)
        ],
    )


def _equipment(rng, now, today) -> None:
    from portal.models.equipment import Asset, Reading, Repair

    assets = []
    for i in range(2000):
        assets.append(
            {
                "asset_tag": f"EQ-{i:05d}",
                "type": "printer",
                "make": "Brother",
                "model": "HL-L5102",
                "model_key": "brother hl-l5102",
                "serial": f"SN{i:07d}",
                "floor": "Térreo",
                "room": f"Sala {i % 60}",
                "department_id": 1 + i % 12,
                "vendor_id": 1 + i % 40,
                "contract_number": f"CT-{i:05d}",
                "response_hours": 24,
                "price_mono": Decimal("0.0350"),
                "status": "in_use",
                "created_at": now,
                "updated_at": now,
            }
        )
    _insert(Asset, assets)
    readings, repairs = [], []
    for asset_id in range(1, 2001):
        mono = 1000
        for k in range(26):
            pages = rng.randint(200, 4000) if k else 0
            mono += pages
            readings.append(
                {
                    "asset_id": asset_id,
                    "read_on": today - timedelta(days=14 * (25 - k)),
                    "mono": mono,
                    "colour": 0,
                    "pages_mono": pages,
                    "pages_colour": 0,
                    "counter_replaced": False,
                    "actor_id": 1,
                    "created_at": now,
                }
            )
        if asset_id % 4 == 0:
            requested = now - timedelta(days=rng.randint(2, 360))
            repairs.append(
                {
                    "asset_id": asset_id,
                    "status": "closed",
                    "vendor_email": "reparo@bench.test",
                    "requested_at": requested,
                    "response_due_at": requested + timedelta(hours=24),
                    "promised_visit_at": requested + timedelta(hours=rng.randint(2, 48)),
                    "closed_at": requested + timedelta(days=2),
                    "cost": Decimal("350.00"),
                    "requested_by_id": 1,
                }
            )
    _insert(Reading, readings)
    _insert(Repair, repairs)


def generate(workdir: Path, args: argparse.Namespace, seed: int = 15) -> Path:
    """Build the database with Core bulk inserts, then the rollups; return its path."""
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.extensions import db
    from portal.services.reports import rollups

    path = workdir / "reports.db"
    path.unlink(missing_ok=True)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    started = time.perf_counter()
    app = create_app(_config(workdir, path))
    with app.app_context():
        db.create_all()
        # A bulk load, as an import does it: without the header search's per-row triggers
        # (SQLite FTS), then one fill of the search indexes at the end (`flask search reindex`).
        from portal.models.search_indexes import SEARCHED, sqlite_trigger_names

        for table in SEARCHED:
            for trigger in sqlite_trigger_names(table):
                db.session.execute(db.text(f"DROP TRIGGER IF EXISTS {trigger}"))
        staff = _people(rng, now, today, generate_password_hash(PASSWORD))
        _frontdesk(rng, now, staff, args.calls)
        _supplies(rng, now, args.movements, args.orders)
        _recruiting(rng, now, staff, args.applications)
        _equipment(rng, now, today)
        db.session.commit()
        if not args.skip_search_index:
            from portal.services.search import indexed

            indexed.rebuild()
            db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        seeded = time.perf_counter() - started
        rolled = time.perf_counter()
        days = rollups.rebuild()
        db.session.commit()
        rolled = time.perf_counter() - rolled
    print(
        f"generated {args.calls} calls, {args.movements} movements, {args.orders} orders, "
        f"{args.applications} applications in {seeded:.1f}s; rollups for {days} days in "
        f"{rolled:.1f}s"
    )
    _generate_baseline(workdir / "baseline.db")
    return path


def measure_in_process(
    path: Path, workdir: Path, rollups: bool, rounds: int = 20
) -> dict[str, tuple[int, float]]:
    """Queries per page (must not grow with the data) and median CPU ms through the test client."""
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db
    from portal.models import User

    app = create_app({**_config(workdir, path, rollups), "WTF_CSRF_ENABLED": False})
    out: dict[str, tuple[int, float]] = {}
    with app.app_context():
        tokens = dict(db.session.execute(db.select(User.email, User.session_token)).all())
        engine = db.engine
    for name, (url, email) in PAGES.items():
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = tokens[email]
            sess["_fresh"] = True
        client.get(url)
        seen: list[str] = []

        def listener(*a, seen=seen):
            seen.append(a[2])

        event.listen(engine, "before_cursor_execute", listener)
        status = client.get(url).status_code
        event.remove(engine, "before_cursor_execute", listener)
        out[name] = (len(seen) if status == 200 else -status, _median_ms(client, url, rounds))
        print(f"in-process {name}: {out[name][0]} queries, {out[name][1]:.1f} ms CPU")
    os.environ["BENCH_BASELINE_DB"] = str(workdir / "baseline.db")
    from bench.frontdesk import baseline_app

    out["baseline"] = (1, _median_ms(baseline_app().test_client(), "/", rounds))
    return out


def _login(base: str, email: str) -> str:
    opener, jar = sign_in(base, email, PASSWORD)
    assert opener.open(f"{base}/reports/").status == 200
    return cookie_header(jar)


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "reports.db"
    if not (args.reuse and db_path.exists()):
        generate(workdir, args)
    rollups = not args.no_rollups
    measured = measure_in_process(db_path, workdir, rollups)
    if args.in_process_only:
        return _report({}, measured, args)
    portal_port, base_port = _free_port(), _free_port()
    portal_env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": SECRET,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        "PORTAL_INSTANCE_PATH": str(workdir / "instance"),
        "PORTAL_UPLOAD_FOLDER": str(workdir / "uploads"),
        "PORTAL_REPORTS_USE_ROLLUPS": "1" if rollups else "0",
    }
    portal = _start("bench.frontdesk:portal_app()", portal_env, portal_port)
    baseline = _start(
        "bench.frontdesk:baseline_app()",
        {"BENCH_BASELINE_DB": str(workdir / "baseline.db")},
        base_port,
    )
    try:
        portal_url = f"http://127.0.0.1:{portal_port}"
        cookies = {email: _login(portal_url, email) for email in (OFFICE_EMAIL, HR_EMAIL)}
        endpoints = {"baseline": (f"http://127.0.0.1:{base_port}/", None, baseline)}
        endpoints.update(
            {
                name: (portal_url + url, cookies[email], portal)
                for name, (url, email) in PAGES.items()
            }
        )
        results: dict[str, list[dict]] = {name: [] for name in endpoints}
        for url, ck, _proc in endpoints.values():  # warm up
            _wrk(url, workdir, 1, ck)
        for rep in range(args.reps):
            for name, (url, ck, proc) in endpoints.items():
                before = _cpu_seconds(proc)
                res = _wrk(url, workdir, args.duration, ck)
                res["cpu_ms"] = (_cpu_seconds(proc) - before) * 1000 / max(res["requests"], 1)
                results[name].append(res)
                print(
                    f"rep {rep + 1} {name}: {res['rps']:.0f} req/s p95 {res['p95']:.1f} ms "
                    f"CPU {res['cpu_ms']:.2f} ms/request non-2xx {res['non2xx']}"
                )
    finally:
        _stop(portal)
        _stop(baseline)
    report = _report(results, measured, args)
    if not args.no_rollups:
        (ROOT / "bench" / "RESULTS-reports.md").write_text(report)
    return report


def _report(results: dict[str, list[dict]], measured: dict[str, tuple[int, float]], args) -> str:
    lines = [
        "# Reports benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()} "
        f"(Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}); `python -m bench.reports "
        f"--calls {args.calls} --movements {args.movements} --orders {args.orders} "
        f"--applications {args.applications} --duration {args.duration} --reps {args.reps}"
        f"{' --no-rollups' if args.no_rollups else ''}`.",
        "",
        "gunicorn sync, 2 workers each; wrk 2 threads, 8 connections, loopback. Medians of the "
        f"repetitions. Target: each page at least {TARGET:.2f} of the baseline's req/s, same run.",
        "",
        "| page | queries | req/s | p50 ms | p95 ms | p99 ms | vs baseline | server CPU ms/req |"
        " CPU vs baseline | in-process ms | in-process vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base_ms = measured["baseline"][1]
    if results:
        base = statistics.median(r["rps"] for r in results["baseline"])
        base_cpu = statistics.median(r["cpu_ms"] for r in results["baseline"])
        for name, runs in results.items():
            rps = statistics.median(r["rps"] for r in runs)
            cpu = statistics.median(r["cpu_ms"] for r in runs)
            q, ms = measured.get(name, ("?", float("nan")))
            lines.append(
                f"| {name} | {q} | {rps:.0f} | {statistics.median(r['p50'] for r in runs):.1f} | "
                f"{statistics.median(r['p95'] for r in runs):.1f} | "
                f"{statistics.median(r['p99'] for r in runs):.1f} | {rps / base:.2f} | "
                f"{cpu:.2f} | {base_cpu / cpu:.2f} | {ms:.1f} | {base_ms / ms:.2f} |"
            )
    else:
        for name, (q, ms) in measured.items():
            lines.append(f"| {name} | {q} | | | | | | | | {ms:.1f} | {base_ms / ms:.2f} |")
    lines += [
        "",
        "Ratios are the page's figure over the baseline's (1.00 = as fast as the bare page). "
        "Server CPU ms/req: CPU time of the gunicorn processes during each wrk run divided by "
        "the requests served (medians); CPU vs baseline is the req/s ratio the page would reach "
        "on an otherwise idle machine. In-process: median CPU time through the test client.",
        "",
        "Each figure is one grouped query (tests/reports/test_pages.py checks that the count does "
        "not grow with the data). Calls per day and per hour of the week, and the items issued "
        "most and least, read the daily rollups (report_call_rollup, report_stock_rollup) for "
        "closed days plus the raw rows of today; the rest aggregate the raw tables over their "
        "indexes.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/bench-reports")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database")
    parser.add_argument("--no-rollups", action="store_true", help="read the raw data only")
    parser.add_argument(
        "--skip-search-index", action="store_true", help="leave the header search index empty"
    )
    parser.add_argument(
        "--in-process-only", action="store_true", help="query counts and test-client timings only"
    )
    args = parser.parse_args()
    print(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
