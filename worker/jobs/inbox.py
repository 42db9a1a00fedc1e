"""Shared inbox background work: read the mailboxes that are due, each on its own."""

from __future__ import annotations

import logging

from portal.extensions import db
from portal.services import inbox

log = logging.getLogger(__name__)


def fetch_mailbox(mailbox_id: int) -> int:
    """Fetch one mailbox now; a no-op while another worker holds it."""
    return inbox.fetch_mailbox(mailbox_id)


def fetch_due() -> int:
    """Fetch every active mailbox whose next attempt is due; one failing never stops the rest."""
    ids = inbox.due_mailbox_ids()
    db.session.rollback()
    added = 0
    for mailbox_id in ids:
        try:
            added += inbox.fetch_mailbox(mailbox_id)
        except Exception:
            db.session.rollback()
            log.exception("inbox fetch of mailbox %s failed", mailbox_id)
    return added
