"""``flask --app wsgi mail test --to ADDRESS``: check the mail set-up end to end.

The message goes through the outbox and a running worker like any other; the command waits for
the final status and exits non-zero unless the message was sent.
"""

from __future__ import annotations

import time

import click

from portal.extensions import db


@click.group("mail", help="Outgoing e-mail: check the set-up.")
def mail_group() -> None:
    pass


@mail_group.command("test")
@click.option("--to", "to", required=True, help="Address to send the test e-mail to.")
@click.option(
    "--timeout", default=60, show_default=True, type=float, help="Seconds to wait for the worker."
)
def mail_test_command(to: str, timeout: float) -> None:
    """Queue a test e-mail, nudge the worker, wait and report the outcome."""
    from portal.errors import DomainError
    from portal.models.outbox import SENT, OutboundMessage
    from portal.services import outbox

    try:
        message = outbox.queue_test_email(to)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()  # the worker is nudged after this commit
    message_id = message.id
    click.echo(f"Queued test e-mail #{message_id} to {to}; waiting up to {timeout:g} s ...")
    deadline = time.monotonic() + timeout
    status, error, attempts = "pending", None, 0
    while True:
        db.session.expire_all()
        row = db.session.get(OutboundMessage, message_id)
        status, error, attempts = row.status, row.last_error, row.attempts
        db.session.rollback()
        if status in outbox.FINAL or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    click.echo(f"Status: {status} (attempts: {attempts})")
    if error:
        click.echo(f"Last error: {error}")
    if status != SENT:
        if status in ("pending", "sending"):
            click.echo("The message was not sent in time. Is a worker running (python -m worker)?")
        raise SystemExit(1)
