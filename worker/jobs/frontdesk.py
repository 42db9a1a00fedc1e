"""Front-desk background work: remind people of callbacks that came due."""

from __future__ import annotations

import logging

from portal.extensions import db

log = logging.getLogger(__name__)


def remind_due_callbacks() -> int:
    """Notify the recipient of every open callback that is due; once per callback.

    Each reminder is claimed with a conditional UPDATE of ``reminder_sent_at`` and committed in
    the same transaction as its notification and outbox e-mail, so overlapping runs never send
    twice and a crash mid-way loses nothing.
    """
    from portal.services import frontdesk

    ids = frontdesk.due_callback_ids()
    db.session.rollback()
    sent = 0
    for call_id in ids:
        try:
            if frontdesk.send_callback_reminder(call_id):
                db.session.commit()
                sent += 1
            else:
                db.session.rollback()
        except Exception:
            db.session.rollback()
            log.exception("callback reminder for call %s failed", call_id)
    if sent:
        log.info("sent %s callback reminders", sent)
    return sent
