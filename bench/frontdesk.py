"""Front-desk benchmark: a large office, then the console against a bare Flask page.

    python -m bench.frontdesk [--calls 200000] [--staff 500] [--duration 8] [--reps 3]

Built on bench/common.py (servers, wrk, in-process timing, report helpers).

1. Generates a SQLite office (``--calls`` calls over a year, ``--staff`` people) with bulk
   inserts, and a baseline SQLite file (10,000 rows, index on (status, created_at)).
2. Starts two gunicorn servers on 127.0.0.1 (sync, 2 workers each): the portal, and a bare
   Flask app whose one page renders a 50-row table from one indexed query in a base layout.
3. Loads each endpoint with ``wrk`` (bounded: fixed duration, fixed connections, loopback only),
   alternating endpoints, ``--reps`` times; reports req/s and p50/p95/p99 and the same-run ratios.
4. Logs calls with POST (htmx, CSRF token, real notifications into the outbox) under the same
   load and compares its p95 with the baseline's.

Results go to bench/RESULTS-frontdesk.md.  Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import common

DESK_EMAIL = "desk@bench.test"


# --- data generator ---------------------------------------------------------------------------


def generate(workdir: Path, calls: int, staff: int, seed: int = 7) -> Path:
    """Build the office database with bulk inserts; return its path."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.extensions import db
    from portal.models import Department, User, UserRole
    from portal.models.frontdesk import Call

    path = workdir / "portal.db"
    if path.exists():
        path.unlink()
    app = create_app(_portal_config(workdir, path))
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        db.session.execute(insert(Department), [{"name": f"Dept {i}"} for i in range(12)])
        hashed = generate_password_hash(common.PASSWORD)
        users = []
        for i in range(staff):
            users.append(
                {
                    "email": DESK_EMAIL if i == 0 else f"person{i}@bench.test",
                    "name": "Desk Bench" if i == 0 else f"Pessoa {i:04d} Silva",
                    "password_hash": hashed,
                    "session_token": f"token-{i}-{rng.random()}",
                    "active": True,
                    "must_change_password": False,
                    "department_id": 1 + i % 12,
                    "job_title": "Analista",
                    "extension": str(200 + i),
                    "created_at": now,
                }
            )
        db.session.execute(insert(User), users)
        db.session.execute(
            insert(UserRole),
            [{"user_id": 1, "role": "back_office"}]
            + [{"user_id": i + 1, "role": "staff"} for i in range(staff)],
        )
        batch = []
        for i in range(calls):
            age = timedelta(days=rng.random() * 365) if i >= 80 else timedelta(hours=rng.random())
            outcome = rng.choice(("message", "message", "transferred", "callback", "handled"))
            recipient = rng.randint(1, staff)
            status = "closed"
            if outcome in ("message", "callback"):
                status = "open" if rng.random() < 0.05 else "returned"
            created = now - age
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
                    "callback_due_at": created + timedelta(hours=2)
                    if outcome == "callback"
                    else None,
                    "logged_by_id": 1,
                    "created_at": created,
                }
            )
            if len(batch) == 10_000:
                db.session.execute(insert(Call), batch)
                batch = []
        if batch:
            db.session.execute(insert(Call), batch)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    print(f"generated {calls} calls, {staff} staff in {time.perf_counter() - started:.1f}s")
    common.generate_baseline(workdir / "baseline.db")
    return path


def _portal_config(workdir: Path, path: Path) -> dict:
    return common.portal_config(workdir, path)


# Names bench.equipment and bench.search still import from here (they move to bench.common).
ROOT, PASSWORD, SECRET = common.ROOT, common.PASSWORD, common.SECRET
_free_port, _start, _stop = common.free_port, common.start_server, common.stop_server
_wrk, _generate_baseline = common.wrk, common.generate_baseline
portal_app, baseline_app = common.portal_app, common.baseline_app

CALL_FORM = {
    "phone": "(11) 98765-4321",
    "caller_name": "Carlos Souza",
    "company": "Souza Transportes",
    "for_whom": "person7@bench.test",
    "outcome": "message",
    "message": "Bench call",
    "urgency": "normal",
    "direction": "in",
}
HX = {"HX-Request": "true"}
PAGES = {
    "console (today)": "/frontdesk/",
    "console (all calls, page 2)": "/frontdesk/?view=all&page=2",
    "console list fragment (htmx)": "/frontdesk/?view=all",
    "my messages": "/frontdesk/messages",
}


def _csrf(base: str, cookie: str) -> str:
    """The CSRF token the console hands to htmx (for the POST run)."""
    request = urllib.request.Request(f"{base}/frontdesk/", headers={"Cookie": cookie})
    console = urllib.request.urlopen(request).read().decode()
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', console)
    assert csrf, "not signed in (no CSRF header on the console)"
    return csrf.group(1)


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "portal.db"
    if not (args.reuse and db_path.exists()):
        generate(workdir, args.calls, args.staff)
    with common.servers(workdir, db_path) as (portal, baseline):
        cookie = common.login_cookie(portal.url, DESK_EMAIL)
        csrf = _csrf(portal.url, cookie)
        endpoints = {"baseline": common.Endpoint(baseline.url + "/", server=baseline)}
        for name, url in PAGES.items():
            headers = HX if "htmx" in name else None
            endpoints[name] = common.Endpoint(portal.url + url, cookie, portal, headers=headers)
        endpoints["log a call (POST)"] = common.Endpoint(
            portal.url + "/frontdesk/calls",
            cookie,
            portal,
            post=urllib.parse.urlencode(CALL_FORM),
            headers={**HX, "X-CSRFToken": csrf},
        )
        results = common.load(endpoints, workdir, duration=args.duration, reps=args.reps)
    common.flush_redis()
    inproc = measure_in_process(workdir, rounds=args.rounds)
    report = _report(results, args, inproc)
    common.write_report("RESULTS-frontdesk.md", report)
    return report


def measure_in_process(workdir: Path, rounds: int = 40) -> dict[str, common.Timing]:
    """Median ms per request through the WSGI stack in one process (no network, no load
    generator), every endpoint once per round: a steadier view of the same comparison on a
    busy machine.  CPU time leaves out the time the process waited for a core."""
    client, _engine = common.signed_in_client(workdir / "portal.db", workdir, email=DESK_EMAIL)
    base = common.baseline_client(workdir / "baseline.db")
    calls = {"baseline": lambda: base.get("/")}
    for name, url in PAGES.items():
        headers = HX if "htmx" in name else {}
        calls[name] = lambda url=url, headers=headers: client.get(url, headers=headers)
    calls["floor: simplest signed-in portal page (new request form)"] = lambda: client.get(
        "/frontdesk/requests/new"
    )
    calls["log a call (POST)"] = lambda: client.post("/frontdesk/calls", data=CALL_FORM, headers=HX)
    timings = common.interleaved(calls, rounds)
    common.flush_redis()
    return timings


def _report(
    results: dict[str, list[dict]], args: argparse.Namespace, inproc: dict[str, common.Timing]
) -> str:
    base = results["baseline"]
    lines = [
        "# Front desk benchmark",
        "",
        common.machine_line(),
        "",
        "Command: "
        + common.command_line(
            "bench.frontdesk", args, ["calls", "staff", "duration", "reps", "rounds"]
        )
        + ". SQLite file databases, gunicorn sync with 2 workers per app, `wrk -t2 -c8` on "
        "127.0.0.1 (load generator on the same cores), endpoints alternated in each repetition.",
        "",
        "Office: "
        f"{args.calls:,} calls, {args.staff} staff. Baseline: a bare Flask page rendering a "
        "50-row table (base layout) from one indexed SQLite query "
        "(`WHERE status=? ORDER BY created_at DESC LIMIT 50`, 10,000 rows).",
        "",
        "| endpoint | req/s (median) | ratio to baseline (median [min–max]) | p50 ms | p95 ms "
        "| p99 ms | server CPU ms/req | CPU ratio | errors / non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base_cpu = common.median_of(base, "cpu_ms")
    for name, runs in results.items():
        ratios = common.paired_ratios(runs, base)
        cpu = common.median_of(runs, "cpu_ms")
        lines.append(
            f"| {name} | {common.median_of(runs, 'rps'):,.0f} | "
            f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}] | "
            f"{common.median_of(runs, 'p50'):.1f} | {common.median_of(runs, 'p95'):.1f} | "
            f"{common.median_of(runs, 'p99'):.1f} | {cpu:.2f} | {base_cpu / cpu:.2f} | "
            f"{sum(r['errors'] for r in runs)} / {sum(r['non2xx'] for r in runs)} |"
        )
    post_ratio = common.paired_ratios(results["log a call (POST)"], base, "p95")
    console_ratio = common.paired_ratios(results["console (today)"], base)
    lines += [
        "",
        "Server CPU ms/req: CPU time of the gunicorn processes during each wrk run divided by the "
        "requests served; the CPU ratio is the req/s ratio the page would reach on an otherwise "
        "idle machine.",
        "",
        "In-process (one Python process, WSGI test client, no network and no load generator; "
        f"{args.rounds} interleaved rounds): median ms per request, wall clock and CPU time of "
        "the process, and the throughput ratio to the baseline that each implies "
        "(baseline ms / endpoint ms). CPU time leaves out waiting for the cores, so it is the "
        "steadier figure when other work shares the machine.",
        "",
        "| endpoint | median ms | implied ratio | median CPU ms | implied ratio (CPU) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    base_t = inproc["baseline"]
    for name, t in inproc.items():
        lines.append(
            f"| {name} | {t.wall_ms:.1f} | {base_t.wall_ms / t.wall_ms:.2f} | {t.cpu_ms:.1f} | "
            f"{base_t.cpu_ms / t.cpu_ms:.2f} |"
        )
    console = inproc["console (today)"]
    median_console = statistics.median(console_ratio)
    lines += [
        "",
        "## Goals (issues 4 and 11)",
        "",
        f"- Console list page ≥ 0.55 of the baseline's req/s: console (today) median ratio "
        f"**{median_console:.2f}** ({'met' if median_console >= 0.55 else 'NOT met'}); "
        f"in-process {base_t.wall_ms / console.wall_ms:.2f} (wall), "
        f"{base_t.cpu_ms / console.cpu_ms:.2f} (CPU).",
        f"- Logging a call (POST) p95 < 3 × the baseline's p95: median ratio "
        f"**{statistics.median(post_ratio):.2f}** "
        f"({'met' if statistics.median(post_ratio) < 3 else 'NOT met'}).",
        "- Constant query counts with data size: asserted in "
        "`tests/frontdesk/test_queries.py` (console, console fragment, My messages, dashboard).",
        "",
        "The POST logs a real call for another person, so each request also writes the "
        "notification, renders the e-mail into the outbox and enqueues the send after commit "
        f"({common.REDIS_URL}; no worker drains it during the run; flushed afterwards).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=40, help="in-process rounds")
    parser.add_argument("--workdir", default="/tmp/frontdesk-bench")
    parser.add_argument("--reuse", action="store_true", help="keep an existing generated office")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 2
    print(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
