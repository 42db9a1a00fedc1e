"""Take new mail from the shared mailboxes, each message exactly once.

How exactly once holds (see ``portal.models.inbox``):

1. One worker fetches a mailbox at a time: ``claim`` is a conditional UPDATE with a lease.
2. Messages are read with ``BODY.PEEK[]`` (the server's \\Seen flag is untouched), in UID order;
   each batch's rows and the new ``last_uid`` commit together, and only then is the server told
   (\\Seen or MOVE).  A crash before the commit refetches the batch; a crash after it leaves at
   most an unflagged message that the next run skips (its UID is below ``last_uid``).
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
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import compat32
from email.utils import parseaddr
from typing import Any

from flask import current_app
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.inbox import MOVE, InboxAttachment, InboxMessage, Mailbox
from portal.services import filecheck
from portal.services.inbox import crypto, parsing
from portal.services.search.text import fold

log = logging.getLogger(__name__)

WORKER = f"{socket.gethostname()}:{os.getpid()}"
BATCH = 50
ATTACHMENT_KINDS = {".pdf": "pdf", ".docx": "docx"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class FetchError(Exception):
    """The mailbox could not be read; the message is what the admin sees."""


# --- connection ----------------------------------------------------------------------------------


def connect(
    *, host: str, port: int, security: str, username: str, password: str, timeout: float
) -> IMAPClient:
    """A logged-in client; raise FetchError with the server's (or the network's) answer."""
    context = ssl.create_default_context()
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
    start = mailbox.last_uid + 1
    uids = sorted(u for u in imap.search(["UID", f"{start}:*"]) if u >= start)
    added = 0
    own = _own_addresses(mailbox)
    limit = current_app.config["INBOX_MAX_MESSAGE_BYTES"]
    for first in range(0, len(uids), BATCH):
        batch = uids[first : first + BATCH]
        meta = imap.fetch(batch, ["RFC822.SIZE", "INTERNALDATE"])
        small = [u for u in batch if u in meta and meta[u].get(b"RFC822.SIZE", 0) <= limit]
        big = [u for u in batch if u in meta and u not in small]
        bodies = imap.fetch(small, ["BODY.PEEK[]"]) if small else {}
        heads = imap.fetch(big, ["BODY.PEEK[HEADER]"]) if big else {}
        stored: list[int] = []
        for uid in batch:
            if uid not in meta:
                continue  # expunged meanwhile
            size = int(meta[uid].get(b"RFC822.SIZE", 0))
            internal = meta[uid].get(b"INTERNALDATE")
            if uid in bodies:
                raw = bodies[uid].get(b"BODY[]") or b""
                too_big = None
            else:
                raw = (heads.get(uid) or {}).get(b"BODY[HEADER]") or b""
                too_big = f"too large ({size} bytes; the limit is {limit})"
            if store_message(mailbox, uidvalidity, uid, raw, size, internal, own, too_big):
                added += 1
            stored.append(uid)
            mailbox.last_uid = max(mailbox.last_uid, uid)
        db.session.commit()  # the rows and the position together
        _after_fetch(imap, mailbox, stored)
        _renew_lease(mailbox)
    return added


def _renew_lease(mailbox: Mailbox) -> None:
    lease = timedelta(seconds=current_app.config["INBOX_LEASE_SECONDS"])
    mailbox.lease_until = utcnow() + lease
    db.session.commit()


def _after_fetch(imap: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    """Mark the stored messages seen, or move them, as the admin chose; never delete."""
    if not uids:
        return
    if mailbox.after_fetch == MOVE and mailbox.move_to:
        if imap.has_capability("MOVE"):
            imap.move(uids, mailbox.move_to)
            return
        imap.copy(uids, mailbox.move_to)  # without MOVE: a copy, the original marked seen
    imap.add_flags(uids, [b"\\Seen"], silent=True)


def _own_addresses(mailbox: Mailbox) -> set[str]:
    own = {current_app.config.get("MAIL_DEFAULT_SENDER", "")}
    if "@" in mailbox.username:
        own.add(mailbox.username)
    return {parseaddr(a)[1].lower() for a in own if a}


def _insert(values: dict[str, Any]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: None when either unique key exists."""
    table = InboxMessage.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return db.session.execute(stmt).scalar()


def store_message(
    mailbox: Mailbox,
    uidvalidity: int,
    uid: int,
    raw: bytes,
    size: int,
    internal: datetime | None,
    own: set[str],
    unreadable: str | None = None,
) -> bool:
    """Store one message (its attachments checked first); False if it was already stored."""
    now = utcnow()
    received = (
        internal.astimezone(UTC) if isinstance(internal, datetime) and internal.tzinfo else now
    )
    values: dict[str, Any] = {
        "mailbox_id": mailbox.id,
        "uidvalidity": uidvalidity,
        "uid": uid,
        "fetched_at": now,
        "received_at": received,
        "size": size,
        "status": "new",
    }
    parsed = None
    if unreadable is None:
        try:
            parsed = parsing.parse(raw, own_addresses=own)
        except parsing.Unreadable as exc:
            unreadable = str(exc)
    if parsed is None:
        values.update(_unreadable_values(raw, unreadable or "unreadable"))
    else:
        values.update(
            message_key=parsed.message_key[:255],
            message_id=(parsed.message_id or "")[:255] or None,
            in_reply_to=(parsed.in_reply_to or "")[:255] or None,
            references=" ".join(parsed.references)[:20000] or None,
            thread_key=parsed.thread_key[:255],
            from_address=parsed.from_address,
            from_name=parsed.from_name,
            reply_to=parsed.reply_to,
            to_addresses=parsed.to_addresses,
            subject=parsed.subject,
            body_text=parsed.text,
            shown_text=parsed.shown_text,
            preview=parsed.preview,
            automatic=parsed.automatic,
            raw_headers=parsed.raw_headers,
            search_text=fold(
                " ".join((parsed.from_name, parsed.from_address, parsed.subject, parsed.text))
            )[:5000],
        )
        if parsed.date is not None and internal is None:
            values["received_at"] = parsed.date
    message_id = _insert(values)
    if message_id is None:
        log.info("mailbox %s: uid %s already stored, skipped", mailbox.id, uid)
        return False
    for part in parsed.attachments if parsed is not None else ():
        db.session.add(_checked_attachment(message_id, part))
    db.session.flush()
    return True


def _unreadable_values(raw: bytes, reason: str) -> dict[str, Any]:
    headers = parsing.header_block(raw)
    try:
        msg = message_from_bytes(raw[:200_000], policy=compat32)
        subject = " ".join(str(msg.get("Subject", "")).split())[:300]
        name, address = parseaddr(str(msg.get("From", "")))
        msgid = (parsing.MSGID_RE.findall(str(msg.get("Message-ID", ""))) or [None])[0]
    except Exception:  # noqa: BLE001  (hostile headers: keep what we have)
        subject, name, address, msgid = "", "", "", None
    key = parsing.message_key(raw, msgid)
    return {
        "message_key": key[:255],
        "message_id": msgid,
        "thread_key": key[:255],
        "from_address": address[:254].lower(),
        "from_name": name[:200],
        "subject": subject,
        "unreadable": reason[:300],
        "raw_headers": headers,
        "search_text": fold(f"{name} {address} {subject}")[:5000],
    }


def _checked_attachment(message_id: int, part: parsing.Part) -> InboxAttachment:
    """Keep a PDF or DOCX only once filecheck passed it; other types are listed, not kept."""
    name = part.filename
    row = InboxAttachment(
        message_id=message_id,
        filename=name,
        content_type=part.content_type[:120],
        size=len(part.data),
    )
    kind = ATTACHMENT_KINDS.get(os.path.splitext(name.lower())[1])
    if kind is None:
        row.refused = "type"
        return row
    row.kind = kind
    if len(part.data) > MAX_ATTACHMENT_BYTES:
        row.refused = "size"
        return row
    try:
        filecheck.inspect(kind, part.data)
    except filecheck.Unsafe as exc:
        row.refused = exc.code
        return row
    row.data = part.data
    return row
