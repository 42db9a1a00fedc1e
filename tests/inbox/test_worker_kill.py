"""Mail keeps arriving while the fetching worker is killed (SIGKILL) and restarted, again and
again: in the end every message is in the portal exactly once, and on the server every one is
still there (nothing deleted) and marked seen — also the batch a killed worker had stored but not
yet flagged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.inbox import InboxMessage
from portal.services import inbox
from tests.inbox.conftest import IMAP_USER

ROOT = Path(__file__).resolve().parents[2]

# The real fetch job in a process of its own, in small batches (more commits to die between),
# fetching again and again until killed.  Prints "ready" once the app is up.
WORKER = """
import sys, time
from portal import create_app
from portal.services.inbox import fetching
from worker.jobs.inbox import fetch_mailbox

fetching.BATCH = 3
app = create_app({
    "SQLALCHEMY_DATABASE_URI": sys.argv[1], "REDIS_URL": sys.argv[2], "SECRET_KEY": sys.argv[3],
    "INBOX_LEASE_SECONDS": 1,
})
with app.app_context():
    print("ready", flush=True)
    while True:
        fetch_mailbox(int(sys.argv[4]))
        time.sleep(0.02)
"""


def _start(app, mailbox_id: int) -> subprocess.Popen[bytes]:
    db.session.remove()  # let the other process write (SQLite)
    cfg = app.config
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, cfg["SQLALCHEMY_DATABASE_URI"], cfg["REDIS_URL"],
         cfg["SECRET_KEY"], str(mailbox_id)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    return proc


@pytest.mark.slow
def test_worker_killed_and_restarted_while_mail_arrives(
    app, mailbox, deliver, dovecot, imap_folder
):
    total = 45
    mailbox_id = mailbox.id
    sent: list[str] = []

    def arrive() -> None:
        for n in range(total):
            sent.append(deliver(f"Pedido {n:02d}", f"Mensagem número {n}."))
            time.sleep(random.uniform(0, 0.08))

    delivery = threading.Thread(target=arrive)
    delivery.start()
    rng = random.Random(14)
    kills = 0
    while delivery.is_alive() or kills < 4:
        proc = _start(app, mailbox_id)
        time.sleep(rng.uniform(0.1, 1.2))  # mid-fetch, mid-batch, after a commit ...
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
    delivery.join(60)

    # The last restart: runs until the folder is drained (the dead worker's lease lapses).
    time.sleep(1.2)
    inbox.fetch_mailbox(mailbox_id)
    db.session.expire_all()

    stored = list(db.session.scalars(select(InboxMessage.message_id)))
    assert sorted(stored) == sorted(sent) and len(sent) == total  # each once, none lost
    assert db.session.scalar(select(func.count(InboxMessage.id))) == total
    on_server = dovecot.messages(IMAP_USER, imap_folder)
    assert len(on_server) == total  # nothing deleted
    unseen = [m["subject"] for m in on_server.values() if b"\\Seen" not in m["flags"]]
    assert unseen == []
    assert kills >= 4
