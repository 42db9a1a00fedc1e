"""``make run`` (``python -m portal.devrun``) stops everything it started on SIGTERM and SIGHUP.

A real run: embedded Redis, web server, worker (with RQ's scheduler child) and cron scheduler.
Once all are up, the signal goes to devrun alone, as a service manager or a closing terminal
would send it; afterwards not one of those processes may be left running.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from redis import Redis

import portal
from tests.conftest import _free_port

ROOT = Path(portal.__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    """One instance folder for the module: the second run skips the first run's migration."""
    return tmp_path_factory.mktemp("devrun-instance")


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    return False


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _members(groups: set[int]) -> set[int]:
    """Running processes in the given process groups."""
    found = set()
    for proc in psutil.process_iter():
        try:
            if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if os.getpgid(proc.pid) in groups:
                found.add(proc.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_devrun_stops_every_process_it_started(signum, instance, tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "MAIL_SERVER", "FLASK_DEBUG", "PORT")
    }
    env.update(
        PORTAL_INSTANCE_PATH=str(instance),
        PORT=str(port),
        DEMO_SEED="0",  # an empty portal: the test is about processes, not data
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    out = tmp_path / "devrun.log"
    with open(out, "wb") as log:
        devrun = subprocess.Popen(
            [sys.executable, "-m", "portal.devrun"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,  # as under a service manager; never in pytest's group
        )
    pids: set[int] = set()
    groups: set[int] = set()
    try:

        def redis_socket() -> str:
            found = re.search(r"Embedded Redis started \(unix://(\S+)\)", out.read_text())
            assert found
            return found.group(1)

        assert _wait(lambda: bool(redis_socket()), 30), out.read_text()
        socket = redis_socket()
        redis_pid = int((Path(socket).parent / "redis.pid").read_text())
        pids.add(redis_pid)
        redis = Redis(unix_socket_path=socket)

        def web_up() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return r.status == 200

        assert _wait(web_up, 90), out.read_text()[-3000:]
        # The worker beats and the scheduler holds its lease: both are really running.
        assert _wait(lambda: redis.hlen("portal:worker:heartbeat") >= 1, 60), out.read_text()
        assert _wait(lambda: redis.exists("portal:cron:leader"), 60), out.read_text()
        redis.close()

        direct = psutil.Process(devrun.pid).children()
        assert len(direct) == 3  # web, worker, cron
        groups |= {os.getpgid(p.pid) for p in direct}
        pids |= _members(groups)  # with the worker's RQ scheduler child

        devrun.send_signal(signum)
        assert devrun.wait(30) == 0, out.read_text()[-3000:]
        # Nothing is left: not one process it started, nor anything those started.
        assert _wait(lambda: not _members(groups) and not _running(redis_pid), 5)
        pids |= _members(groups)
        assert {pid: psutil.Process(pid).cmdline() for pid in pids if _running(pid)} == {}
    finally:  # never leave a stray process behind a failed test
        if devrun.poll() is None:
            devrun.terminate()
            try:
                devrun.wait(30)
            except subprocess.TimeoutExpired:
                devrun.kill()
                devrun.wait(5)
        for pid in pids | _members(groups):
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
