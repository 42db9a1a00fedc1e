"""``flask mail test``: through the outbox and a real worker; non-zero exit unless sent."""

from __future__ import annotations

import pytest

from portal.models.outbox import OutboundMessage

pytestmark = pytest.mark.slow


def test_mail_test_waits_for_the_worker_and_reports_sent(app, procs, sink):
    procs.worker()
    result = app.test_cli_runner().invoke(
        args=["mail", "test", "--to", "check@example.com", "--timeout", "30"]
    )
    assert result.exit_code == 0, result.output
    assert "Status: sent" in result.output
    assert [rcpt for _mid, rcpt in sink.received()] == ["check@example.com"]


def test_mail_test_reports_a_refusal_and_exits_non_zero(app, procs, sink):
    sink.state.refuse = {"nobody@example.com"}
    procs.worker()
    result = app.test_cli_runner().invoke(
        args=["mail", "test", "--to", "nobody@example.com", "--timeout", "30"]
    )
    assert result.exit_code == 1
    assert "Status: failed" in result.output
    assert "550 5.1.1 No such user here" in result.output


def test_mail_test_without_a_worker_times_out_non_zero(app):
    result = app.test_cli_runner().invoke(
        args=["mail", "test", "--to", "check@example.com", "--timeout", "0.5"]
    )
    assert result.exit_code == 1
    assert "Status: pending" in result.output and "Is a worker running" in result.output
    assert OutboundMessage.query.count() == 1


def test_mail_test_rejects_a_bad_address(app):
    result = app.test_cli_runner().invoke(args=["mail", "test", "--to", "nope"])
    assert result.exit_code != 0 and "valid e-mail address" in result.output
