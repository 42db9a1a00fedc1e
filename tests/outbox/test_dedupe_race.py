"""Two writers of the same dedupe key at once: one row, and neither caller's transaction breaks."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from portal.extensions import db
from portal.models.outbox import OutboundMessage
from portal.services import outbox


def test_concurrent_writers_of_one_key_share_one_row(app, make_user):
    user = make_user()
    email, context = user.email, {"user": user, "text": "Hi", "url": None}
    first_flushed = threading.Event()
    results: dict[str, object] = {}

    def first_writer():
        with app.app_context():
            row = outbox.queue_email(email, "notification", context, dedupe_key="race:1")
            first_flushed.set()
            time.sleep(0.5)  # hold the uncommitted row while the second writer tries
            db.session.commit()
            results["first"] = row.id
            db.session.remove()

    def second_writer():
        with app.app_context():
            first_flushed.wait(5)
            try:
                row = outbox.queue_email(email, "notification", context, dedupe_key="race:1")
                db.session.commit()  # still usable after losing the race
                results["second"] = row.id
            except Exception as exc:  # pragma: no cover - the failure this test guards against
                results["second"] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results["first"] == results["second"], results
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1
