"""The worker runs each job's transactions on one pooled connection."""

from __future__ import annotations

from rq.serializers import JSONSerializer
from sqlalchemy import event, select

from portal.enqueue import get_queue, get_redis
from portal.extensions import db
from portal.models.devmail import DevMailboxMessage
from portal.models.outbox import SENT, OutboundMessage
from portal.services import outbox
from worker.__main__ import PortalWorker


def test_each_job_checks_out_one_connection_for_its_claim_and_its_sent_mark(app):
    for n in range(3):
        outbox.queue_test_email(f"person{n}@example.com")
    db.session.commit()
    db.session.remove()
    checkouts: list[int] = []

    def on_checkout(*_args):
        checkouts.append(1)

    event.listen(db.engine.pool, "checkout", on_checkout)
    try:
        queues = [get_queue(q) for q in app.config["RQ_QUEUES"]]
        worker = PortalWorker(queues, connection=get_redis(), serializer=JSONSerializer)
        worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
    finally:
        event.remove(db.engine.pool, "checkout", on_checkout)
    statuses = db.session.scalars(select(OutboundMessage.status)).all()
    assert statuses == [SENT, SENT, SENT]
    assert len(db.session.scalars(select(DevMailboxMessage)).all()) == 3
    # claim (commit) + deliver to the dev mailbox + mark sent (commit): one checkout per job
    assert len(checkouts) == 3
