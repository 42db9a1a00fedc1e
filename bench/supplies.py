"""Supplies benchmark: a large catalogue and ledger, then three pages against a bare Flask page.

    python -m bench.supplies [--items 5000] [--movements 1000000] [--orders 20000]
                             [--pending 50] [--duration 8] [--reps 3]

1. Generates a SQLite database with bulk inserts: ``--items`` items (about 2% below their
   reorder point), ``--movements`` ledger rows over a year, ``--orders`` purchase orders with two
   lines each (``--pending`` of them waiting for approval), plus the bare baseline database.
2. Starts the portal and the bare Flask page (the front-desk bench's baseline: 50 rows from one
   indexed query in a layout) under gunicorn (sync, 2 workers each) on 127.0.0.1.
3. Loads each page with ``wrk`` (fixed duration and connections), alternating, ``--reps`` times;
   records the queries each page issues (constant whatever the data) and the same-run ratio to
   the baseline.

Results go to bench/RESULTS-supplies.md.  Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
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
from bench.web import cookie_header, sign_in

MANAGER_EMAIL = "manager@bench.test"


def _config(workdir: Path, path: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": SECRET,
        "UPLOAD_FOLDER": str(workdir / "uploads"),
    }


def generate(workdir: Path, args: argparse.Namespace, seed: int = 11) -> Path:
    """Build the database with bulk inserts; return its path."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.extensions import db
    from portal.models import User, UserRole
    from portal.models.supplies import (
        PurchaseOrder,
        PurchaseOrderLine,
        StockMovement,
        Supplier,
        SupplyCategory,
        SupplyItem,
    )

    path = workdir / "supplies.db"
    if path.exists():
        path.unlink()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    app = create_app(_config(workdir, path))
    with app.app_context():
        db.create_all()
        hashed = generate_password_hash(PASSWORD)
        db.session.execute(
            insert(User),
            [
                {
                    "email": MANAGER_EMAIL,
                    "name": "Gerente Bench",
                    "password_hash": hashed,
                    "session_token": "bench-manager",
                    "active": True,
                    "must_change_password": False,
                    "created_at": now,
                },
                {
                    "email": "backoffice@bench.test",
                    "name": "Back Office Bench",
                    "password_hash": hashed,
                    "session_token": "bench-bo",
                    "active": True,
                    "must_change_password": False,
                    "created_at": now,
                },
            ],
        )
        db.session.execute(
            insert(UserRole),
            [
                {"user_id": 1, "role": "office_manager"},
                {"user_id": 2, "role": "back_office"},
            ],
        )
        db.session.execute(
            insert(SupplyCategory),
            [{"name": f"Categoria {i}", "monthly_budget": Decimal("5000.00")} for i in range(8)],
        )
        db.session.execute(
            insert(Supplier),
            [
                {
                    "name": f"Fornecedor {i}",
                    "order_email": f"f{i}@bench.test",
                    "lead_time_days": 3,
                    "min_order_value": Decimal("0"),
                    "active": True,
                    "created_at": now,
                }
                for i in range(40)
            ],
        )
        items = []
        for i in range(args.items):
            low = rng.random() < 0.02
            items.append(
                {
                    "sku": f"SKU-{i:05d}",
                    "name": f"Item de escritório {i:05d}",
                    "category_id": 1 + i % 8,
                    "unit": "un",
                    "pack_size": rng.choice((1, 5, 10, 50)),
                    "supplier_id": 1 + i % 40,
                    "unit_cost": Decimal(rng.randint(100, 50000)) / 100,
                    "reorder_point": 10,
                    "par_level": 40,
                    "location": f"Prateleira {i % 60}",
                    "active": True,
                    "on_hand": rng.randint(0, 9) if low else rng.randint(11, 200),
                    "created_at": now,
                }
            )
        db.session.execute(insert(SupplyItem), items)
        batch = []
        for i in range(args.movements):
            item_id = 1 + i % args.items
            batch.append(
                {
                    "item_id": item_id,
                    "kind": "issue" if i % 3 else "receipt",
                    "quantity": -1 if i % 3 else 3,
                    "actor_id": 2,
                    "at": now - timedelta(minutes=rng.randint(0, 525_600)),
                }
            )
            if len(batch) == 20_000:
                db.session.execute(insert(StockMovement), batch)
                batch = []
        if batch:
            db.session.execute(insert(StockMovement), batch)
        orders, lines = [], []
        for i in range(args.orders):
            pending = i >= args.orders - args.pending
            status = (
                "pending_approval"
                if pending
                else rng.choice(("closed", "closed", "closed", "received", "cancelled"))
            )
            created = now - timedelta(minutes=rng.randint(0, 525_600))
            orders.append(
                {
                    "supplier_id": 1 + i % 40,
                    "category_id": 1 + i % 8,
                    "status": status,
                    "version": 1,
                    "total": Decimal("120.00"),
                    "requester_id": 2,
                    "created_at": created,
                    "submitted_at": created,
                    "updated_at": created,
                    "approved_at": None if pending or status == "cancelled" else created,
                    "approver_id": None if pending or status == "cancelled" else 1,
                }
            )
            for k in range(2):
                lines.append(
                    {
                        "order_id": i + 1,
                        "item_id": 1 + (i * 2 + k) % args.items,
                        "quantity": 10,
                        "unit_cost": Decimal("6.00"),
                        "received_qty": 0 if pending else 10,
                    }
                )
        for chunk in range(0, len(orders), 10_000):
            db.session.execute(insert(PurchaseOrder), orders[chunk : chunk + 10_000])
        for chunk in range(0, len(lines), 20_000):
            db.session.execute(insert(PurchaseOrderLine), lines[chunk : chunk + 20_000])
        db.session.commit()
        from portal.services import supplies as supplies_service

        supplies_service.refresh_daily_use()  # what the nightly job does: lead-time allowances
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    print(
        f"generated {args.items} items, {args.movements} movements, {args.orders} orders in "
        f"{time.perf_counter() - started:.1f}s"
    )
    _generate_baseline(workdir / "baseline.db")
    return path


def measure_in_process(path: Path, workdir: Path, rounds: int = 30) -> dict[str, tuple[int, float]]:
    """Queries per page (must not grow with the data) and median ms through the test client.

    The in-process timing (CPU time per request) leaves out gunicorn and wrk, so it stays
    readable on a busy machine.
    """
    import os

    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db
    from portal.models import User

    app = create_app({**_config(workdir, path), "WTF_CSRF_ENABLED": False})
    out: dict[str, tuple[int, float]] = {}
    with app.app_context():
        token = db.session.scalar(db.select(User.session_token).where(User.email == MANAGER_EMAIL))
        engine = db.engine
    # No app context held across requests: each request loads the user and opens its session,
    # as under gunicorn.
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    for name, url in PAGES.items():
        seen: list[str] = []

        def listener(*a, seen=seen):
            seen.append(a[2])

        event.listen(engine, "before_cursor_execute", listener)
        status = client.get(url).status_code
        event.remove(engine, "before_cursor_execute", listener)
        out[name] = (len(seen) if status == 200 else -status, _median_ms(client, url, rounds))
    os.environ["BENCH_BASELINE_DB"] = str(workdir / "baseline.db")
    from bench.frontdesk import baseline_app

    out["baseline"] = (1, _median_ms(baseline_app().test_client(), "/", rounds))
    return out


def _median_ms(client, url: str, rounds: int) -> float:
    client.get(url)  # warm
    times = []
    for _ in range(rounds):  # CPU time: what other load on a shared machine changes least
        started = time.process_time()
        client.get(url)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


PAGES = {
    "approval queue": "/supplies/approvals",
    "item list": "/supplies/items",
    "reorder suggestions": "/supplies/suggestions",
    "purchase orders": "/supplies/orders",
}


def _login(base: str) -> str:
    opener, jar = sign_in(base, MANAGER_EMAIL, PASSWORD)
    assert "Gerente Bench" in opener.open(f"{base}/supplies/approvals").read().decode()
    return cookie_header(jar)


def _cpu_seconds(proc) -> float:
    """CPU time (user + system) of a gunicorn master and its workers, from /proc (Linux)."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    pids = [proc.pid]
    try:
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        return float("nan")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def run(args: argparse.Namespace) -> str:
    import os

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "supplies.db"
    if not (args.reuse and db_path.exists()):
        generate(workdir, args)
    measured = measure_in_process(db_path, workdir)
    print(measured)
    portal_port, base_port = _free_port(), _free_port()
    portal_env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SECRET_KEY": SECRET,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        "PORTAL_INSTANCE_PATH": str(workdir / "instance"),
        "PORTAL_UPLOAD_FOLDER": str(workdir / "uploads"),
    }
    portal = _start("bench.frontdesk:portal_app()", portal_env, portal_port)
    baseline = _start(
        "bench.frontdesk:baseline_app()",
        {"BENCH_BASELINE_DB": str(workdir / "baseline.db")},
        base_port,
    )
    try:
        portal_url = f"http://127.0.0.1:{portal_port}"
        cookie = _login(portal_url)
        endpoints = {"baseline": (f"http://127.0.0.1:{base_port}/", None, baseline)}
        endpoints.update({name: (portal_url + url, cookie, portal) for name, url in PAGES.items()})
        results: dict[str, list[dict]] = {name: [] for name in endpoints}
        for url, ck, _proc in endpoints.values():  # warm up
            _wrk(url, workdir, 1, ck)
        for rep in range(args.reps):
            for name, (url, ck, proc) in endpoints.items():
                before = _cpu_seconds(proc)
                res = _wrk(url, workdir, args.duration, ck)
                # CPU the server spent per request: unlike req/s, it does not depend on what
                # else runs on a shared machine at that moment.
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
    (ROOT / "bench" / "RESULTS-supplies.md").write_text(report)
    return report


def _report(results: dict[str, list[dict]], measured: dict[str, tuple[int, float]], args) -> str:
    base = statistics.median(r["rps"] for r in results["baseline"])
    lines = [
        "# Supplies benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()} "
        f"(Python {sys.version.split()[0]}); `python -m bench.supplies --items {args.items} "
        f"--movements {args.movements} --orders {args.orders} --pending {args.pending} "
        f"--duration {args.duration} --reps {args.reps}`.",
        "",
        "gunicorn sync, 2 workers each; wrk 2 threads, 8 connections, loopback. Medians of the "
        "repetitions. Target: each page at least 50% of the baseline's req/s, same run.",
        "",
        "| page | queries | req/s | p50 ms | p95 ms | p99 ms | vs baseline | server CPU ms/req |"
        " CPU vs baseline | in-process ms | in-process vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base_cpu = statistics.median(r["cpu_ms"] for r in results["baseline"])
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p95 = statistics.median(r["p95"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        q, ms = measured.get(name, ("?", float("nan")))
        base_ms = measured["baseline"][1]
        cpu = statistics.median(r["cpu_ms"] for r in runs)
        lines.append(
            f"| {name} | {q} | {rps:.0f} | {p50:.1f} | {p95:.1f} | {p99:.1f} | "
            f"{100 * rps / base:.0f}% | {cpu:.2f} | {100 * base_cpu / cpu:.0f}% | {ms:.1f} | "
            f"{100 * base_ms / ms:.0f}% |"
        )
    lines += [
        "",
        "Server CPU ms/req: CPU time of the gunicorn processes during each wrk run divided by "
        "the requests served (medians); CPU vs baseline is the req/s ratio the page would reach "
        "on an otherwise idle machine. In-process: median CPU time through the test client.",
        "",
        "The query counts do not depend on the data (tests/supplies/test_queries.py checks 5 vs "
        "50 rows); the suggestions for all items come from one set-based query "
        "(on hand + on order vs reorder point).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--pending", type=int, default=50)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/bench-supplies")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database")
    args = parser.parse_args()
    print(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
