"""Delivery under faults, with real worker and scheduler processes, a real Redis and SMTP server.

Each test checks what a person would notice: every message arrives (0 lost), at most once except
when the worker died between the server's 250 and marking the row sent (then with the same
Message-ID), and failures are visible on the admin page.
"""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import select

from portal.enqueue import enqueue_now, get_redis
from portal.extensions import db
from portal.models.outbox import OutboundMessage
from portal.services import outbox
from tests.outbox.conftest import Sink, wait_until
from worker.jobs.mail import send_message, sweep_outbox

pytestmark = pytest.mark.slow


def queue(n: int, tag: str, to: str | list[str] | None = None) -> list[int]:
    ids = []
    for i in range(n):
        row = outbox.queue_email(
            to or f"rcpt{i}@example.com",
            "outbox_test",
            {"requested_by": "Fault test", "requested_at": "now", "backend": "smtp"},
            dedupe_key=f"fault:{tag}:{i}",
        )
        ids.append(row.id)
    db.session.commit()  # nudges go to Redis here
    return ids


def rows(ids: list[int] | None = None) -> list[OutboundMessage]:
    db.session.expire_all()
    stmt = select(OutboundMessage).order_by(OutboundMessage.id)
    if ids is not None:
        stmt = stmt.where(OutboundMessage.id.in_(ids))
    result = list(db.session.scalars(stmt))
    db.session.rollback()
    return result


def statuses(ids: list[int] | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows(ids):
        out[row.status] = out.get(row.status, 0) + 1
    return out


def all_sent(ids: list[int]) -> bool:
    return statuses(ids) == {"sent": len(ids)}


def sweep() -> int:
    count = sweep_outbox()
    db.session.remove()
    return count


# --- SIGKILL at each point of the send path ----------------------------------------------------

RUNS = 3


@pytest.mark.parametrize(
    "point", ["before_claim", "after_claim", "after_accept", "after_mark_sent"]
)
def test_sigkill_at_each_fault_point_loses_nothing(point, procs, sink, tmp_path):
    ids = queue(3 * RUNS, point)
    for run in range(RUNS):
        code = procs.run_burst(
            PORTAL_FAULT_POINT=point, PORTAL_FAULT_MARKER=str(tmp_path / f"died-{run}")
        )
        assert code == -signal.SIGKILL, f"run {run} did not die at {point}"
    # Recovery as in production: the lease expires, the sweeper re-drives, a worker sends.
    time.sleep(2.3)  # > OUTBOX_LEASE_SECONDS
    sweep()
    assert procs.run_burst() == 0
    assert all_sent(ids), statuses(ids)

    counts = sink.count_by_message_id()
    expected_ids = {row.message_id for row in rows(ids)}
    assert set(counts) == expected_ids  # 0 lost
    duplicates = {mid: n for mid, n in counts.items() if n > 1}
    if point == "after_accept":
        # Exactly the messages whose worker died after the 250, each twice, same Message-ID.
        assert len(duplicates) == RUNS and set(duplicates.values()) == {2}
    else:
        assert duplicates == {}


# --- Redis loses everything during a burst ------------------------------------------------------


def test_redis_flushall_during_burst_loses_nothing(procs, sink, private_redis):
    ids = queue(200, "flush")
    procs.worker()
    procs.cron()  # the real scheduler process runs the sweeper every second
    assert wait_until(lambda: len(sink.messages) >= 20, 30), "worker did not start sending"
    get_redis().flushall()  # every queued job and RQ registry is gone
    assert wait_until(lambda: all_sent(ids), 60), (statuses(ids), procs.dump())
    counts = sink.count_by_message_id()
    assert set(counts) == {row.message_id for row in rows(ids)}
    # No crash happened, so nothing was sent twice either.
    assert max(counts.values()) == 1


def test_redis_down_while_a_user_acts_then_mail_goes_out(
    app, client, make_user, login_as, procs, sink, private_redis
):
    login_as(make_user(roles=["admin"], email="admin@example.com"))
    private_redis.stop()
    try:
        response = client.post("/admin/outbox/test", data={"to": "someone@example.com"})
    finally:
        private_redis.start()  # Redis comes back, empty
    assert response.status_code == 303  # the user's action succeeded
    (row,) = rows()
    assert row.status == "pending" and row.created_at is not None
    row_id = row.id
    app.extensions.pop("portal_redis", None)
    sweep()
    assert procs.run_burst() == 0
    assert all_sent([row_id])
    assert [rcpt for _mid, rcpt in sink.received()] == ["someone@example.com"]


# --- the mail server misbehaves -----------------------------------------------------------------


def test_mail_server_down_then_back_delivers_everything(procs, tmp_path):
    down = Sink()  # a port nobody listens on yet
    procs.env["MAIL_PORT"] = str(down.port)
    ids = queue(5, "down")
    assert procs.run_burst() == 0
    assert statuses(ids) == {"pending": 5}
    assert all(r.attempts == 1 and "Connection" in (r.last_error or "") for r in rows(ids))
    down.start()  # the server is back
    try:
        worker = procs.worker()
        assert wait_until(lambda: sweep() >= 0 and all_sent(ids), 30, interval=0.5), statuses(ids)
        assert worker.poll() is None
        counts = down.count_by_message_id()
        assert len(counts) == 5 and set(counts.values()) == {1}
        assert all(r.status != "dead" for r in rows(ids))
    finally:
        down.stop()


def test_transient_421_retries_then_delivers(procs, sink):
    sink.state.mode = "421"
    ids = queue(3, "421")
    assert procs.run_burst() == 0
    assert statuses(ids) == {"pending": 3}
    assert all("421" in (r.last_error or "") for r in rows(ids))
    sink.state.mode = "250"
    worker = procs.worker()
    assert wait_until(lambda: sweep() >= 0 and all_sent(ids), 30, interval=0.5), statuses(ids)
    assert worker.poll() is None
    assert set(sink.count_by_message_id().values()) == {1}


def test_550_fails_after_one_attempt_and_is_never_retried(procs, sink, client, make_user, login_as):
    sink.state.refuse = {"nobody@example.com"}
    (bad,) = queue(1, "550", to="nobody@example.com")
    good = queue(2, "550-good")
    assert procs.run_burst() == 0
    sweep()
    enqueue_now(send_message, bad, queue="mail")  # even a stray nudge does not resend it
    assert procs.run_burst() == 0
    (row,) = rows([bad])
    assert row.status == "failed" and row.attempts == 1
    assert "550" in row.last_error
    assert all_sent(good)
    login_as(make_user(roles=["admin"]))
    page = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "nobody@example.com" in page and "550 5.1.1 No such user here" in page


def test_hung_server_times_out_and_the_worker_goes_on(procs, sink):
    sink.state.mode = "hang"
    (hung,) = queue(1, "hang")
    worker = procs.worker()
    assert wait_until(lambda: rows([hung])[0].last_error is not None, 15)
    sink.state.mode = "250"  # the next connection is answered normally
    (next_one,) = queue(1, "after-hang")
    assert wait_until(lambda: all_sent([next_one]), 15), statuses()
    assert worker.poll() is None  # the worker was not wedged
    (row,) = rows([hung])
    assert row.attempts == 1 and "timed out" in row.last_error.lower()
    # Back to pending (with backoff), then re-driven by the sweeper and delivered.
    assert row.status in ("pending", "sent")
    assert wait_until(lambda: sweep() >= 0 and all_sent([hung]), 20, interval=0.5)


def test_partial_recipient_refusal_is_recorded_per_recipient(procs, sink):
    sink.state.refuse = {"gone@example.com"}
    (row_id,) = queue(1, "partial", to=["a@example.com", "gone@example.com", "b@example.com"])
    assert procs.run_burst() == 0
    (row,) = rows([row_id])
    assert row.status == "sent" and row.attempts == 1
    assert row.recipient_status["a@example.com"] == "sent"
    assert row.recipient_status["b@example.com"] == "sent"
    assert row.recipient_status["gone@example.com"].startswith("550")
    assert "gone@example.com" in row.last_error
    assert sorted(r for _m, r in sink.received()) == ["a@example.com", "b@example.com"]


def test_the_same_row_nudged_three_times_is_sent_once(procs, sink):
    ids = queue(20, "nudge")  # nudge 1: after commit
    sweep()  # nudge 2: the sweeper
    for message_id in ids:  # nudge 3: a manual re-enqueue
        enqueue_now(send_message, message_id, queue="mail")
    # Two workers race for the same 60 jobs.
    first, second = procs.worker(burst=True), procs.worker(burst=True)
    assert first.wait(60) == 0 and second.wait(60) == 0
    assert all_sent(ids)
    counts = sink.count_by_message_id()
    assert len(counts) == 20 and set(counts.values()) == {1}


def test_exception_before_commit_writes_no_row_and_sends_no_mail(procs, sink, run_jobs):
    for i in range(5):
        try:
            outbox.queue_email(
                f"x{i}@example.com",
                "outbox_test",
                {"requested_by": None, "requested_at": "now", "backend": "smtp"},
                dedupe_key=f"rollback:{i}",
            )
            raise RuntimeError("the business change failed after the row was written")
        except RuntimeError:
            db.session.rollback()
    # A later, unrelated commit must not carry the dropped nudges either.
    queue(1, "unrelated")
    assert [r.dedupe_key for r in rows()] == ["fault:unrelated:0"]
    assert procs.run_burst() == 0
    assert [r for _m, r in sink.received()] == ["rcpt0@example.com"]


def test_supplier_order_is_never_resent_automatically(
    procs, sink, tmp_path, client, make_user, login_as
):
    (order,) = [
        outbox.queue_email(
            "orders@supplier.example",
            "outbox_test",
            {"requested_by": "Supplies", "requested_at": "now", "backend": "smtp"},
            dedupe_key="po:1:order",
            kind="supplier_order",
        ).id
    ]
    db.session.commit()
    # The worker dies after the supplier's server accepted the order, before marking it sent.
    code = procs.run_burst(
        PORTAL_FAULT_POINT="after_accept", PORTAL_FAULT_MARKER=str(tmp_path / "died")
    )
    assert code == -signal.SIGKILL
    time.sleep(2.3)  # > OUTBOX_LEASE_SECONDS
    sweep()
    enqueue_now(send_message, order, queue="mail")  # even a stray nudge does not resend it
    assert procs.run_burst() == 0
    (row,) = rows([order])
    assert row.status == "uncertain" and len(sink.received()) == 1
    # A person decides: retry from the admin page sends it again (same Message-ID).
    login_as(make_user(roles=["admin"]))
    assert "Uncertain" in client.get("/admin/outbox/?status=uncertain").get_data(as_text=True)
    assert client.post(f"/admin/outbox/{order}/retry").status_code == 303
    assert procs.run_burst() == 0
    assert all_sent([order])
    assert list(sink.count_by_message_id().values()) == [2]


def test_a_message_that_keeps_raising_ends_dead_and_others_go_on(app, sink, run_jobs, monkeypatch):
    from portal import mailer

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, OUTBOX_MAX_ATTEMPTS=3)
    (poison,) = queue(1, "poison", to="poison@example.com")
    (fine,) = queue(1, "fine", to="fine@example.com")
    real_build = mailer.build_mime

    def build(message):
        if message.recipients == ["poison@example.com"]:
            raise ValueError("cannot build this message")
        return real_build(message)

    monkeypatch.setattr(mailer, "build_mime", build)
    for _ in range(3):
        run_jobs()
        db.session.execute(
            OutboundMessage.__table__.update()
            .where(OutboundMessage.id == poison, OutboundMessage.status == "pending")
            .values(next_attempt_at=OutboundMessage.created_at)
        )
        db.session.commit()
        sweep()
    (row,) = rows([poison])
    assert row.status == "dead" and row.attempts == 3
    assert "ValueError: cannot build this message" in row.last_error
    assert all_sent([fine])
    assert [r for _m, r in sink.received()] == ["fine@example.com"]
