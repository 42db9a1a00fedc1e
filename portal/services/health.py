"""What /healthz reports: database, Redis, worker heartbeat and queue depth."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text

from portal.enqueue import get_queue, get_redis
from portal.extensions import db
from portal.models.outbox import OutboundMessage

HEARTBEAT_KEY = "portal:worker:heartbeat"


def check(*, details: bool = False) -> dict[str, Any]:
    """Up or down (the database answers); with ``details``, Redis, workers and queue depths.

    Anonymous callers get only ``{"status": ...}``: queue depths and worker ages tell an
    outsider how busy the portal is and when its workers die.
    """
    report: dict[str, Any] = {"status": "up"}
    database = "ok"
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database is unreachable
        db.session.rollback()
        database = f"error: {type(exc).__name__}"
        report["status"] = "down"
    if not details:
        return report
    report.update(database=database, redis="ok")
    try:
        redis = get_redis()
        redis.ping()
        beats = redis.hgetall(HEARTBEAT_KEY)
        now = time.time()
        ages = [now - float(v) for v in beats.values()]
        report["workers_alive"] = sum(1 for a in ages if a < 60)
        report["worker_heartbeat_age"] = round(min(ages), 1) if ages else None
        report["queues"] = {
            name: get_queue(name, redis).count for name in current_app.config["RQ_QUEUES"]
        }
    except Exception as exc:  # Redis down: the portal still works, the outbox waits
        report["redis"] = f"error: {type(exc).__name__}"
        report["worker_heartbeat_age"] = None
        report["queues"] = {}
    return report


def outbox_counts() -> dict[str, int]:
    """Messages per outbox status, in one grouped query."""
    rows = db.session.execute(
        select(OutboundMessage.status, func.count(OutboundMessage.id)).group_by(
            OutboundMessage.status
        )
    )
    return {status: count for status, count in rows}
