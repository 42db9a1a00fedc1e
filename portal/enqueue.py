"""The only place the web side touches RQ: jobs are enqueued after the transaction commits.

Services call ``enqueue_after_commit(job, row_id, queue=...)``.  The job is held on the session and
pushed to Redis by an ``after_commit`` hook once the outer transaction commits; a rollback drops it.
If Redis is down the hook logs and returns: the user's action already succeeded, and the outbox
sweeper delivers later.  Jobs take ids only and travel with RQ's JSON serializer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "portal_pending_jobs"

# A job function, or its dotted path ("worker.jobs.mail.send_message").
Job = Callable[..., Any] | str


def get_redis() -> Redis:
    """Return the app's Redis connection (created once per app, short timeouts)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    conn: Redis | None = app.extensions.get("portal_redis")
    if conn is None:
        url = app.config.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        conn = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        app.extensions["portal_redis"] = conn
    return conn


def worker_redis() -> Redis:
    """A connection for RQ workers: no read timeout, since dequeueing blocks for minutes."""
    url = current_app.config.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


def get_queue(name: str, connection: Redis | None = None) -> Queue:
    """Return the named RQ queue using the JSON serializer."""
    return Queue(name, connection=connection or get_redis(), serializer=JSONSerializer)


def enqueue_after_commit(func: Job, *args: Any, queue: str = "default", **options: Any) -> None:
    """Run ``func(*args)`` on ``queue`` after the transaction commits; drop it on rollback.

    Services name the job by its dotted path (``"worker.jobs.mail.send_message"``) so that the
    web side never imports ``worker``; RQ resolves the name in the worker.
    """
    from portal.extensions import db

    db.session.info.setdefault(_PENDING, []).append((queue, func, args, options))


def enqueue_now(func: Job, *args: Any, queue: str = "default", **options: Any) -> bool:
    """Enqueue immediately (for the sweeper and admin retries); return False if Redis is down."""
    try:
        get_queue(queue).enqueue(func, *args, **options)
    except Exception:  # Redis down or refusing: the outbox row remains the truth
        log.warning("could not enqueue %s%r; the sweeper will retry", _name(func), args)
        return False
    return True


def _name(func: Job) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for queue, func, args, options in pending:
        # Never raise from after_commit: it would leave the session broken after a good commit.
        enqueue_now(func, *args, queue=queue, **options)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        return
    session.info.pop(_PENDING, None)
