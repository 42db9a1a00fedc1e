"""``make soak``: the whole portal under load for ~10 minutes while things break.

    python -m bench.soak [--minutes 10] [--drain 180] [--redis-down 20] [--smtp-refuse 60]

Starts, on 127.0.0.1 only: a fresh PostgreSQL database (``soak``, migrated with
``flask db upgrade``, a small seed), a private ``redis-server`` without persistence, an aiosmtpd
sink in this process, two web processes (two gunicorn servers, one sync worker each, on their
own ports), two workers (``python -m worker``) and two schedulers (``python -m worker.cron``).
Seven people then work through the real pages with their own sessions and CSRF tokens: the
front desk logs calls (an e-mail to the person called), a buyer creates and submits orders (an
e-mail to each manager), two managers approve them from the same queue (the order goes to the
supplier, the buyer is told), HR uploads CVs, and staff read their pages.

Timeline (fractions of ``--minutes``): at 30 % one worker is SIGKILLed (its whole process
group) and a replacement starts 30 s later; at 50 % Redis stops for ``--redis-down`` seconds and
comes back empty (RQ's queues are lost; the outbox sweeper re-drives); at 70 % the mail server
answers 451 to every RCPT and DATA for ``--smtp-refuse`` seconds.  Then the load stops and the
outbox drains (at most ``--drain`` seconds).  A process that dies on its own is restarted after
5 s, like systemd would, and counted as a crash.

Pass: every outbox row sent and received by the sink exactly once (Message-ID), each approved
order sent to its supplier once, every approval answered once, no crash, and no error answer
except inside the Redis window, and there only pages that tell the user to try again.  The
report is printed and appended to bench/RESULTS-soak.md; the exit status is 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.soak_infra import (
    ROOT,
    Managed,
    RedisServer,
    Sink,
    Supervisor,
    free_port,
    wait_for_port,
)

SECRET = "soak-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"
PG = ["-h", "127.0.0.1", "-U", "postgres"]


class Clock:
    """Seconds since the load started (negative while setting up)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.wall0 = time.time()

    def reset(self) -> None:
        self.t0 = time.monotonic()
        self.wall0 = time.time()

    def __call__(self) -> float:
        return time.monotonic() - self.t0


class LoadSampler(threading.Thread):
    """The machine's 1-minute load average every 5 s (others' tests share these cores)."""

    def __init__(self) -> None:
        super().__init__(name="loadavg", daemon=True)
        self.values: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(5):
            self.values.append(os.getloadavg()[0])


def reset_database(url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    if name in ("postgres", "test", "template0", "template1"):
        raise SystemExit(f"refusing to drop the database {name!r}; use a scratch database")
    subprocess.run(["dropdb", *PG, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *PG, name], check=True)


class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.clock = Clock()
        self.events: list[tuple[float, str]] = []
        self.windows: dict[str, tuple[float, float]] = {}
        self.sup = Supervisor(self.clock)
        self.redis = RedisServer(workdir)
        self.sup.redis = self.redis
        self.sink = Sink(self.clock)
        self.controller = None
        self.web_ports = [free_port(), free_port()]
        self.procs: dict[str, Managed] = {}
        self.loadavg = LoadSampler()

    def event(self, text: str) -> None:
        t = self.clock()
        self.events.append((t, text))
        print(f"[{t:7.1f}s] {text}", flush=True)

    # -- set-up ----------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.portal_env()}

    def portal_env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.args.database_url,
            "REDIS_URL": self.redis.url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "SECRET_KEY": SECRET,
            "PORTAL_ENV": "development",
            "PORTAL_INSTANCE_PATH": str(self.workdir / "instance"),
            "PORTAL_UPLOAD_FOLDER": str(self.workdir / "uploads"),
            "PORTAL_BASE_URL": f"http://127.0.0.1:{self.web_ports[0]}",
            "PORTAL_CV_DAILY_FILES": "100000",
            "PORTAL_CV_DAILY_MB": "100000",
            "PORTAL_SWEEP_INTERVAL": str(self.args.sweep_interval),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    def setup(self) -> dict:
        from aiosmtpd.controller import Controller

        reset_database(self.args.database_url)
        self.redis.start()
        self.smtp_port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port)
        self.controller.start()
        env = self.env()
        os.environ.update(self.portal_env())  # this process reads the same settings
        (self.workdir / "logs").mkdir(exist_ok=True)
        subprocess.run(
            [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        from bench.soak_load import seed
        from portal import create_app
        from portal.config import normalise_database_url
        from portal.extensions import db

        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": normalise_database_url(self.args.database_url),
                "REDIS_URL": self.redis.url,
                "SECRET_KEY": SECRET,
            }
        )
        with self.app.app_context():
            ids = seed()
            db.session.remove()
        gunicorn = str(ROOT / ".venv/bin/gunicorn")
        for i, port in enumerate(self.web_ports, 1):
            self._add(
                f"web-{i}",
                [
                    gunicorn,
                    "-k",
                    "sync",
                    "-w",
                    "1",
                    "-b",
                    f"127.0.0.1:{port}",
                    "--worker-tmp-dir",
                    "/dev/shm",
                    "--timeout",
                    "60",
                    "--log-level",
                    "warning",
                    "wsgi:app",
                ],
            )
        for i in (1, 2):
            self._add(f"worker-{i}", [sys.executable, "-m", "worker"])
        for i in (1, 2):
            self._add(f"scheduler-{i}", [sys.executable, "-m", "worker.cron"])
        for p in self.procs.values():
            p.start()
        for port in self.web_ports:
            if not wait_for_port(port, 60):
                raise RuntimeError(f"gunicorn on port {port} did not start")
        self._wait_workers(2)
        self.sup.start()
        self.loadavg.start()
        return ids

    def _add(self, role: str, argv: list[str]) -> Managed:
        proc = Managed(role, argv, self.env(), self.workdir / "logs" / f"{role}.log")
        self.procs[role] = proc
        return self.sup.add(proc)

    def _wait_workers(self, count: int) -> None:
        from redis import Redis

        from portal.services.health import HEARTBEAT_KEY

        redis = Redis.from_url(self.redis.url)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            beats = redis.hgetall(HEARTBEAT_KEY)
            if len(beats) >= count:
                return
            time.sleep(0.5)
        raise RuntimeError("the workers did not start")

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> int:
        from bench.soak_load import Ledger, Load
        from bench.soak_report import check, render

        ids = self.setup()
        self.ledger = Ledger()
        duration = self.args.minutes * 60
        load = Load(self.web_ports, ids, self.ledger, self.clock, self.args.pace)
        self.clock.reset()
        self.load_start = os.getloadavg()[0]
        self.event(f"load starts: 7 people on 2 web processes (ports {self.web_ports})")
        load.start()
        try:
            self._timeline(duration)
        finally:
            load.stop()
        self.event("load stopped; waiting for the outbox and the CV queue to drain")
        drained = self._drain()
        self.event("drained" if drained else f"NOT drained after {self.args.drain} s")
        self.loadavg.stop.set()
        for p in self.procs.values():
            p.sample()
        result = check(self)
        self.sup.close()
        text = render(self, result)
        print()
        print(text)
        out = Path(self.args.out)
        header = "" if out.exists() else "# Soak test results (`make soak`)\n\n"
        with out.open("a") as fh:
            fh.write(header + text + "\n")
        print(f"(appended to {out}; logs in {self.workdir / 'logs'})")
        return 0 if result.passed else 1

    def _at(self, t: float) -> None:
        while self.clock() < t:
            time.sleep(min(0.5, t - self.clock()))

    def _timeline(self, duration: float) -> None:
        # Fractions of the run, kept apart in short runs: a worker started while Redis is down
        # exits at once (RQ names its connection first), so the replacement comes up before.
        kill_at = 0.3 * duration
        redis_at = max(0.5 * duration, kill_at + 45)
        smtp_at = max(0.7 * duration, redis_at + self.args.redis_down + self.args.grace)
        self._at(kill_at)
        victim = self.procs["worker-1"]
        self.event(f"SIGKILL worker-1 (pid {victim.pid}, whole process group)")
        start = self.clock()
        victim.kill()
        self.event(f"worker-1 held {self._in_flight(victim.pid)}")
        replacement = self._add("worker-3", [sys.executable, "-m", "worker"])
        self._at(start + 30)
        replacement.start()
        self.event(f"replacement worker-3 started (pid {replacement.pid})")
        self.windows["worker killed"] = (start, self.clock())
        self._at(redis_at)
        self.event(f"Redis stops (no persistence): {self._queued()} queued jobs are lost")
        down = self.clock()
        self.redis.stop()
        self._at(down + self.args.redis_down)
        self.redis.start()
        up = self.clock()
        self.event(f"Redis back, empty (down {up - down:.0f} s)")
        self.windows["Redis restart"] = (down, up + self.args.grace)
        self.redis_outage = (down, up)
        self._at(smtp_at)
        self.sink.refusing = True
        refuse = self.clock()
        self.event(f"SMTP server answers 451 to every RCPT/DATA for {self.args.smtp_refuse} s")
        self._at(refuse + self.args.smtp_refuse)
        self.sink.refusing = False
        self.windows["SMTP refusing"] = (refuse, self.clock())
        self.event(f"SMTP server accepts again ({self.sink.refused} refusals answered)")
        self._at(duration)

    def _in_flight(self, pid: int | None) -> str:
        """What the killed worker was holding: claimed outbox rows, CVs being extracted."""
        from sqlalchemy import text

        from portal.extensions import db

        with self.app.app_context():
            rows, cvs = db.session.execute(
                text(
                    "SELECT (SELECT count(*) FROM outbound_message WHERE status = 'sending'"
                    "        AND lease_owner LIKE :owner),"
                    "       (SELECT count(*) FROM recruiting_cv_file WHERE status = 'extracting')"
                ),
                {"owner": f"%:{pid}"},
            ).one()
            db.session.remove()
        return f"{rows} claimed outbox row(s); {cvs} CV(s) being extracted by any worker"

    def _queued(self) -> int:
        from redis import Redis

        try:
            redis = Redis.from_url(self.redis.url, socket_timeout=2)
            return sum(redis.llen(f"rq:queue:{name}") for name in ("mail", "default"))
        except Exception:
            return -1

    def _drain(self) -> bool:
        from sqlalchemy import text

        from portal.extensions import db

        deadline = time.monotonic() + self.args.drain
        settled = 0
        with self.app.app_context():
            while time.monotonic() < deadline:
                busy = db.session.execute(
                    text(
                        "SELECT (SELECT count(*) FROM outbound_message"
                        "        WHERE status IN ('pending', 'sending')),"
                        "       (SELECT count(*) FROM recruiting_cv_file"
                        "        WHERE status IN ('queued', 'extracting'))"
                    )
                ).one()
                db.session.rollback()
                settled = settled + 1 if busy == (0, 0) else 0
                if settled >= 2:
                    return True
                time.sleep(2)
            db.session.remove()
        return False

    def close(self) -> None:
        try:
            self.sup.close()
        finally:
            if self.controller is not None:
                self.controller.stop()
            self.redis.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--minutes", type=float, default=10, help="load duration (default 10)")
    parser.add_argument("--drain", type=int, default=180, help="max seconds to drain after")
    parser.add_argument("--redis-down", type=int, default=20, help="seconds Redis stays down")
    parser.add_argument("--smtp-refuse", type=int, default=60, help="seconds of SMTP 451")
    parser.add_argument(
        "--grace",
        type=int,
        default=15,
        help="seconds after Redis returns still counted as its window",
    )
    parser.add_argument("--pace", type=float, default=1.0, help="think-time multiplier")
    parser.add_argument("--sweep-interval", type=int, default=60, help="PORTAL_SWEEP_INTERVAL")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SOAK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/soak"),
        help="a scratch PostgreSQL database: it is dropped and re-created",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS-soak.md"))
    parser.add_argument("--keep", action="store_true", help="keep the logs even on success")
    args = parser.parse_args()
    # SIGTERM / Ctrl-C run the clean-up below like a normal end.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    soak = Soak(args, workdir)
    status = 1
    try:
        status = soak.run()
    finally:
        soak.close()
        if status == 0 and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir / 'logs'}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
