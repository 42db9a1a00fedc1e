"""Deliver outbox rows.  Safe to run any number of times for the same id."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, text, update

from portal import mailer
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.outbox import (
    AT_MOST_ONCE_KINDS,
    DEAD,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    UNCERTAIN,
    OutboundMessage,
)

log = logging.getLogger(__name__)

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


def _fault(point: str) -> None:
    """Kill this process at a named point of the send path (fault-injection tests only)."""
    if os.environ.get("PORTAL_FAULT_POINT") == point:
        marker = os.environ.get("PORTAL_FAULT_MARKER")
        if marker:
            if os.path.exists(marker):
                return  # already died once at this point; behave normally now
            with open(marker, "w") as fh:
                fh.write(point)
        os.kill(os.getpid(), 9)


def claim(message_id: int) -> OutboundMessage | None:
    """Take the row with a conditional UPDATE and a lease; None if it is not ours to send."""
    cfg = current_app.config
    now = utcnow()
    c = OutboundMessage.__table__.c
    due = and_(c.status == PENDING, c.next_attempt_at <= now)
    expired = and_(c.status == SENDING, c.lease_until < now, c.kind.notin_(AT_MOST_ONCE_KINDS))
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Losing this commit in a database crash only un-claims the row (the later "sent" commit
        # is synchronous and flushes it anyway): no need to wait for the disk here ...
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    # A Core UPDATE (cheaper than the ORM's bulk UPDATE ... RETURNING), then read the row.
    table = OutboundMessage.__table__
    claimed = db.session.execute(
        update(table)
        .where(table.c.id == message_id, or_(due, expired))
        .values(
            status=SENDING,
            lease_until=now + timedelta(seconds=cfg["OUTBOX_LEASE_SECONDS"]),
            lease_owner=WORKER_NAME,
            attempts=table.c.attempts + 1,
        )
    ).rowcount
    message = None
    if claimed == 1:
        message = db.session.get(OutboundMessage, message_id, populate_existing=True)
        if postgres and message.kind in AT_MOST_ONCE_KINDS:
            # ... except for at-most-once kinds: an un-claimed row would be resent
            # automatically after a database crash instead of turning "uncertain".
            db.session.execute(text("SET LOCAL synchronous_commit TO ON"))
    db.session.commit()
    return message


def backoff(attempts: int) -> timedelta:
    """Capped exponential backoff: base, 2 x base, 4 x base ... up to the cap (30 s ... 600 s)."""
    cfg = current_app.config
    base = cfg.get("OUTBOX_BACKOFF_BASE_SECONDS", 30)
    cap = cfg["OUTBOX_BACKOFF_CAP_SECONDS"]
    return timedelta(seconds=min(cap, base * 2 ** min(20, max(0, attempts - 1))))


def send_message(message_id: int) -> str:
    """Send one stored message; a no-op if it was already sent or another worker holds it."""
    session = db.session()
    # The row is ours until the lease ends: keep what we read instead of re-reading it after
    # each commit (saves a SELECT per commit; restored for whoever uses the session next).
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        return _send(message_id)
    finally:
        session.expire_on_commit = previous


def _send(message_id: int) -> str:
    _fault("before_claim")
    message = claim(message_id)
    if message is None:
        return "skipped"
    _fault("after_claim")
    try:
        result = mailer.deliver(message)
    except mailer.PermanentError as exc:
        message.status = FAILED
        message.last_error = str(exc)[:2000]
        message.lease_until = None
        message.recipient_status = {r: str(exc)[:300] for r in message.recipients}
        db.session.commit()
        log.warning("outbox message %s failed permanently", message_id)
        return "failed"
    except mailer.TransientError as exc:
        log.info("outbox message %s: transient failure: %s", message_id, exc)
        return _retry_later(message, str(exc))
    except Exception as exc:  # a bug or a bad row: retry a few times, then dead
        log.exception("outbox message %s raised", message_id)
        # The session may be unusable (e.g. a failed flush): start clean and reload the row.
        db.session.rollback()
        message = db.session.get(OutboundMessage, message_id, populate_existing=True)
        if message is None:
            return "skipped"
        return _retry_later(message, f"{type(exc).__name__}: {exc}")
    _fault("after_accept")
    status = SENT if result.accepted else FAILED
    table = OutboundMessage.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == message_id)
        .values(
            status=status,
            sent_at=utcnow() if result.accepted else None,
            lease_until=None,
            last_error="; ".join(f"{r}: {c}" for r, c in result.refused.items()) or None,
            recipient_status={**{r: "sent" for r in result.accepted}, **result.refused},
        )
    )
    db.session.commit()
    _fault("after_mark_sent")
    return status


def _retry_later(message: OutboundMessage, error: str) -> str:
    message.last_error = error[:2000]
    message.lease_until = None
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = DEAD
        log.error("outbox message %s is dead after %s attempts", message.id, message.attempts)
    else:
        message.status = PENDING
        message.next_attempt_at = utcnow() + backoff(message.attempts)
    db.session.commit()
    return message.status


def sweep_outbox(limit: int = 500) -> int:
    """Re-enqueue rows that are due or whose lease expired; flag uncertain supplier orders."""
    from portal.enqueue import enqueue_now

    now = utcnow()
    # At-most-once kinds whose sender died mid-send: a person decides; never resend them.
    db.session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.status == SENDING,
            OutboundMessage.lease_until < now,
            OutboundMessage.kind.in_(AT_MOST_ONCE_KINDS),
        )
        .values(
            status=UNCERTAIN,
            last_error="The worker stopped while sending; it is unknown "
            "whether the mail server accepted the message.",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    ids = list(
        db.session.scalars(
            select(OutboundMessage.id)
            .where(
                or_(
                    and_(OutboundMessage.status == PENDING, OutboundMessage.next_attempt_at <= now),
                    and_(OutboundMessage.status == SENDING, OutboundMessage.lease_until < now),
                )
            )
            .order_by(OutboundMessage.next_attempt_at)
            .limit(limit)
        )
    )
    db.session.rollback()
    for message_id in ids:
        if not enqueue_now(
            send_message,
            message_id,
            queue="mail",
            job_timeout=current_app.config["OUTBOX_JOB_TIMEOUT"],
        ):
            break
    return len(ids)
