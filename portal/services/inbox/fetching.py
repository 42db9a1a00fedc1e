"""Take new mail from the shared mailboxes, each message exactly once.

How exactly once holds (see ``portal.models.inbox``):

1. One worker fetches a mailbox at a time: ``claim`` is a conditional UPDATE with a lease.
2. Messages are read with ``BODY.PEEK[]`` (the server's \\Seen flag is untouched), in UID order,
   a batch of up to ``BATCH`` messages (``BATCH_BYTES``) per FETCH; each batch's rows, the new
   ``last_uid`` and the renewed lease commit together, and only then is the server told (\\Seen
   or MOVE).  A crash before the commit refetches the batch; a crash after it leaves at most an
   unflagged batch, which the next run flags (or moves) before it reads anything new.
3. Every row is inserted with ON CONFLICT DO NOTHING against two unique keys — (mailbox,
   UIDVALIDITY, UID) and (mailbox, Message-ID) — so a second worker, a lost lease or a
   UIDVALIDITY reset (the folder recreated, UIDs starting again at 1) never makes a duplicate.

A mailbox that cannot be reached records the error and backs off; the others carry on.  A
malformed or oversized message is stored as unreadable with its headers and never blocks the
ones after it.  Nothing is ever deleted on the server.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from flask import current_app
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import or_, select, update

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.inbox import MOVE, Mailbox
from portal.services.inbox import crypto, storing

log = logging.getLogger(__name__)

WORKER = f"{socket.gethostname()}:{os.getpid()}"
BATCH = 100  # messages per FETCH of bodies, and per commit
BATCH_BYTES = 16 * 1024 * 1024  # ... or fewer, when they are large
META_BATCH = 2000  # UIDs per FETCH of sizes and dates


class FetchError(Exception):
    """The mailbox could not be read; the message is what the admin sees."""


# --- connection ----------------------------------------------------------------------------------


def connect(
    *, host: str, port: int, security: str, username: str, password: str, timeout: float
) -> IMAPClient:
    """A logged-in client; raise FetchError with the server's (or the network's) answer."""
    # Loading the system's certificates costs more than a whole fetch: only for TLS.
    context = ssl.create_default_context() if security in ("ssl", "starttls") else None
    try:
        imap = IMAPClient(
            host,
            port=port,
            ssl=security == "ssl",
            ssl_context=context,
            timeout=timeout,
        )
        imap.normalise_times = False  # INTERNALDATE with its zone, not naive local time
        if security == "starttls":
            imap.starttls(context)
        imap.login(username, password)
    except ssl.SSLCertVerificationError as exc:
        raise FetchError(f"certificate not trusted: {exc.verify_message}") from exc
    except IMAPClientError as exc:
        raise FetchError(_text(exc) or "authentication failed") from exc
    except (OSError, ssl.SSLError) as exc:
        raise FetchError(_text(exc) or type(exc).__name__) from exc
    return imap


def _text(exc: BaseException) -> str:
    value = exc.args[0] if exc.args else str(exc)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return " ".join(str(value).split())[:450]


def open_mailbox(mailbox: Mailbox) -> IMAPClient:
    try:
        password = crypto.decrypt(mailbox.password_encrypted)
    except ValueError as exc:
        raise FetchError(str(exc)) from exc
    return connect(
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=password,
        timeout=current_app.config["INBOX_IMAP_TIMEOUT"],
    )


# --- scheduling: due mailboxes, claim, backoff --------------------------------------------------


def due_mailbox_ids(now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Mailbox.id)
            .where(Mailbox.active.is_(True), Mailbox.next_attempt_at <= now)
            .order_by(Mailbox.id)
        )
    )


def claim(mailbox_id: int, now: datetime | None = None) -> Mailbox | None:
    """Take the mailbox for this worker (conditional UPDATE + lease); None if another has it."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["INBOX_LEASE_SECONDS"])
    table = Mailbox.__table__
    taken = db.session.execute(
        update(table)
        .where(
            table.c.id == mailbox_id,
            table.c.active.is_(True),
            or_(table.c.lease_until.is_(None), table.c.lease_until < now),
        )
        .values(lease_until=now + lease, lease_owner=WORKER)
    ).rowcount
    db.session.commit()
    if taken != 1:
        return None
    return db.session.get(Mailbox, mailbox_id, populate_existing=True)


def backoff(failures: int) -> timedelta:
    """Interval, then doubling per failure, capped (a dead server is asked less and less)."""
    cfg = current_app.config
    base = cfg["INBOX_FETCH_INTERVAL"]
    return timedelta(seconds=min(cfg["INBOX_BACKOFF_CAP_SECONDS"], base * 2 ** max(failures, 0)))


def _release(mailbox: Mailbox, *, error: str | None) -> None:
    now = utcnow()
    mailbox.last_fetch_at = now
    mailbox.lease_until = None
    mailbox.lease_owner = None
    if error is None:
        mailbox.failures = 0
        mailbox.last_error = None
        mailbox.last_success_at = now
        mailbox.next_attempt_at = now + backoff(0)
    else:
        mailbox.failures += 1
        mailbox.last_error = error[:500]
        mailbox.next_attempt_at = now + backoff(mailbox.failures)
    db.session.commit()


# --- the fetch ---------------------------------------------------------------------------------


def fetch_mailbox(mailbox_id: int) -> int:
    """Store the mailbox's new messages; return how many rows were added (0 if not ours now)."""
    mailbox = claim(mailbox_id)
    if mailbox is None:
        return 0
    added = 0
    try:
        imap = open_mailbox(mailbox)
        try:
            added = _fetch_new(imap, mailbox)
        finally:
            try:
                imap.logout()
            except Exception:  # noqa: BLE001  (the connection may already be gone)
                pass
    except (FetchError, IMAPClientError, OSError, ssl.SSLError) as exc:
        db.session.rollback()
        mailbox = db.session.get(Mailbox, mailbox_id, populate_existing=True)
        message = _text(exc) if not isinstance(exc, FetchError) else str(exc)
        log.warning("mailbox %s: fetch failed: %s", mailbox_id, message)
        _release(mailbox, error=message or type(exc).__name__)
        return added
    except Exception as exc:
        # Not the server's doing (a bug, the database): shown to the admin and retried with the
        # same backoff, the lease given back at once; then raised for the job's log.
        db.session.rollback()
        mailbox = db.session.get(Mailbox, mailbox_id, populate_existing=True)
        _release(mailbox, error=f"{type(exc).__name__}: {_text(exc)}")
        raise
    _release(mailbox, error=None)
    return added


def _fetch_new(imap: IMAPClient, mailbox: Mailbox) -> int:
    status = imap.select_folder(mailbox.folder)
    uidvalidity = int(status[b"UIDVALIDITY"])
    if mailbox.uidvalidity != uidvalidity:
        # The folder was recreated: UIDs mean nothing any more.  Read it all again; the
        # Message-ID key skips what is already here.
        log.info("mailbox %s: UIDVALIDITY %s -> %s", mailbox.id, mailbox.uidvalidity, uidvalidity)
        mailbox.uidvalidity = uidvalidity
        mailbox.last_uid = 0
        db.session.commit()
    elif mailbox.last_uid:
        _finish_last_batch(imap, mailbox, uidvalidity)
    start = mailbox.last_uid + 1
    uids = sorted(u for u in imap.search(["UID", f"{start}:*"]) if u >= start)
    if not uids:
        return 0
    cfg = current_app.config
    limit = cfg["INBOX_MAX_MESSAGE_BYTES"]
    lease = timedelta(seconds=cfg["INBOX_LEASE_SECONDS"])
    own = _own_addresses(mailbox)
    meta: dict[int, dict[bytes, Any]] = {}
    for first in range(0, len(uids), META_BATCH):  # sizes and dates first: a few commands
        meta.update(imap.fetch(uids[first : first + META_BATCH], ["RFC822.SIZE", "INTERNALDATE"]))
    added = 0
    for batch in _batches([u for u in uids if u in meta], meta, limit):
        sizes = {u: int(meta[u].get(b"RFC822.SIZE", 0)) for u in batch}
        small = [u for u in batch if sizes[u] <= limit]
        big = [u for u in batch if sizes[u] > limit]
        bodies = imap.fetch(small, ["BODY.PEEK[]"]) if small else {}
        heads = imap.fetch(big, ["BODY.PEEK[HEADER]"]) if big else {}
        items: list[storing.Fetched] = []
        position, hole = mailbox.last_uid, False
        for uid in batch:
            internal = meta[uid].get(b"INTERNALDATE")
            if uid in bodies:
                raw, too_big = bodies[uid].get(b"BODY[]") or b"", None
            elif uid in heads:
                raw = heads[uid].get(b"BODY[HEADER]") or b""
                too_big = f"too large ({sizes[uid]} bytes; the limit is {limit})"
            else:  # gone since its size was read: not stored, the position stays before it
                hole = True
                continue
            items.append(storing.Fetched(uid, raw, sizes[uid], internal, too_big))
            if not hole:
                position = uid
        added += storing.store_batch(mailbox.id, uidvalidity, items, own)
        mailbox.last_uid = max(mailbox.last_uid, position)
        mailbox.lease_until = utcnow() + lease
        db.session.commit()  # the rows, the position and the lease together
        _after_fetch(imap, mailbox, [i.uid for i in items])
    return added


def _batches(uids: list[int], meta: dict[int, dict[bytes, Any]], limit: int) -> Iterator[list[int]]:
    """UIDs in order, ``BATCH`` at most per batch and about ``BATCH_BYTES`` of mail."""
    batch: list[int] = []
    size = 0
    for uid in uids:
        nbytes = min(int(meta[uid].get(b"RFC822.SIZE", 0)), limit)
        if batch and (len(batch) >= BATCH or size + nbytes > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(uid)
        size += nbytes
    if batch:
        yield batch


def _moves(imap: IMAPClient, mailbox: Mailbox) -> bool:
    return bool(mailbox.after_fetch == MOVE and mailbox.move_to and imap.has_capability("MOVE"))


def _finish_last_batch(imap: IMAPClient, mailbox: Mailbox, uidvalidity: int) -> None:
    """A worker that died between a batch's commit and telling the server left that batch (the
    last one) unflagged or unmoved: do it now, for the messages the portal did store."""
    high = mailbox.last_uid
    low = max(1, high - BATCH + 1)
    criteria: list[str] = ["UID", f"{low}:{high}"]
    if not _moves(imap, mailbox):
        criteria.append("UNSEEN")  # flagged (or copied and flagged) ones are done
    left = [u for u in imap.search(criteria) if low <= u <= high]
    stored = storing.stored_uids(mailbox.id, uidvalidity, left)
    if stored:
        log.info("mailbox %s: finishing uids %s on the server", mailbox.id, sorted(stored))
        _after_fetch(imap, mailbox, sorted(stored))


def _after_fetch(imap: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    """Mark the stored messages seen, or move them, as the admin chose; never delete."""
    if not uids:
        return
    if _moves(imap, mailbox):
        imap.move(uids, mailbox.move_to)
        return
    if mailbox.after_fetch == MOVE and mailbox.move_to:
        imap.copy(uids, mailbox.move_to)  # without MOVE: a copy, the original marked seen
    imap.add_flags(uids, [b"\\Seen"], silent=True)


def _own_addresses(mailbox: Mailbox) -> set[str]:
    own = {current_app.config.get("MAIL_DEFAULT_SENDER", "")}
    if "@" in mailbox.username:
        own.add(mailbox.username)
    return {parseaddr(a)[1].lower() for a in own if a}
