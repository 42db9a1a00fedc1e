"""Front-desk fixtures: a receptionist, a few staff, and a helper that logs a call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

HX = {"HX-Request": "true"}


@pytest.fixture
def desk_user(make_user):
    return make_user(roles=["back_office", "staff"], name="Juliana Costa", email="desk@example.com")


@pytest.fixture
def ana(make_user):
    return make_user(roles=["staff"], name="Ana Santos", email="ana@example.com")


@pytest.fixture
def bruno(make_user):
    return make_user(roles=["staff"], name="Bruno Carvalho", email="bruno@example.com")


def call_form(**overrides: Any) -> dict[str, str]:
    data = {
        "phone": "(11) 98765-4321",
        "caller_name": "Carlos Souza",
        "company": "Souza Transportes",
        "for_whom": "Ana Santos <ana@example.com>",
        "outcome": "message",
        "message": "Please call about the invoice",
        "urgency": "normal",
        "callback_due": "",
        "transferred_to": "",
        "direction": "in",
    }
    data.update(overrides)
    return data


def local_input(delta: timedelta) -> str:
    """A datetime-local value ``delta`` from now, in the portal's zone."""
    from zoneinfo import ZoneInfo

    from portal.models.base import utcnow

    return (utcnow() + delta).astimezone(ZoneInfo("America/Sao_Paulo")).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def log_call(desk_user):
    """Log a call through the service, committed, as the receptionist."""
    from portal.extensions import db
    from portal.services import frontdesk

    def log(**overrides: Any):
        data = call_form(**overrides)
        call = frontdesk.log_call(frontdesk.CallInput(**data), actor=desk_user)
        db.session.commit()
        return call

    return log


def deliver_all(run_jobs, sink, expected: int, tries: int = 4):
    """Run the mail jobs until ``expected`` messages reached the sink.

    On a busy machine an SMTP exchange can time out and be rescheduled with backoff; make such
    rows due again and sweep, as the periodic sweeper would a little later.
    """
    from sqlalchemy import update

    from portal.extensions import db
    from portal.models.base import utcnow
    from portal.models.outbox import PENDING, OutboundMessage
    from worker.jobs.mail import sweep_outbox

    for _ in range(tries):
        run_jobs()
        if len(sink.wait_for(expected, timeout=5)) >= expected:
            break
        db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.status == PENDING)
            .values(next_attempt_at=utcnow())
        )
        db.session.commit()
        sweep_outbox()
    return sink.messages
