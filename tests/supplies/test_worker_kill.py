"""A real process dies right after the supplier's mail server said 250: never resent."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models.outbox import OutboundMessage
from portal.services import supplies

ROOT = Path(__file__).resolve().parents[2]

SENDER = textwrap.dedent(
    """
    import sys
    from portal import create_app
    from worker.jobs.mail import send_message

    app = create_app()
    with app.app_context():
        send_message(int(sys.argv[1]))
    """
)


@pytest.mark.slow
def test_sigkill_after_accept_makes_the_order_uncertain(
    app, manager, back_office, make_order, smtp_sink, client, login_as
):
    order = make_order(back_office, status="approved", approver=manager)
    order_id, message_id, bo_id = order.id, order.submission_id, back_office.id
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "REDIS_URL": app.config["REDIS_URL"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_sink.port),
        "OUTBOX_LEASE_SECONDS": "1",
        "OUTBOX_SMTP_TIMEOUT": "1",
        "PORTAL_FAULT_POINT": "after_accept",
        "PORTAL_INSTANCE_PATH": str(ROOT / "instance"),
    }
    db.session.remove()  # let the other process write (SQLite)
    proc = subprocess.run(
        [sys.executable, "-c", SENDER, str(message_id)],
        cwd=ROOT,
        env=env,
        timeout=60,
        capture_output=True,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]  # killed itself after the 250
    smtp_sink.wait_for(1)
    to_supplier = [m for m in smtp_sink.messages if "pedidos@kalunga.test" in m["X-Sink-Rcpts"]]
    assert len(to_supplier) == 1
    assert db.session.get(OutboundMessage, message_id).status == "sending"

    time.sleep(1.2)  # the lease runs out
    from worker.jobs.mail import send_message, sweep_outbox

    sweep_outbox()
    assert send_message(message_id) == "skipped"  # a late retry of the job does nothing
    db.session.expire_all()
    assert db.session.get(OutboundMessage, message_id).status == "uncertain"
    assert len([m for m in smtp_sink.messages if "pedidos@kalunga.test" in m["X-Sink-Rcpts"]]) == 1
    login_as(db.session.get(type(manager), bo_id))
    page = client.get(f"/supplies/orders/{order_id}").get_data(as_text=True)
    assert "Submission uncertain" in page
    assert supplies.get_order_or_404(order_id).status == "approved"
