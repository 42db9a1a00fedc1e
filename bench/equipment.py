"""Equipment benchmark: a large register with years of history, three pages against a bare page.

    python -m bench.equipment [--assets 5000] [--readings 200000] [--faults 20000]
                              [--duration 8] [--reps 3]

1. Generates a SQLite database with Core bulk inserts: ``--assets`` assets (80% with a page
   counter, spread over floors, departments and holders, contracts and warranties), ``--readings``
   meter readings over two years (counters only ever go up; each stores its pages since the
   previous one, as the service does), ``--faults`` faults (with a repair for one in ten, and the
   machine's timeline events for readings, faults and repairs), consumables linked and issued,
   plus the bare baseline's database (bench/common.py).
2. Starts the portal and the bare Flask page (bench/common.py's baseline: 50 rows from one
   indexed query in a layout) under gunicorn (sync, 2 workers each) on 127.0.0.1.
3. Loads each page with ``wrk`` (fixed duration and connections), alternating, ``--reps`` times;
   records the queries each page issues (constant whatever the data: tests/equipment/
   test_queries.py) and the same-run ratio to the baseline.  No absolute time is asserted.

Pages: the register list (``/equipment/``), a machine's page (the metered machine with the most
history) and the cost-per-page report (``/equipment/costs``, twelve months).  Target: each at
least 0.55 of the baseline's requests per second in the same run.

Results go to bench/RESULTS-equipment.md.  Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench import common

MANAGER_EMAIL = "manager@bench.test"
TARGET = 0.55
FLOORS = ("Térreo", "1º andar", "2º andar", "3º andar", "4º andar")
MODELS = (
    ("printer", "Brother", "HL-L5102"),
    ("printer", "HP", "LaserJet M404"),
    ("multifunction", "Brother", "MFC-L6902"),
    ("multifunction", "Ricoh", "IM 430"),
    ("copier", "Xerox", "AltaLink C8130"),
    ("fax", "Panasonic", "KX-FL422"),
    ("laptop", "Dell", "Latitude 5440"),
    ("phone", "Samsung", "Galaxy A54"),
    ("projector", "Epson", "PowerLite X49"),
    ("other", "Intelbras", "Leitor de crachá"),
)
METERED = ("printer", "multifunction", "copier", "fax")


def _chunks(table, rows: list[dict], size: int = 20_000) -> None:
    from sqlalchemy import insert

    from portal.extensions import db

    for start in range(0, len(rows), size):
        db.session.execute(insert(table), rows[start : start + size])


def generate(workdir: Path, args: argparse.Namespace, seed: int = 12) -> Path:
    """Build the database with Core bulk inserts; return its path."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.extensions import db
    from portal.models import Department, User, UserRole
    from portal.models.equipment import (
        Asset,
        ChecklistStep,
        Consumable,
        ConsumableUse,
        Downtime,
        Event,
        Fault,
        Reading,
        Repair,
        model_key,
    )
    from portal.models.supplies import Supplier, SupplyCategory, SupplyItem

    path = workdir / "equipment.db"
    if path.exists():
        path.unlink()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    started = time.perf_counter()
    app = create_app(common.portal_config(workdir, path))
    with app.app_context():
        db.create_all()
        db.session.execute(
            insert(Department), [{"name": f"Departamento {i:02d}"} for i in range(20)]
        )
        hashed = generate_password_hash(common.PASSWORD)
        people = 400
        db.session.execute(
            insert(User),
            [
                {
                    "email": MANAGER_EMAIL if i == 0 else f"pessoa{i}@bench.test",
                    "name": "Gerente Bench" if i == 0 else f"Pessoa {i:04d} Souza",
                    "password_hash": hashed,
                    "session_token": f"bench-{i}",
                    "active": True,
                    "must_change_password": False,
                    "department_id": 1 + i % 20,
                    "created_at": now,
                }
                for i in range(people)
            ],
        )
        db.session.execute(
            insert(UserRole),
            [{"user_id": 1, "role": "office_manager"}]
            + [{"user_id": i + 1, "role": "staff"} for i in range(1, people)],
        )
        db.session.execute(
            insert(Supplier),
            [
                {
                    "name": f"Assistência {i}",
                    "order_email": f"assistencia{i}@bench.test",
                    "lead_time_days": 3,
                    "min_order_value": Decimal("0"),
                    "active": True,
                    "created_at": now,
                }
                for i in range(12)
            ],
        )
        db.session.execute(insert(SupplyCategory), [{"name": "Toner e cilindros"}])
        db.session.execute(
            insert(SupplyItem),
            [
                {
                    "sku": f"TON-{i:03d}",
                    "name": f"Toner {make} {model}",
                    "category_id": 1,
                    "unit": "un",
                    "pack_size": 1,
                    "supplier_id": 1 + i % 12,
                    "unit_cost": Decimal(rng.randint(15000, 90000)) / 100,
                    "reorder_point": 2,
                    "par_level": 6,
                    "active": True,
                    "on_hand": rng.randint(0, 10),
                    "created_at": now,
                }
                for i, (_kind, make, model) in enumerate(MODELS)
                if _kind in METERED
            ],
        )
        metered_models = [m for m in MODELS if m[0] in METERED]
        db.session.execute(
            insert(Consumable),
            [
                {"model_key": model_key(make, model), "item_id": i + 1, "yield_pages": 8000}
                for i, (_kind, make, model) in enumerate(metered_models)
            ],
        )
        db.session.execute(
            insert(ChecklistStep),
            [
                {
                    "asset_type": kind,
                    "model_key": "",
                    "position": p,
                    "title": f"Passo {p + 1} para {kind}",
                    "body": "Abra a porta B e retire o papel.",
                    "active": True,
                    "solved_count": 0,
                }
                for kind in METERED
                for p in range(3)
            ],
        )
        assets = []
        for i in range(args.assets):
            kind, make, model = (
                metered_models[i % len(metered_models)] if i % 5 else MODELS[6 + i % 4]
            )
            status = rng.choices(("in_use", "out_of_order", "in_repair", "retired"), (90, 2, 3, 5))[
                0
            ]
            contract_end = today + timedelta(days=rng.randint(-200, 700))
            assets.append(
                {
                    "asset_tag": f"EQ-{i:05d}",
                    "type": kind,
                    "make": make,
                    "model": model,
                    "model_key": model_key(make, model),
                    "serial": f"SN{i:07d}{rng.randint(100, 999)}",
                    "floor": FLOORS[i % len(FLOORS)],
                    "room": f"Sala {100 + i % 60}",
                    "department_id": 1 + i % 20,
                    "holder_id": (2 + i % (people - 1)) if kind in ("laptop", "phone") else None,
                    "purchase_date": today - timedelta(days=rng.randint(100, 2000)),
                    "purchase_cost": Decimal(rng.randint(100000, 900000)) / 100,
                    "vendor_id": 1 + i % 12,
                    "repair_email": f"reparo{i % 12}@bench.test",
                    "vendor_locale": "pt_BR",
                    "contract_number": f"CT-{i:05d}" if kind in METERED else None,
                    "contract_start": contract_end - timedelta(days=730),
                    "contract_end": contract_end if kind in METERED else None,
                    "response_hours": 24,
                    "price_mono": Decimal("0.0350") if kind in METERED else None,
                    "price_colour": Decimal("0.1800")
                    if kind in ("copier", "multifunction")
                    else None,
                    "warranty_end": today + timedelta(days=rng.randint(-400, 400)),
                    "status": status,
                    "down_since": now - timedelta(days=2)
                    if status in ("out_of_order", "in_repair")
                    else None,
                    "retired_reason": "Substituída" if status == "retired" else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(Asset), assets)
        metered_ids = [i + 1 for i, a in enumerate(assets) if a["type"] in METERED]
        # Readings: round-robin over the metered machines, newest last, a fortnight apart.
        per_asset = max(1, args.readings // len(metered_ids))
        readings, events = [], []
        for asset_id in metered_ids:
            mono = rng.randint(1000, 50_000)
            colour = 0
            colour_machine = assets[asset_id - 1]["price_colour"] is not None
            for k in range(per_asset):
                day = today - timedelta(days=14 * (per_asset - 1 - k))
                pm = rng.randint(200, 4000) if k else 0
                pc = rng.randint(50, 800) if k and colour_machine else 0
                mono += pm
                colour += pc
                readings.append(
                    {
                        "asset_id": asset_id,
                        "read_on": day,
                        "mono": mono,
                        "colour": colour,
                        "pages_mono": pm,
                        "pages_colour": pc,
                        "counter_replaced": False,
                        "actor_id": 1,
                        "created_at": now,
                    }
                )
                events.append(
                    {
                        "asset_id": asset_id,
                        "at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                        "kind": "reading",
                        "summary": f"{mono} / {colour}",
                        "actor_id": 1,
                    }
                )
            if len(readings) >= 40_000:
                _chunks(Reading, readings)
                readings = []
        _chunks(Reading, readings)
        faults, repairs, downtimes = [], [], []
        for i in range(args.faults):
            asset_id = metered_ids[rng.randrange(len(metered_ids))]
            created = now - timedelta(minutes=rng.randint(60, 2 * 525_600))
            status = rng.choices(("closed", "solved_by_user", "open", "in_repair"), (70, 20, 5, 5))[
                0
            ]
            faults.append(
                {
                    "asset_id": asset_id,
                    "reporter_id": 2 + i % (people - 1),
                    "description": "Atolamento de papel na bandeja 2; a luz vermelha pisca.",
                    "error_code": f"E{rng.randint(1, 99):02d}",
                    "status": status,
                    "created_at": created,
                    "closed_at": created + timedelta(days=2) if status == "closed" else None,
                }
            )
            events.append(
                {
                    "asset_id": asset_id,
                    "at": created,
                    "kind": "fault",
                    "summary": "Atolamento de papel na bandeja 2",
                    "actor_id": 2 + i % (people - 1),
                }
            )
            if i % 10 == 0:
                closed = status == "closed"
                repairs.append(
                    {
                        "asset_id": asset_id,
                        "fault_id": i + 1,
                        "status": "closed" if closed else "requested",
                        "vendor_email": "reparo@bench.test",
                        "requested_at": created,
                        "response_due_at": created + timedelta(hours=24),
                        "closed_at": created + timedelta(days=2) if closed else None,
                        "cost": Decimal("350.00") if closed else None,
                        "work_done": "Troca do rolo de tração." if closed else None,
                        "requested_by_id": 1,
                    }
                )
                downtimes.append(
                    {
                        "asset_id": asset_id,
                        "started_at": created,
                        "ended_at": created + timedelta(days=2),
                        "minutes": 2 * 24 * 60,
                    }
                )
        _chunks(Fault, faults)
        _chunks(Repair, repairs)
        _chunks(Downtime, downtimes)
        uses = [
            {
                "asset_id": asset_id,
                "item_id": 1
                + metered_models.index(
                    next(m for m in metered_models if m[2] == assets[asset_id - 1]["model"])
                ),
                "quantity": 1,
                "unit_cost": Decimal("320.00"),
                "issued_on": today - timedelta(days=rng.randint(0, 700)),
                "counter_at_issue": None,
                "actor_id": 1,
            }
            for asset_id in metered_ids
            for _k in range(3)
        ]
        _chunks(ConsumableUse, uses)
        _chunks(Event, events)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        total_readings = db.session.scalar(db.select(db.func.count(Reading.id)))
    print(
        f"generated {args.assets} assets, {total_readings} readings, {args.faults} faults, "
        f"{len(repairs)} repairs, {len(events)} timeline events in "
        f"{time.perf_counter() - started:.1f}s"
    )
    common.generate_baseline(workdir / "baseline.db")
    return path


def pages(path: Path) -> dict[str, str]:
    """The three pages; the machine is the metered one with the most faults."""
    import sqlite3

    con = sqlite3.connect(path)
    (asset_id,) = con.execute(
        "SELECT asset_id FROM equipment_fault GROUP BY asset_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    con.close()
    return {
        "register list": "/equipment/",
        "machine page": f"/equipment/{asset_id}",
        "cost per page": "/equipment/costs",
    }


def measure_in_process(path: Path, workdir: Path, rounds: int = 40) -> dict[str, tuple[int, float]]:
    """Queries per page (must not grow with the data) and median CPU ms through the test client,
    every page and the baseline alternated in each round (common.interleaved)."""
    client, engine = common.signed_in_client(path, workdir, email=MANAGER_EMAIL)
    urls = pages(path)
    queries = {name: common.count_queries(client, engine, url) for name, url in urls.items()}
    base = common.baseline_client(workdir / "baseline.db")
    calls = {"baseline": lambda: base.get("/")}
    calls.update({name: (lambda url=url: client.get(url)) for name, url in urls.items()})
    timings = common.interleaved(calls, rounds)
    return {name: (queries.get(name, 1), t.cpu_ms) for name, t in timings.items()}


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "equipment.db"
    if not (args.reuse and db_path.exists() and (workdir / "baseline.db").exists()):
        generate(workdir, args)
    measured = measure_in_process(db_path, workdir)
    print(measured)
    results: dict[str, list[dict]] = {}
    if not args.in_process_only:
        with common.servers(workdir, db_path) as (portal, baseline):
            cookie = common.login_cookie(portal.url, MANAGER_EMAIL)
            endpoints = {"baseline": common.Endpoint(baseline.url + "/", server=baseline)}
            endpoints.update(
                {
                    name: common.Endpoint(portal.url + url, cookie, portal)
                    for name, url in pages(db_path).items()
                }
            )
            results = common.load(endpoints, workdir, duration=args.duration, reps=args.reps)
    report = _report(results, measured, args)
    if not args.in_process_only:
        common.write_report("RESULTS-equipment.md", report)
    return report


def _report(results: dict[str, list[dict]], measured: dict[str, tuple[int, float]], args) -> str:
    lines = [
        "# Equipment benchmark",
        "",
        common.machine_line(),
        "",
        common.command_line(
            "bench.equipment", args, ["assets", "readings", "faults", "duration", "reps"]
        )
        + ". gunicorn sync, 2 workers each; wrk 2 threads, 8 connections, loopback (bench/"
        f"common.py). Target: each page at least {TARGET:.2f} of the baseline's req/s, same run.",
        "",
        "| page | queries | req/s | p50 ms | p95 ms | p99 ms | vs baseline (median of reps) |"
        " server CPU ms/req | CPU vs baseline | in-process CPU ms | in-process vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base_ms = measured["baseline"][1]
    names = list(results) or list(measured)
    for name in names:
        q, ms = measured.get(name, ("?", float("nan")))
        if results:
            runs, base = results[name], results["baseline"]
            ratio = statistics.median(common.paired_ratios(runs, base))
            cpu = common.median_of(runs, "cpu_ms")
            lines.append(
                f"| {name} | {q} | {common.median_of(runs, 'rps'):.0f} | "
                f"{common.median_of(runs, 'p50'):.1f} | {common.median_of(runs, 'p95'):.1f} | "
                f"{common.median_of(runs, 'p99'):.1f} | {ratio:.2f} | {cpu:.2f} | "
                f"{common.median_of(base, 'cpu_ms') / cpu:.2f} | {ms:.1f} | {base_ms / ms:.2f} |"
            )
        else:
            lines.append(f"| {name} | {q} | | | | | | | | {ms:.1f} | {base_ms / ms:.2f} |")
    lines += [
        "",
        "Ratios are the page's figure over the baseline's (1.00 = as fast as the bare page); "
        "vs baseline: each repetition's req/s over the baseline's in the same repetition, median. "
        "Server CPU ms/req: CPU time of the gunicorn processes during each wrk run divided by "
        "the requests served; CPU vs baseline is the req/s ratio the page would reach on an "
        "otherwise idle machine. In-process: median CPU time through the test client, the pages "
        "and the baseline alternated in every round.",
        "",
        "The query counts do not depend on the data (tests/equipment/test_queries.py checks few "
        "vs many rows).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=5000)
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--faults", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/bench-equipment")
    parser.add_argument("--reuse", action="store_true", help="keep the generated database")
    parser.add_argument(
        "--in-process-only", action="store_true", help="query counts and test-client timings only"
    )
    args = parser.parse_args()
    print(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
