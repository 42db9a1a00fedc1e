"""Callback reminders: a periodic job, once per callback, through the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Notification
from portal.models.frontdesk import Call
from tests.frontdesk.conftest import deliver_all, local_input
from worker.jobs.frontdesk import remind_due_callbacks


def _due(call: Call, minutes: int = 5) -> None:
    call.callback_due_at = call.created_at - timedelta(minutes=minutes)
    db.session.commit()


def test_reminder_sent_once_when_due(ana, log_call, smtp_sink, run_jobs):
    due = log_call(outcome="callback", callback_due=local_input(timedelta(hours=1)))
    log_call(
        outcome="callback", callback_due=local_input(timedelta(hours=1)), caller_name="Not Yet"
    )
    returned = log_call(
        outcome="callback",
        callback_due=local_input(timedelta(hours=1)),
        caller_name="Already Returned",
    )
    _due(due)
    _due(returned)
    returned.status = "returned"
    db.session.commit()
    due_id = due.id
    before = len(deliver_all(run_jobs, smtp_sink, 3))  # the "message taken" e-mails
    assert before == 3

    assert remind_due_callbacks() == 1
    assert remind_due_callbacks() == 0  # the second run finds nothing to do
    messages = deliver_all(run_jobs, smtp_sink, before + 1)
    assert len(messages) == before + 1
    reminder = messages[-1]
    assert reminder["X-Sink-Rcpts"] == "ana@example.com"
    assert "Callback due" in reminder["Subject"] and "Carlos Souza" in reminder["Subject"]
    db.session.expire_all()
    assert db.session.get(Call, due_id).reminder_sent_at is not None
    kinds = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.kind == "frontdesk.callback_due")
    )
    assert kinds == 1


def test_reminder_through_the_queue(app, ana, log_call, smtp_sink, run_jobs):
    from portal.enqueue import get_queue

    due = log_call(outcome="callback", callback_due=local_input(timedelta(hours=1)))
    _due(due)
    # What the scheduler does every minute, twice (e.g. two overlapping runs).
    get_queue("default").enqueue(remind_due_callbacks)
    get_queue("default").enqueue(remind_due_callbacks)
    run_jobs()  # both reminder jobs run; only one may send
    subjects = [m["Subject"] for m in deliver_all(run_jobs, smtp_sink, 2)]
    assert sum("Callback due" in s for s in subjects) == 1


def test_cron_registers_the_reminder(app):
    """The front desk declares the reminder job; the scheduler resolves its dotted path."""
    from werkzeug.utils import import_string

    from portal import ui

    jobs = {j.name: j for j in ui.registry(app).periodic_jobs}
    job = jobs["frontdesk-callback-reminders"]
    assert import_string(job.func) is remind_due_callbacks
    assert job.queue == "default" and job.interval == 60
