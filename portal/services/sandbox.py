"""The parser sandbox: untrusted documents are parsed in a child process, never in ours.

The child (``sandbox_child.py``, started with ``python -I``) lowers its own limits before reading
anything: address space, CPU per request, no core dumps, no file writes.  This side adds a wall
clock and kills the child when it is exceeded.  Two uses, each with its own child per process:

- ``get("inspect")``: the upload checks (``filecheck``) send the bytes of a PDF or DOCX through
  the pipe, before they are stored, and get back a verdict (CV intake, fax uploads);
- ``get("extract")``: the recruiting worker sends the path of a stored CV and gets its text,
  with files queued ahead (prefetch) so the child works while the worker scores and commits.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from flask import current_app

CHILD = Path(__file__).with_name("sandbox_child.py")
CHILD_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
DEFAULT_MEMORY = 512 * 1024 * 1024
DEFAULT_CPU = 10
DEFAULT_WALL = 15.0


class Sandbox:
    """A long-lived parser child with memory and CPU limits, and a wall clock in the parent.

    Starting Python and importing the parsers costs ~0.3 s, far more than parsing a document,
    so the child serves many files.  Any sign of trouble (timeout, death, a memory or size
    refusal) kills it; the next file gets a fresh one.  It is also recycled every ``RECYCLE``
    files.
    """

    RECYCLE = 200
    DEPTH = 3  # files sent ahead of the one being scored

    def __init__(self, memory: int, cpu: int) -> None:
        self.memory, self.cpu = memory, cpu
        self.proc: subprocess.Popen[bytes] | None = None
        self.served = 0
        self.lock = threading.Lock()
        # Requests already sent (prefetch), oldest first: the child parses them while the worker
        # scores and commits earlier CVs, and never waits for the worker to hand it the next
        # file.  Answers come back in order; ``extract`` reads them or throws them away.
        self.pending: deque[str] = deque()
        self.buffer = b""  # answer bytes read from the child but not consumed yet

    def _start(self) -> subprocess.Popen[bytes]:
        self.served = 0
        return subprocess.Popen(
            [sys.executable, "-I", str(CHILD), "--serve", str(self.memory), str(self.cpu)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=CHILD_ENV,
            cwd="/",
        )

    def stop(self) -> None:
        self.pending.clear()
        self.buffer = b""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]

    def _ensure(self) -> subprocess.Popen[bytes]:
        recycle = self.served >= self.RECYCLE and not self.pending  # never drop queued answers
        if self.proc is None or self.proc.poll() is not None or recycle:
            self.stop()
            self.proc = self._start()
        return self.proc

    def _send(self, request: dict[str, object], payload: bytes = b"") -> bool:
        proc = self._ensure()
        assert proc.stdin is not None
        self.served += 1
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            if payload:
                proc.stdin.write(payload)
            proc.stdin.flush()
        except OSError:
            self.stop()
            return False
        return True

    def prefetch(self, kind: str, path: Path) -> None:
        """Queue ``path`` now (up to ``DEPTH`` ahead); a later ``extract`` collects the answer."""
        with self.lock:
            key = str(path)
            if (
                key not in self.pending
                and len(self.pending) < self.DEPTH
                and self._send({"kind": kind, "path": key})
            ):
                self.pending.append(key)

    def extract(self, kind: str, path: Path, wall: float) -> tuple[str | None, str | None]:
        """The text of a stored file: (text, None), or (None, refusal code)."""
        with self.lock:
            key = str(path)
            # Answers for files ahead of this one (someone else's, or skipped): read and drop.
            while self.pending and self.pending[0] != key:
                self.pending.popleft()
                self._receive(wall)
            if self.pending:  # ours is next in line
                self.pending.popleft()
                return self._receive(wall)
            if not self._send({"kind": kind, "path": key}):
                return None, "corrupt"
            return self._receive(wall)

    def inspect(self, kind: str, data: bytes, wall: float) -> str | None:
        """The parsers' verdict on ``data`` (sent through the pipe): None, or a refusal code."""
        with self.lock:
            # Queued answers are read first: a child blocked writing them would never read
            # the megabytes we are about to send.
            while self.pending:
                self.pending.popleft()
                self._receive(wall)
            if not self._send({"op": "inspect", "kind": kind, "size": len(data)}, data):
                return "corrupt"
            return self._receive(wall)[1]

    def _receive(self, wall: float) -> tuple[str | None, str | None]:
        proc = self.proc
        if proc is None:
            return None, "corrupt"
        started = time.monotonic()
        line = self._read_line(proc, wall)
        if line is None:  # wall clock exceeded, or the child died (SIGXCPU, OOM)
            timed_out = time.monotonic() - started >= wall
            died = proc.poll()
            self.stop()
            return None, "timeout" if timed_out or died in (None, -24) else "memory"
        try:
            result = json.loads(line)
        except ValueError:
            self.stop()
            return None, "corrupt"
        if not result.get("ok"):
            if result.get("error") in ("memory", "limit"):
                self.stop()  # the heap may be in a bad state: start clean
            return None, str(result.get("error") or "corrupt")
        return str(result["text"]), None

    def _read_line(self, proc: subprocess.Popen[bytes], wall: float) -> bytes | None:
        """The next answer line; bytes read past it (the following answers) stay buffered."""
        assert proc.stdout is not None
        newline = self.buffer.find(b"\n")
        if newline >= 0:
            line, self.buffer = self.buffer[: newline + 1], self.buffer[newline + 1 :]
            return line
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + wall
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                newline = chunk.find(b"\n")
                if newline < 0:
                    self.buffer += chunk
                    continue
                line = self.buffer + chunk[: newline + 1]
                self.buffer = chunk[newline + 1 :]
                return line


_SANDBOXES: dict[tuple[str, int, int], Sandbox] = {}


def limits() -> tuple[int, int, float]:
    """(address space bytes, CPU seconds per file, wall-clock seconds) from the app config."""
    cfg = current_app.config
    return (
        int(cfg.get("CV_PARSE_MEMORY_BYTES", DEFAULT_MEMORY)),
        int(cfg.get("CV_PARSE_CPU_SECONDS", DEFAULT_CPU)),
        float(cfg.get("CV_PARSE_TIMEOUT", DEFAULT_WALL)),
    )


def get(purpose: str) -> Sandbox:
    """This process's sandbox for ``purpose`` ("inspect" or "extract") and the configured limits."""
    memory, cpu, _wall = limits()
    key = (purpose, memory, cpu)
    box = _SANDBOXES.get(key)
    if box is None:
        box = _SANDBOXES.setdefault(key, Sandbox(memory, cpu))
    return box


@atexit.register
def stop_all() -> None:
    for box in _SANDBOXES.values():
        box.stop()
