"""Front-desk fixtures: a receptionist, a few staff, and a helper that logs a call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def _module_app(_schema, base_config):
    """One app per test module: building one compiles every URL rule of the portal (~850, most
    of ``create_app``'s time, 0.5–2.5 s), which the front desk's tests, none of which changes
    how the app is built, need not pay per test."""
    from jinja2 import StrictUndefined

    from portal import create_app
    from tests.conftest import FreshGlobalsClient

    app = create_app(dict(base_config))
    app.test_client_class = FreshGlobalsClient
    app.jinja_env.undefined = StrictUndefined
    return app, dict(app.config), dict(app.extensions)


@pytest.fixture
def app(_module_app):
    """The module's app, isolated per test as the shared ``app`` fixture isolates a fresh one:
    its own app context, an empty Redis database and tables afterwards, and the settings and
    per-app caches (``app.extensions``) of a new app again."""
    from portal.enqueue import get_redis
    from portal.extensions import db
    from tests.conftest import _empty_tables

    app, config, extensions = _module_app
    with app.app_context():
        get_redis().flushdb()
        try:
            yield app
        finally:
            db.session.rollback()
            _empty_tables()
            db.session.remove()
            db.engine.dispose()
            app.config.clear()
            app.config.update(config)
            for key in set(app.extensions) - set(extensions):
                del app.extensions[key]
            app.extensions.update(extensions)


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
