"""The vendor's repair e-mail goes out exactly once, also when the worker dies after the vendor's
mail server said 250: the row becomes "uncertain", nothing resends it, and the repair page asks a
person to confirm it arrived or to send it again (as for supplier orders)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from portal.enqueue import enqueue_now
from portal.errors import InvalidTransition
from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.equipment import Event, Repair
from portal.models.outbox import OutboundMessage
from portal.services import equipment
from worker.jobs.mail import send_message, sweep_outbox

ROOT = Path(__file__).resolve().parents[2]
VENDOR = "assistencia@vendor.example"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _repair(make_asset, office, staff) -> Repair:
    """A staff member reports a jam (with a photo); back office calls the vendor."""
    asset = make_asset(repair_email=VENDOR, contract_number="CT-900", response_hours="8")
    fault = equipment.report_fault(
        asset,
        reporter=staff,
        description="Atolamento de papel na bandeja 2",
        error_code="J-02",
        photos=[(_png(), "jam.png")],
    )
    db.session.commit()
    repair = equipment.call_vendor(fault, actor=office)
    db.session.commit()
    return repair


def _to_vendor(sink) -> list:
    return [m for m in sink.messages if VENDOR in m["X-Sink-Rcpts"]]


def _message(repair_id: int) -> OutboundMessage:
    db.session.expire_all()
    repair = db.session.get(Repair, repair_id)
    return db.session.get(OutboundMessage, repair.message_id)


def _worker(app, sink, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    """``python -m worker --burst``: the real worker process, on this test's database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_FAULT", "MAIL_"))}
    env.update(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(sink.port),
            "OUTBOX_LEASE_SECONDS": "1",
            "OUTBOX_SMTP_TIMEOUT": "2",
            "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
            "PORTAL_BASE_URL": app.config["PORTAL_BASE_URL"],
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    db.session.remove()  # let the other process write (SQLite)
    return subprocess.run(
        [sys.executable, "-m", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        timeout=90,
        capture_output=True,
    )


@pytest.mark.slow
def test_worker_killed_after_accept_repair_email_is_never_resent(
    app, client, login_as, office, staff, make_asset, smtp_sink, run_jobs, tmp_path
):
    repair = _repair(make_asset, office, staff)
    repair_id, message_id, office_id = repair.id, repair.message_id, office.id
    # Everything else queued so far (back office's fault notice) goes out first, so the only
    # message the killed worker picks up is the repair request.
    pending = select(OutboundMessage.id).where(
        OutboundMessage.status == "pending", OutboundMessage.id != message_id
    )
    for other in db.session.scalars(pending).all():
        send_message(other)
    assert db.session.scalars(pending).all() == []

    proc = _worker(
        app,
        smtp_sink,
        tmp_path,
        PORTAL_FAULT_POINT="after_accept",
        PORTAL_FAULT_MARKER=str(tmp_path / "died"),
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout.decode()[-2000:]
    smtp_sink.wait_for(1)
    (sent,) = _to_vendor(smtp_sink)  # the vendor's server accepted it ...
    assert "HL-L5102" in sent["Subject"]
    assert [p.get_filename() for p in sent.walk() if p.get_filename()] == ["jam.jpg"]
    assert _message(repair_id).status == "sending"  # ... and the worker died before marking it

    time.sleep(1.2)  # the lease runs out
    sweep_outbox()  # the sweeper finds it: an at-most-once kind is never re-driven
    assert _message(repair_id).status == "uncertain"
    enqueue_now(send_message, message_id, queue="mail")  # even a stray nudge does nothing
    proc = _worker(app, smtp_sink, tmp_path)
    assert proc.returncode == 0, proc.stdout.decode()[-2000:]
    assert send_message(message_id) == "skipped"
    time.sleep(0.3)
    assert len(_to_vendor(smtp_sink)) == 1
    assert _message(repair_id).status == "uncertain"

    # The repair page shows the uncertain state and what a person can do about it.
    login_as(db.session.get(type(office), office_id))
    page = client.get(f"/equipment/repairs/{repair_id}").get_data(as_text=True)
    assert "Sending uncertain" in page and 'id="repair-uncertain"' in page
    assert f"/equipment/repairs/{repair_id}/sent/confirm" in page
    assert f"/equipment/repairs/{repair_id}/sent/resend" in page

    # The vendor says they have it: confirmed, still one e-mail.
    assert client.post(f"/equipment/repairs/{repair_id}/sent/confirm").status_code == 303
    message = _message(repair_id)
    assert message.status == "sent" and message.sent_at is not None
    assert "Juliana Costa" in message.last_error
    run_jobs()
    assert len(_to_vendor(smtp_sink)) == 1
    page = client.get(f"/equipment/repairs/{repair_id}").get_data(as_text=True)
    assert "Sending uncertain" not in page


def _uncertain_repair(make_asset, office, staff, run_jobs) -> int:
    """A repair whose e-mail is what a SIGKILL after the 250 leaves (the sweeper's verdict)."""
    repair = _repair(make_asset, office, staff)
    message = db.session.get(OutboundMessage, repair.message_id)
    message.status = "uncertain"
    db.session.commit()
    repair_id = repair.id
    run_jobs()  # the nudge written at commit finds the row uncertain: nothing is sent
    return repair_id


def test_resend_after_uncertain_sends_it_once_more(
    client, login_as, office, staff, make_asset, smtp_sink, run_jobs
):
    office_id = office.id
    repair_id = _uncertain_repair(make_asset, office, staff, run_jobs)
    assert _to_vendor(smtp_sink) == []
    login_as(db.session.get(type(office), office_id))
    resp = client.post(f"/equipment/repairs/{repair_id}/sent/resend")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/equipment/repairs/{repair_id}")
    assert _message(repair_id).status == "pending"
    run_jobs()
    smtp_sink.wait_for(1)
    assert len(_to_vendor(smtp_sink)) == 1
    assert _message(repair_id).status == "sent"
    # A second click is refused: the e-mail is no longer uncertain.
    assert client.post(f"/equipment/repairs/{repair_id}/sent/resend").status_code == 409
    run_jobs()
    assert len(_to_vendor(smtp_sink)) == 1
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("equipment.repair.%"))
    ).all()
    assert "equipment.repair.resent" in actions
    kinds = db.session.scalars(select(Event.kind)).all()
    assert "repair_resent" in kinds
    asset_id = db.session.get(Repair, repair_id).asset_id
    body = client.get(f"/equipment/{asset_id}/more", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Repair request sent again (assistencia@vendor.example)" in body


def test_confirm_and_resend_only_for_an_uncertain_send(
    client, login_as, office, staff, make_asset, run_jobs
):
    repair = _repair(make_asset, office, staff)
    repair_id = repair.id
    with pytest.raises(InvalidTransition):  # still pending: nothing to confirm
        equipment.confirm_sent(repair, actor=office)
    with pytest.raises(InvalidTransition):
        equipment.resend(repair, actor=office)
    db.session.rollback()
    login_as(office)
    assert client.post(f"/equipment/repairs/{repair_id}/sent/confirm").status_code == 409
    assert _message(repair_id).status == "pending"


def test_only_back_office_confirms_or_resends(
    client, login_as, office, staff, make_user, make_asset, run_jobs
):
    office_id, staff_id = office.id, staff.id
    repair_id = _uncertain_repair(make_asset, office, staff, run_jobs)
    director = make_user(roles=["director"], name="Diretora", email="dir@example.com")
    for person in (db.session.get(type(staff), staff_id), director):
        login_as(person)
        for action in ("confirm", "resend"):
            resp = client.post(f"/equipment/repairs/{repair_id}/sent/{action}")
            assert resp.status_code in (403, 404), (action, resp.status_code)
    assert _message(repair_id).status == "uncertain"
    login_as(db.session.get(type(office), office_id))
    assert client.post(f"/equipment/repairs/{repair_id}/sent/confirm").status_code == 303
    assert _message(repair_id).status == "sent"
    assert (
        db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "equipment.repair.sent_confirmed")
        )
        is not None
    )
