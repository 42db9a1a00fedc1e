"""The soak test's machinery: an SMTP sink that can refuse, a restartable Redis, supervised
processes and a memory sampler.  Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


# --- the SMTP sink ---------------------------------------------------------------------------


@dataclass
class Received:
    at: float
    message_id: str
    outbox_id: str
    subject: str
    recipients: tuple[str, ...]


class Sink:
    """aiosmtpd handler: records every message with its Message-ID; ``refusing`` answers 451
    to every RCPT and DATA (a mail server that asks to be tried later)."""

    def __init__(self, clock) -> None:  # type: ignore[no-untyped-def]
        self.clock = clock
        self.lock = threading.Lock()
        self.refusing = False
        self.refused = 0
        self.received: list[Received] = []
        self._parser = BytesHeaderParser(policy=default_policy)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refusing:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Soak test: mail server busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refusing:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Soak test: mail server busy, try again later"
        raw = envelope.original_content or envelope.content or b""
        head = self._parser.parsebytes(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
        record = Received(
            at=self.clock(),
            message_id=str(head.get("Message-ID", "")).strip(),
            outbox_id=str(head.get("X-Portal-Outbox-Id", "")).strip(),
            subject=str(head.get("Subject", "")),
            recipients=tuple(envelope.rcpt_tos),
        )
        with self.lock:
            self.received.append(record)
        return "250 2.0.0 Accepted"

    def counts(self) -> Counter:
        with self.lock:
            return Counter(r.message_id for r in self.received)


# --- a private, restartable Redis ------------------------------------------------------------


class RedisServer:
    """redis-server on a fixed free port, without persistence: a restart empties it."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = open(workdir / "redis.log", "ab")  # noqa: SIM115 (closed in close())
        self.peak_kb = 0

    def start(self) -> None:
        from redis import Redis

        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
                str(self.workdir),
            ],
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                Redis.from_url(self.url, socket_timeout=1).ping()
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Stop without saving (SIGTERM with --save "" saves nothing): its data is gone."""
        if self.proc is None:
            return
        self.peak_kb = max(self.peak_kb, vm_kb(self.proc.pid, "VmHWM"))
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.stop()
        self.log.close()


# --- supervised processes --------------------------------------------------------------------


def vm_kb(pid: int, field_name: str) -> int:
    """VmHWM (peak resident set) or VmRSS of a process in kB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Managed:
    """One portal process (and its children) in its own process group."""

    role: str
    argv: list[str]
    env: dict[str, str]
    logfile: Path
    proc: subprocess.Popen | None = None
    started: int = 0
    exits: list[tuple[float, int]] = field(default_factory=list)  # unexpected exits
    killed: bool = False  # stopped on purpose: an exit is not a crash
    # peak kB per pid: {pid: (label, kB)}
    peaks: dict[int, tuple[str, int]] = field(default_factory=dict)

    def start(self) -> None:
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.started += 1
        self.killed = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def sample(self) -> None:
        """Record VmHWM of the main process and of every descendant."""
        if self.proc is None:
            return
        try:
            main = psutil.Process(self.proc.pid)
            family = [main, *main.children(recursive=True)]
        except psutil.Error:
            return
        for p in family:
            kb = vm_kb(p.pid, "VmHWM")
            if not kb:
                continue
            label = "main" if p.pid == self.proc.pid else _child_label(p, main)
            old = self.peaks.get(p.pid, (label, 0))
            self.peaks[p.pid] = (label, max(old[1], kb))

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        """SIGKILL the whole group at once, as when a container or machine dies."""
        self.sample()
        self.killed = True
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (a worker finishes its job), then SIGKILL whatever is left of the group."""
        if self.proc is None:
            return
        self.sample()
        self.killed = True
        self.signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.signal_group(signal.SIGKILL)
        self.proc.wait()


def _child_label(p: psutil.Process, main: psutil.Process) -> str:
    try:
        cmd, parent = p.cmdline(), main.cmdline()
    except psutil.Error:
        return "child"
    text = " ".join(cmd)
    if "gunicorn" in text:
        return "gunicorn worker"
    if "recruiting" in text or "sandbox" in text:
        return "CV sandbox"
    if cmd == parent and "worker" in parent:
        return "RQ scheduler (fork)"
    return "child"


class Supervisor:
    """Samples memory every 2 s and restarts a process that died on its own after 5 s, as
    systemd's ``Restart=on-failure`` would; every such exit is recorded as a crash."""

    def __init__(self, clock, restart: bool = True) -> None:  # type: ignore[no-untyped-def]
        self.clock = clock
        self.restart = restart
        self.procs: list[Managed] = []
        self.redis: RedisServer | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._dead_since: dict[str, float] = {}

    def add(self, proc: Managed) -> Managed:
        with self._lock:
            self.procs.append(proc)
        return proc

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(2):
            with self._lock:
                procs = list(self.procs)
            for p in procs:
                p.sample()
                if p.killed or p.proc is None or p.proc.poll() is None:
                    continue
                key = p.role
                if key not in self._dead_since:
                    self._dead_since[key] = self.clock()
                    p.exits.append((self.clock(), p.proc.returncode))
                elif self.restart and self.clock() - self._dead_since[key] >= 5:
                    del self._dead_since[key]
                    p.start()
            if self.redis is not None and self.redis.proc is not None:
                self.redis.peak_kb = max(self.redis.peak_kb, vm_kb(self.redis.proc.pid, "VmHWM"))

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        with self._lock:
            procs = list(self.procs)
        # Workers and schedulers first (they may be finishing a job), the web last.
        for p in sorted(procs, key=lambda p: p.role.startswith("web")):
            try:
                p.stop()
            except Exception:  # never leave the others running
                p.signal_group(signal.SIGKILL)


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"
