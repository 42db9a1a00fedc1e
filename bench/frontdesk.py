"""Front-desk benchmark: a large office, then the console against a bare Flask page.

    python -m bench.frontdesk [--calls 200000] [--staff 500] [--duration 8] [--reps 3]

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
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.web import cookie_header, sign_in

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"
DESK_EMAIL = "desk@bench.test"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


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
        hashed = generate_password_hash(PASSWORD)
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
    _generate_baseline(workdir / "baseline.db")
    return path


def _generate_baseline(path: Path) -> None:
    import sqlite3

    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE item (id INTEGER PRIMARY KEY, status TEXT, title TEXT, owner TEXT,"
        " created_at TEXT)"
    )
    con.execute("CREATE INDEX ix_item_status_created ON item (status, created_at)")
    rng = random.Random(3)
    now = datetime.now(UTC)
    con.executemany(
        "INSERT INTO item (status, title, owner, created_at) VALUES (?, ?, ?, ?)",
        [
            (
                rng.choice(("open", "done", "void")),
                f"Item {i}",
                f"Pessoa {rng.randint(1, 500)}",
                (now - timedelta(minutes=i)).isoformat(),
            )
            for i in range(10_000)
        ],
    )
    con.commit()
    con.close()


def _portal_config(workdir: Path, path: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": SECRET,
        "UPLOAD_FOLDER": str(workdir / "uploads"),
    }


# --- the two applications gunicorn serves -----------------------------------------------------


def portal_app():
    """gunicorn entry: the portal on the generated database."""
    from portal import create_app

    return create_app()


BASELINE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Baseline</title><link rel="stylesheet" href="/static/portal.css"></head><body>
<header class="topbar"><a class="brand" href="/">Portal</a><nav class="mainnav"><ul>
{% for i in range(6) %}<li><a href="/">Entry {{ i }}</a></li>{% endfor %}</ul></nav></header>
<main><h1>Items</h1><table class="table"><thead><tr><th>#</th><th>Title</th><th>Owner</th>
<th>Status</th><th>Created</th></tr></thead><tbody>
{% for r in rows %}<tr id="item-{{ r.id }}"><td>{{ r.id }}</td>
<td><a href="{{ url_for('item', item_id=r.id) }}">{{ r.title }}</a></td><td>{{ r.owner }}</td>
<td><span class="badge">{{ r.status }}</span></td><td>{{ r.created_at }}</td></tr>{% endfor %}
</tbody></table></main></body></html>"""


def baseline_app():
    """gunicorn entry: a bare Flask page, 50 rows from one indexed SQLite query."""
    from flask import Flask, render_template_string
    from sqlalchemy import create_engine, text

    app = Flask(__name__)
    engine = create_engine(f"sqlite:///{os.environ['BENCH_BASELINE_DB']}")
    query = text(
        "SELECT id, status, title, owner, created_at FROM item WHERE status = :s "
        "ORDER BY created_at DESC LIMIT 50"
    )

    @app.get("/")
    def index():
        with engine.connect() as con:
            rows = con.execute(query, {"s": "open"}).all()
        return render_template_string(BASELINE_PAGE, rows=rows)

    @app.get("/item/<int:item_id>")
    def item(item_id: int):
        return str(item_id)

    return app


# --- servers and load -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(target: str, env: dict, port: int) -> subprocess.Popen:
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-k",
        "sync",
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "--worker-tmp-dir",
        "/dev/shm",
        "--log-level",
        "warning",
        target,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{target} did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _login(base: str) -> tuple[str, str]:
    """Sign in through the real form; return the Cookie header and a CSRF token."""
    opener, jar = sign_in(base, DESK_EMAIL, PASSWORD)
    console = opener.open(f"{base}/frontdesk/").read().decode()
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', console)
    assert csrf, "not signed in (no CSRF header on the console)"
    return cookie_header(jar), csrf.group(1)


LUA_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"errors\\": %d,"
    .. " \\"non2xx\\": %d, \\"p50\\": %f, \\"p95\\": %f, \\"p99\\": %f}\\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""

LUA_POST = """
wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
wrk.headers["X-CSRFToken"] = "{csrf}"
"""


def _wrk(
    url: str,
    workdir: Path,
    duration: int,
    cookie: str | None,
    post: str | None = None,
    connections: int = 8,
) -> dict:
    script = workdir / ("post.lua" if post else "report.lua")
    script.write_text((post or "") + LUA_REPORT)
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=duration + 60)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("JSON "))
    data = json.loads(line[5:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> str:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "portal.db"
    if not (args.reuse and db_path.exists()):
        generate(workdir, args.calls, args.staff)
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
        cookie, csrf = _login(portal_url)
        endpoints = {
            "baseline": (f"http://127.0.0.1:{base_port}/", None),
            "console (today)": (f"{portal_url}/frontdesk/", cookie),
            "console (all calls, page 2)": (f"{portal_url}/frontdesk/?view=all&page=2", cookie),
            "console list fragment (htmx)": (f"{portal_url}/frontdesk/?view=all", cookie),
            "my messages": (f"{portal_url}/frontdesk/messages", cookie),
        }
        body = urllib.parse.urlencode(
            {
                "phone": "(11) 98765-4321",
                "caller_name": "Carlos Souza",
                "company": "Souza Transportes",
                "for_whom": "person7@bench.test",
                "outcome": "message",
                "message": "Bench call",
                "urgency": "normal",
                "direction": "in",
            }
        )
        results: dict[str, list[dict]] = {name: [] for name in endpoints}
        results["log a call (POST)"] = []
        for url, ck in endpoints.values():  # warm up
            _wrk(url, workdir, 1, ck)
        for rep in range(args.reps):
            for name, (url, ck) in endpoints.items():
                if name == "console list fragment (htmx)":
                    script_cookie = ck
                    res = _wrk_fragment(url, workdir, args.duration, script_cookie)
                else:
                    res = _wrk(url, workdir, args.duration, ck)
                results[name].append(res)
                print(f"rep {rep + 1} {name}: {res['rps']:.0f} req/s p95 {res['p95']:.1f} ms")
            post = LUA_POST.replace("{body}", body).replace("{csrf}", csrf)
            res = _wrk(f"{portal_url}/frontdesk/calls", workdir, args.duration, cookie, post=post)
            results["log a call (POST)"].append(res)
            print(
                f"rep {rep + 1} POST: {res['rps']:.0f} req/s p95 {res['p95']:.1f} ms "
                f"non-2xx {res['non2xx']}"
            )
            # The baseline p95 right after the POST run, same load, for the latency ratio.
    finally:
        _stop(portal)
        _stop(baseline)
    inproc = measure_in_process(workdir, rounds=args.rounds)
    report = _report(results, args, inproc)
    (ROOT / "bench" / "RESULTS-frontdesk.md").write_text(report)
    return report


def _flush_redis(url: str) -> None:
    """Drop the e-mail jobs the POSTs enqueued (nobody drains the bench's Redis database)."""
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except Exception as exc:  # the numbers are written either way
        print(f"could not flush {url}: {exc}", file=sys.stderr)


def _wrk_fragment(url: str, workdir: Path, duration: int, cookie: str) -> dict:
    header = 'wrk.headers["HX-Request"] = "true"\n'
    script = workdir / "fragment.lua"
    script.write_text(header + LUA_REPORT)
    cmd = [
        "wrk",
        "-t2",
        "-c8",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("JSON "))
    data = json.loads(line[5:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def measure_in_process(workdir: Path, rounds: int = 40) -> dict[str, tuple[float, float]]:
    """Median milliseconds per request through the WSGI stack in one process (no network,
    no load generator): a steadier view of the same comparison on a busy machine.

    Returns (wall ms, CPU ms) per endpoint. The CPU time of the process leaves out the time it
    waited for the cores, so it stays comparable when other work shares the machine.
    """
    os.environ["BENCH_BASELINE_DB"] = str(workdir / "baseline.db")
    from portal import create_app
    from portal.extensions import db
    from portal.models import User

    app = create_app(
        {
            **_portal_config(workdir, workdir / "portal.db"),
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        }
    )
    client = app.test_client()
    with app.app_context():
        token = db.session.scalar(select_token(User))
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    base = baseline_app().test_client()
    hx = {"HX-Request": "true"}
    form = {
        "phone": "(11) 98765-4321",
        "caller_name": "Carlos Souza",
        "company": "Souza Transportes",
        "for_whom": "person7@bench.test",
        "outcome": "message",
        "message": "Bench call",
        "urgency": "normal",
        "direction": "in",
    }
    calls = {
        "baseline": lambda: base.get("/"),
        "console (today)": lambda: client.get("/frontdesk/"),
        "console (all calls, page 2)": lambda: client.get("/frontdesk/?view=all&page=2"),
        "console list fragment (htmx)": lambda: client.get("/frontdesk/?view=all", headers=hx),
        "my messages": lambda: client.get("/frontdesk/messages"),
        "floor: simplest signed-in portal page (new request form)": lambda: client.get(
            "/frontdesk/requests/new"
        ),
        "log a call (POST)": lambda: client.post("/frontdesk/calls", data=form, headers=hx),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():  # warm up
        assert fn().status_code == 200
    for _ in range(rounds):
        for name, fn in calls.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            fn()
            cpu[name].append((time.process_time() - started_cpu) * 1000)
            times[name].append((time.perf_counter() - started) * 1000)
    _flush_redis(app.config["REDIS_URL"])
    return {name: (statistics.median(times[name]), statistics.median(cpu[name])) for name in calls}


def select_token(user_model):
    from sqlalchemy import select

    return select(user_model.session_token).where(user_model.email == DESK_EMAIL)


def _report(
    results: dict[str, list[dict]], args: argparse.Namespace, inproc: dict[str, float]
) -> str:
    base = results["baseline"]
    lines = [
        "# Front desk benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.frontdesk "
        f"--calls {args.calls} --staff {args.staff} --duration {args.duration} "
        f"--reps {args.reps} --rounds {args.rounds}`.",
        "",
        "Load average when the report was written: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (other work on the same cores lowers every figure; compare the same-run ratios).",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, SQLite file "
        "databases, gunicorn sync with 2 workers per app, `wrk -t2 -c8` on 127.0.0.1 "
        "(load generator on the same cores), endpoints alternated in each repetition.",
        "",
        "Office: "
        f"{args.calls:,} calls, {args.staff} staff. Baseline: a bare Flask page rendering a "
        "50-row table (base layout) from one indexed SQLite query "
        "(`WHERE status=? ORDER BY created_at DESC LIMIT 50`, 10,000 rows).",
        "",
        "| endpoint | req/s (median) | ratio to baseline (median [min–max]) | p50 ms | p95 ms "
        "| p99 ms | errors / non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, runs in results.items():
        ratios = [r["rps"] / b["rps"] for r, b in zip(runs, base, strict=True)]
        lines.append(
            f"| {name} | {statistics.median(r['rps'] for r in runs):,.0f} | "
            f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}] | "
            f"{statistics.median(r['p50'] for r in runs):.1f} | "
            f"{statistics.median(r['p95'] for r in runs):.1f} | "
            f"{statistics.median(r['p99'] for r in runs):.1f} | "
            f"{sum(r['errors'] for r in runs)} / {sum(r['non2xx'] for r in runs)} |"
        )
    post_ratio = [
        p["p95"] / b["p95"] for p, b in zip(results["log a call (POST)"], base, strict=True)
    ]
    console_ratio = [
        c["rps"] / b["rps"] for c, b in zip(results["console (today)"], base, strict=True)
    ]
    lines += [
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
    base_wall, base_cpu = inproc["baseline"]
    for name, (wall, cpu) in inproc.items():
        lines.append(
            f"| {name} | {wall:.1f} | {base_wall / wall:.2f} | {cpu:.1f} | {base_cpu / cpu:.2f} |"
        )
    lines += [
        "",
        "## Goals from issue 4",
        "",
        f"- Console list page ≥ 50 % of the baseline's req/s: console (today) median ratio "
        f"**{statistics.median(console_ratio):.2f}** "
        f"({'met' if statistics.median(console_ratio) >= 0.5 else 'NOT met'}); in-process "
        f"{base_wall / inproc['console (today)'][0]:.2f} (wall), "
        f"{base_cpu / inproc['console (today)'][1]:.2f} (CPU).",
        f"- Logging a call (POST) p95 < 3 × the baseline's p95: median ratio "
        f"**{statistics.median(post_ratio):.2f}** "
        f"({'met' if statistics.median(post_ratio) < 3 else 'NOT met'}).",
        "- Constant query counts with data size: asserted in "
        "`tests/frontdesk/test_queries.py` (console, console fragment, My messages, dashboard).",
        "",
        "The POST logs a real call for another person, so each request also writes the "
        "notification, renders the e-mail into the outbox and enqueues the send after commit "
        f"({os.environ.get('BENCH_REDIS_URL', 'redis://127.0.0.1:6379/12')}; no worker drains "
        "it during the run).",
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
