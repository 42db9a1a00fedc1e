"""Header search benchmark: indexed search over a large office against a bare Flask page.

    python -m bench.search [--calls 600000] [--visits 200000] [--faxes 50000] [--staff 100000]
                           [--orders 100000] [--items 50000] [--duration 5] [--reps 3]

1. Generates a SQLite database with bulk inserts, about 1,000,000 indexed rows by default
   (issue 14): the supplies bench's catalogue (``--items`` items, 40 suppliers, ``--orders``
   purchase orders), ``--calls`` calls, ``--visits`` visitors, ``--faxes`` faxes and
   ``--staff`` employees with Portuguese names (accents: "João", "Conceição"), then fills the
   FTS5 indexes in one pass (``flask search reindex``), plus the bare baseline database.
2. Starts the portal and the bare Flask page (the front-desk bench's baseline: 50 rows from one
   indexed query in a layout) under gunicorn (sync, 2 workers each) on 127.0.0.1.
3. Loads each URL with ``wrk``, alternating, ``--reps`` times: a common name typed without
   accents (thousands of hits per kind), a rare one, a phone number in another format, an order
   number, and the header's dropdown fragment; records the queries each search issues (one per
   kind the user may see) and the same-run ratio to the baseline. No absolute time is asserted.

Results go to bench/RESULTS-search.md.  Nothing here runs in the test suite.
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
from pathlib import Path

from bench.frontdesk import PASSWORD, ROOT, SECRET, _free_port, _start, _stop, _wrk
from bench.supplies import _config as supplies_config
from bench.supplies import _cpu_seconds, _median_ms
from bench.supplies import generate as generate_supplies
from bench.web import cookie_header, sign_in

DESK_EMAIL = "backoffice@bench.test"  # back office in the supplies bench's data: sees every kind
FIRST = ["João", "José", "Maria", "Conceição", "Antônio", "Ana", "Sebastião", "Luís", "Inês"]
FIRST += ["Márcia", "Estêvão", "Cláudia", "Vinícius", "Letícia", "Otávio", "Lúcia", "Mário"]
LAST = ["Araújo", "Gonçalves", "Simões", "Magalhães", "Conceição", "Sá", "Brandão", "Pereira"]
LAST += ["Lima", "Souza", "Gomes", "Damião", "Assunção", "Falcão", "Ribeiro", "Bragança"]
RARE = "Zuleica Quintanilha"

PAGES = {
    "search: common name": "/search/?q=joao+araujo",
    "search: rare name": "/search/?q=quintanilha",
    "search: phone": "/search/?q=%2811%29+98765-4321",
    "search: order number": "/search/?q=PO-00021",
    "search: dropdown": "/search/?q=conceicao&box=1",
}


def generate(workdir: Path, args: argparse.Namespace, seed: int = 17) -> Path:
    from sqlalchemy import insert

    from portal import create_app
    from portal.extensions import db
    from portal.models.frontdesk import Call, Fax, Visit
    from portal.models.people import Employee
    from portal.models.search_indexes import SEARCHED, fts_name, sqlite_trigger_names
    from portal.services.search import fold, indexed

    supplies_args = argparse.Namespace(
        items=args.items, movements=0, orders=args.orders, pending=50
    )
    path = generate_supplies(workdir, supplies_args)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    app = create_app(supplies_config(workdir, path))

    def person() -> str:
        return f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"

    def load(model: object, rows: object) -> None:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                db.session.execute(insert(model), batch)
                batch = []
        if batch:
            db.session.execute(insert(model), batch)

    with app.app_context():
        # A bulk load, as an import would do it: without the per-row triggers, then one sorted
        # fill of every FTS5 table (`flask search reindex`, which also restores the triggers).
        for table in SEARCHED:
            for trigger in sqlite_trigger_names(table):
                db.session.execute(db.text(f"DROP TRIGGER IF EXISTS {trigger}"))
        load(
            Call,
            (
                {
                    "direction": "in",
                    "caller_name": RARE if i == args.calls // 2 else person(),
                    "company": f"Empresa {rng.randint(1, 3000)} Ltda.",
                    "phone": "+5511987654321" if i == 7 else f"+55119{rng.randint(6e7, 99e6)}",
                    "for_user_id": 2,
                    "recipient_id": 2,
                    "message": "Pediu retorno sobre a proposta.",
                    "urgent": False,
                    "outcome": "handled",
                    "status": "closed",
                    "logged_by_id": 2,
                    "created_at": now - timedelta(days=365 * (args.calls - i) / args.calls),
                }
                for i in range(args.calls)
            ),
        )
        load(
            Visit,
            (
                {
                    "visitor_name": person(),
                    "company": f"Empresa {rng.randint(1, 3000)} Ltda.",
                    "host_id": 2,
                    "arrived_at": now - timedelta(days=365 * (args.visits - i) / args.visits),
                    "logged_by_id": 2,
                }
                for i in range(args.visits)
            ),
        )
        load(
            Fax,
            (
                {
                    "correspondent": f"{rng.choice(LAST)} & {rng.choice(LAST)} Advogados",
                    "number": f"+55113{rng.randint(1e6, 9999999)}",
                    "logged_by_id": 2,
                    "created_at": now - timedelta(days=365 * (args.faxes - i) / args.faxes),
                }
                for i in range(args.faxes)
            ),
        )
        positions = ["Analista", "Assistente", "Coordenadora", "Técnico", "Gerente de Operações"]

        def employee(i: int) -> dict:
            name, position = person(), rng.choice(positions)
            return {
                "name": name,
                "position": position,
                "start_date": (now - timedelta(days=rng.randint(1, 4000))).date(),
                "status": "active",
                "search_key": fold(f"{name} {position}"),
            }

        load(Employee, (employee(i) for i in range(args.staff)))
        db.session.commit()
        indexed.rebuild()
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        counts = {
            table: db.session.scalar(db.text(f"SELECT count(*) FROM {fts_name(table)}"))
            for table in SEARCHED
        }
    total = sum(counts.values())
    print(f"generated and indexed {total} rows {counts} in {time.perf_counter() - started:.1f}s")
    (workdir / "indexed-rows.txt").write_text(str(total))
    return path


def measure_queries(path: Path, workdir: Path) -> dict[str, tuple]:
    """Queries each search issues (one per visible kind + the request's own), its hits, and the
    median CPU ms of a request through the test client (what a busy shared machine changes
    least; the baseline measured the same way)."""
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db
    from portal.models import User

    app = create_app({**supplies_config(workdir, path), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        token = db.session.scalar(db.select(User.session_token).where(User.email == DESK_EMAIL))
        engine = db.engine
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    out = {}
    for name, url in PAGES.items():
        seen: list[str] = []

        def listener(*a, seen=seen):
            seen.append(a[2])

        event.listen(engine, "before_cursor_execute", listener)
        response = client.get(url)
        event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200, (url, response.status_code)
        out[name] = (len(seen), _hits(app, token, url), _median_ms(client, url, 15))
    os.environ["BENCH_BASELINE_DB"] = str(workdir / "baseline.db")
    from bench.frontdesk import baseline_app

    out["baseline"] = (1, "-", _median_ms(baseline_app().test_client(), "/", 15))
    return out


def _hits(app, token: str, url: str) -> int:
    """Hits the search shows for ``url`` (all kinds together)."""
    from urllib.parse import parse_qs, urlsplit

    from portal.extensions import db
    from portal.models import User
    from portal.services import search

    q = parse_qs(urlsplit(url).query)["q"][0]
    with app.test_request_context():
        user = db.session.scalar(db.select(User).where(User.session_token == token))
        return sum(len(g.hits) for g in search.search(q, user))


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "supplies.db"
    args.load_before = _uptime()
    if not (args.reuse and db_path.exists()):
        generate(workdir, args)
    rows = workdir / "indexed-rows.txt"
    args.indexed_rows = f"{int(rows.read_text()):,}" if rows.exists() else "?"
    queries = measure_queries(db_path, workdir)
    print(queries)
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
        opener, jar = sign_in(portal_url, DESK_EMAIL, PASSWORD)
        cookie = cookie_header(jar)
        endpoints = {"baseline": (f"http://127.0.0.1:{base_port}/", None, baseline)}
        endpoints.update({name: (portal_url + url, cookie, portal) for name, url in PAGES.items()})
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
    args.load_after = _uptime()
    report = _report(results, queries, args)
    (ROOT / "bench" / "RESULTS-search.md").write_text(report)
    return report


def _uptime() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__().strip("[]")


def _report(results: dict[str, list[dict]], queries: dict[str, tuple], args) -> str:
    base = statistics.median(r["rps"] for r in results["baseline"])
    base_cpu = statistics.median(r["cpu_ms"] for r in results["baseline"])
    lines = [
        "# Search benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()} "
        f"(Python {sys.version.split()[0]}); `python -m bench.search --calls {args.calls} "
        f"--visits {args.visits} --faxes {args.faxes} --staff {args.staff} "
        f"--orders {args.orders} --items {args.items} "
        f"--duration {args.duration} --reps {args.reps}`; SQLite FTS5 (one table per searched "
        f"table, kept by triggers): {args.indexed_rows} indexed rows. Load before / after: "
        f"`{args.load_before}` / `{args.load_after}`.",
        "",
        "gunicorn sync, 2 workers each; wrk 2 threads, 8 connections, loopback. Medians of the "
        "repetitions. Target (issue 14): at least 0.5 of the bare list page's req/s, same run.",
        "",
        "| request | queries | hits shown | req/s | p50 ms | p95 ms | vs baseline | "
        "server CPU ms/req | CPU vs baseline | in-process CPU ms | in-process vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base_ms = queries["baseline"][2]
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p95 = statistics.median(r["p95"] for r in runs)
        cpu = statistics.median(r["cpu_ms"] for r in runs)
        q, hits, ms = queries[name]
        lines.append(
            f"| {name} | {q} | {hits} | {rps:.0f} | {p50:.1f} | {p95:.1f} | "
            f"{rps / base:.2f} | {cpu:.2f} | {base_cpu / cpu:.2f} | {ms:.1f} | "
            f"{base_ms / ms:.2f} |"
        )
    lines += [
        "",
        "Queries: one per kind the user may see, one reading the FTS5 vocabularies (the terms "
        "a typed prefix of 4+ characters stands for), plus the request's own (session, user), "
        "the same whatever the data (tests/search/test_search.py). Each kind's query starts from "
        "its full-text index, newest first (tests/search/test_search_plans.py pins the plans: "
        "SQLite's FTS5 tables read in rowid order without a sort, and, with sequential scans "
        "disabled, PostgreSQL's tsvector GIN indexes).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # ~1,000,000 indexed rows together (issue 14): calls, visits, faxes, staff, supply items
    parser.add_argument("--calls", type=int, default=600_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--faxes", type=int, default=50_000)
    parser.add_argument("--staff", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/bench-search")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    args = parser.parse_args()
    print(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
