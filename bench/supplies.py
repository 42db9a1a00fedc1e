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

Built on bench/common.py.  Results go to bench/RESULTS-supplies.md.  Nothing here runs in the
test suite.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench import common

MANAGER_EMAIL = "manager@bench.test"


def _config(workdir: Path, path: Path) -> dict:
    return common.portal_config(workdir, path)


# Names bench.equipment and bench.search still import from here (they move to bench.common).
_cpu_seconds, _median_ms = common.server_cpu_seconds, common.median_cpu_ms


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
        hashed = generate_password_hash(common.PASSWORD)
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
    common.generate_baseline(workdir / "baseline.db")
    return path


PAGES = {
    "approval queue": "/supplies/approvals",
    "item list": "/supplies/items",
    "reorder suggestions": "/supplies/suggestions",
    "purchase orders": "/supplies/orders",
}


def measure_in_process(path: Path, workdir: Path, rounds: int = 30) -> dict[str, tuple[int, float]]:
    """Queries per page (must not grow with the data) and median CPU ms through the test client,
    every page once per round.  It leaves out gunicorn and wrk, so it stays readable on a busy
    machine."""
    client, engine = common.signed_in_client(path, workdir, email=MANAGER_EMAIL)
    queries = {name: common.count_queries(client, engine, url) for name, url in PAGES.items()}
    base = common.baseline_client(workdir / "baseline.db")
    calls = {"baseline": lambda: base.get("/")}
    calls.update({name: (lambda url=url: client.get(url)) for name, url in PAGES.items()})
    timings = common.interleaved(calls, rounds)
    return {name: (queries.get(name, 1), t.cpu_ms) for name, t in timings.items()}


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "supplies.db"
    if not (args.reuse and db_path.exists()):
        generate(workdir, args)
    measured = measure_in_process(db_path, workdir)
    print(measured)
    with common.servers(workdir, db_path) as (portal, baseline):
        cookie = common.login_cookie(portal.url, MANAGER_EMAIL)
        endpoints = {"baseline": common.Endpoint(baseline.url + "/", server=baseline)}
        endpoints.update(
            {name: common.Endpoint(portal.url + url, cookie, portal) for name, url in PAGES.items()}
        )
        results = common.load(endpoints, workdir, duration=args.duration, reps=args.reps)
    report = _report(results, measured, args)
    common.write_report("RESULTS-supplies.md", report)
    return report


def _report(results: dict[str, list[dict]], measured: dict[str, tuple[int, float]], args) -> str:
    base = common.median_of(results["baseline"], "rps")
    base_cpu = common.median_of(results["baseline"], "cpu_ms")
    base_ms = measured["baseline"][1]
    lines = [
        "# Supplies benchmark",
        "",
        common.machine_line(),
        "",
        "Command: "
        + common.command_line(
            "bench.supplies", args, ["items", "movements", "orders", "pending", "duration", "reps"]
        )
        + ".",
        "",
        "gunicorn sync, 2 workers each; wrk 2 threads, 8 connections, loopback. Medians of the "
        "repetitions. Target (issue 11): each page at least 0.55 of the baseline's req/s, same "
        "run.",
        "",
        "| page | queries | req/s | p50 ms | p95 ms | p99 ms | vs baseline | server CPU ms/req |"
        " CPU vs baseline | in-process CPU ms | in-process vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        rps = common.median_of(runs, "rps")
        cpu = common.median_of(runs, "cpu_ms")
        q, ms = measured.get(name, ("?", float("nan")))
        lines.append(
            f"| {name} | {q} | {rps:.0f} | {common.median_of(runs, 'p50'):.1f} | "
            f"{common.median_of(runs, 'p95'):.1f} | {common.median_of(runs, 'p99'):.1f} | "
            f"{rps / base:.2f} | {cpu:.2f} | {base_cpu / cpu:.2f} | {ms:.1f} | "
            f"{base_ms / ms:.2f} |"
        )
    lines += [
        "",
        "Server CPU ms/req: CPU time of the gunicorn processes during each wrk run divided by "
        "the requests served (medians); CPU vs baseline is the req/s ratio the page would reach "
        "on an otherwise idle machine. In-process: median CPU time through the test client, "
        "pages and baseline interleaved.",
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
