"""The runner every list-page benchmark shares: baseline, servers, wrk, in-process timing, tables.

Usage (a benchmark module needs only its data generator, its pages and its report text)::

    from bench import common

    # 1. data: build the portal database with bulk inserts, then the shared baseline
    common.generate_baseline(workdir / "baseline.db")
    app = create_app(common.portal_config(workdir, db_path))      # for the generator itself

    # 2. in-process (steady on a busy machine): queries per page and CPU ms per request
    client, engine = common.signed_in_client(db_path, workdir, email="hr@bench.test")
    queries = common.count_queries(client, engine, "/recruiting/openings/1")
    timings = common.interleaved({"baseline": common.baseline_client().get, ...}, rounds=40)
        # -> {name: Timing(wall_ms, cpu_ms)}, all endpoints alternated in every round

    # 3. over HTTP: the portal and the bare page under gunicorn, loaded in turn with wrk
    with common.servers(workdir, db_path) as (portal, baseline):
        cookie = common.login_cookie(portal.url, "hr@bench.test")
        results = common.load(
            {"baseline": common.Endpoint(baseline.url + "/", server=baseline),
             "ranked": common.Endpoint(portal.url + "/recruiting/openings/1", cookie, portal)},
            workdir, duration=8, reps=3)
        # -> {name: [wrk result per rep]}; each has rps, p50/p95/p99 (ms), errors, non2xx,
        #    requests and cpu_ms (server CPU per request, when the endpoint names its server)

    # 4. report: machine + load line, and the ratio helpers
    lines = [common.machine_line(), ...]
    common.median_of(results["ranked"], "rps") / common.median_of(results["baseline"], "rps")
    common.write_report("RESULTS-recruiting.md", text)   # keeps the file's "## History"

The baseline (``baseline_app``) is a bare Flask page rendering a 50-row table in a base layout
from one indexed SQLite query; every list page is reported as a same-run ratio to it.  Ratios,
never absolute times: the machine is shared.  Needs ``wrk`` for the HTTP part.
"""

from __future__ import annotations

import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.web import cookie_header, sign_in

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


# --- configuration --------------------------------------------------------------------------


def portal_config(workdir: Path, path: Path, **extra: object) -> dict:
    """``create_app`` settings for a generated SQLite database (generators, in-process runs)."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": SECRET,
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "REDIS_URL": REDIS_URL,
        **extra,
    }


def portal_env(workdir: Path, path: Path) -> dict[str, str]:
    """The environment gunicorn's portal reads (``portal_app`` below)."""
    return {
        "DATABASE_URL": f"sqlite:///{path}",
        "SECRET_KEY": SECRET,
        "REDIS_URL": REDIS_URL,
        "PORTAL_INSTANCE_PATH": str(workdir / "instance"),
        "PORTAL_UPLOAD_FOLDER": str(workdir / "uploads"),
    }


# --- the baseline ---------------------------------------------------------------------------


def generate_baseline(path: Path) -> None:
    """10,000 rows with an index on (status, created_at): the bare page's database."""
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


def baseline_app():  # type: ignore[no-untyped-def]
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
    def index():  # type: ignore[no-untyped-def]
        with engine.connect() as con:
            rows = con.execute(query, {"s": "open"}).all()
        return render_template_string(BASELINE_PAGE, rows=rows)

    @app.get("/item/<int:item_id>")
    def item(item_id: int) -> str:
        return str(item_id)

    return app


def portal_app():  # type: ignore[no-untyped-def]
    """gunicorn entry: the portal on the database named by DATABASE_URL."""
    from portal import create_app

    return create_app()


def baseline_client(baseline_db: Path):  # type: ignore[no-untyped-def]
    """A test client of the bare page (for in-process timings)."""
    os.environ["BENCH_BASELINE_DB"] = str(baseline_db)
    return baseline_app().test_client()


# --- in-process -----------------------------------------------------------------------------


def signed_in_client(path: Path, workdir: Path, *, email: str, **config: object):  # type: ignore[no-untyped-def]
    """A portal test client signed in as ``email`` (CSRF off), and the engine for counting.

    No app context is held across requests: each request loads its user and opens its
    session, as under gunicorn.
    """
    from portal import create_app
    from portal.extensions import db
    from portal.models import User

    app = create_app(portal_config(workdir, path, WTF_CSRF_ENABLED=False, **config))
    with app.app_context():
        token = db.session.scalar(db.select(User.session_token).where(User.email == email))
        engine = db.engine
    assert token, f"{email} has no session token in {path}"
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    return client, engine


def count_queries(client, engine, url: str, headers: dict | None = None) -> int:  # type: ignore[no-untyped-def]
    """SQL statements one GET issues (negative status code when it does not answer 200)."""
    from sqlalchemy import event

    seen: list[str] = []

    def listener(*a: object) -> None:
        seen.append(str(a[2]))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        status = client.get(url, headers=headers or {}).status_code
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen) if status == 200 else -status


@dataclass(frozen=True)
class Timing:
    wall_ms: float
    cpu_ms: float


def interleaved(calls: dict[str, Callable[[], object]], rounds: int = 40) -> dict[str, Timing]:
    """Median wall and CPU ms per call, every call once per round (warmed up first).

    Process CPU time leaves out the time spent waiting for a core, so it is the steadier figure
    when other work shares the machine.  A warm-up answer other than 200 stops the run.
    """
    for name, fn in calls.items():
        status = getattr(fn(), "status_code", 200)
        assert status == 200, (name, status)
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            fn()
            cpu[name].append((time.process_time() - started_cpu) * 1000)
            wall[name].append((time.perf_counter() - started) * 1000)
    return {n: Timing(statistics.median(wall[n]), statistics.median(cpu[n])) for n in calls}


def median_cpu_ms(client, url: str, rounds: int) -> float:  # type: ignore[no-untyped-def]
    """Median CPU ms of one GET, after a warm-up (one page alone; see ``interleaved``)."""
    return interleaved({url: lambda: client.get(url)}, rounds)[url].cpu_ms


# --- servers and load -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(target: str, env: dict, port: int) -> subprocess.Popen:
    """gunicorn (sync, 2 workers) on 127.0.0.1:port; returns once it accepts connections."""
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


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@dataclass
class Server:
    url: str
    proc: subprocess.Popen

    def cpu_seconds(self) -> float:
        return server_cpu_seconds(self.proc)


@contextmanager
def servers(
    workdir: Path, db_path: Path, baseline_db: Path | None = None
) -> Iterator[tuple[Server, Server]]:
    """The portal on ``db_path`` and the bare page, each under gunicorn; stopped on exit."""
    baseline_db = baseline_db or workdir / "baseline.db"
    portal_port, base_port = free_port(), free_port()
    portal = start_server("bench.common:portal_app()", portal_env(workdir, db_path), portal_port)
    try:
        baseline = start_server(
            "bench.common:baseline_app()", {"BENCH_BASELINE_DB": str(baseline_db)}, base_port
        )
    except BaseException:
        stop_server(portal)
        raise
    try:
        yield (
            Server(f"http://127.0.0.1:{portal_port}", portal),
            Server(f"http://127.0.0.1:{base_port}", baseline),
        )
    finally:
        stop_server(portal)
        stop_server(baseline)


def server_cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time (user + system) of a gunicorn master and its workers, from /proc (Linux)."""
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


def login_cookie(base: str, email: str, password: str = PASSWORD) -> str:
    """Sign in through the real login form; the ``Cookie:`` value for wrk."""
    _opener, jar = sign_in(base, email, password)
    return cookie_header(jar)


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


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def wrk(
    url: str,
    workdir: Path,
    duration: int,
    cookie: str | None = None,
    *,
    post: str | None = None,
    headers: dict[str, str] | None = None,
    connections: int = 8,
) -> dict:
    """One bounded wrk run (2 threads, loopback); rps, p50/p95/p99 ms, errors, non2xx."""
    script_lines = []
    if post is not None:
        script_lines += [
            'wrk.method = "POST"',
            f"wrk.body = {_lua_string(post)}",
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
        ]
    for name, value in (headers or {}).items():
        script_lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    script = workdir / f"wrk-{os.getpid()}.lua"
    script.write_text("\n".join(script_lines) + "\n" + LUA_REPORT)
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no report for {url}: {out.stderr.strip()}")
    data = json.loads(line[5:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


@dataclass
class Endpoint:
    url: str
    cookie: str | None = None
    server: Server | None = None  # given: the server's CPU per request is measured too
    post: str | None = None
    headers: dict[str, str] | None = None


def load(
    endpoints: dict[str, Endpoint], workdir: Path, *, duration: int, reps: int
) -> dict[str, list[dict]]:
    """Warm every endpoint up, then load them in turn, ``reps`` times; wrk results per rep.

    Alternating the endpoints in every repetition spreads the machine's other load over all of
    them; report same-run ratios.  ``cpu_ms``: CPU the server spent per request, which does not
    depend on what else runs at that moment.
    """
    for ep in endpoints.values():
        wrk(ep.url, workdir, 1, ep.cookie, post=ep.post, headers=ep.headers)
    results: dict[str, list[dict]] = {name: [] for name in endpoints}
    for rep in range(reps):
        for name, ep in endpoints.items():
            before = ep.server.cpu_seconds() if ep.server else float("nan")
            res = wrk(ep.url, workdir, duration, ep.cookie, post=ep.post, headers=ep.headers)
            after = ep.server.cpu_seconds() if ep.server else float("nan")
            res["cpu_ms"] = (after - before) * 1000 / max(res["requests"], 1)
            results[name].append(res)
            print(
                f"rep {rep + 1} {name}: {res['rps']:.0f} req/s p95 {res['p95']:.1f} ms "
                f"CPU {res['cpu_ms']:.2f} ms/request errors {res['errors']} "
                f"non-2xx {res['non2xx']}",
                flush=True,
            )
    return results


def flush_redis(url: str = REDIS_URL) -> None:
    """Drop the jobs the POSTs enqueued (nobody drains the bench's Redis database)."""
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except Exception as exc:  # the numbers are written either way
        print(f"could not flush {url}: {exc}", file=sys.stderr)


# --- reporting ------------------------------------------------------------------------------


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def paired_ratios(runs: list[dict], base: list[dict], key: str = "rps") -> list[float]:
    """Each repetition's figure over the baseline's of the same repetition."""
    return [r[key] / b[key] for r, b in zip(runs, base, strict=True)]


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_line() -> str:
    return (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; load average "
        f"{load_average()} when the report was written (other work on the same cores lowers "
        "every figure; compare the same-run ratios)."
    )


def command_line(module: str, args: object, names: list[str]) -> str:
    """``python -m bench.x --a 1 --b 2`` from the parsed arguments (for the report)."""
    parts = [f"python -m {module}"]
    for name in names:
        value = getattr(args, name)
        flag = "--" + name.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif value not in (False, None):
            parts.append(f"{flag} {value}")
    return "`" + " ".join(parts) + "`"


def write_report(filename: str, text: str) -> Path:
    """Write bench/<filename>, keeping the hand-written ``## History`` section of the old one."""
    path = ROOT / "bench" / filename
    history = ""
    if path.exists():
        old = path.read_text()
        at = old.find("\n## History")
        if at >= 0:
            history = old[at:]
    path.write_text(text.rstrip("\n") + "\n" + history)
    return path
