"""Store a batch of fetched e-mails: one row each, exactly once, attachments checked like uploads.

A batch is stored in a few statements, whatever its size: one multi-row ``INSERT ... ON CONFLICT
DO NOTHING RETURNING`` for the messages (the two unique keys — mailbox + UIDVALIDITY + UID, and
mailbox + Message-ID — decide what is new; the database, not this code) and one for the
attachments of the rows that went in.  The caller commits the batch with the mailbox's position.

PDF and Word attachments go through ``filecheck`` (the byte screen, then the parsers' verdict in
the sandboxed child) before their bytes are kept — only where needed: for the rows the INSERT
actually added (a message fetched again is not checked again) and only for a file that would be
kept (PDF or DOCX, within the size limit; other types are listed, never stored).

One message that cannot be read — malformed, over the size limit, or failing in a way nobody
foresaw — becomes a row marked unreadable with its headers; it never stops the batch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32
from email.utils import parseaddr
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.inbox import NEW, InboxAttachment, InboxMessage
from portal.services import filecheck
from portal.services.inbox import parsing
from portal.services.search.text import fold

log = logging.getLogger(__name__)

ATTACHMENT_KINDS = {".pdf": "pdf", ".docx": "docx"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
SEARCH_TEXT_CHARS = 5000

# Every row of a batch carries the same keys (one multi-row INSERT).
_MESSAGE_KEYS = (
    "message_key", "message_id", "in_reply_to", "references", "thread_key", "from_address",
    "from_name", "reply_to", "to_addresses", "subject", "body_text", "shown_text", "preview",
    "automatic", "unreadable", "raw_headers", "search_text",
)  # fmt: skip


@dataclass
class Fetched:
    """One message as the server gave it: the bytes (or only the headers, when too large)."""

    uid: int
    raw: bytes
    size: int
    internal: datetime | None
    too_big: str | None = None  # the reason, when only the headers were fetched


@dataclass
class _Row:
    uid: int
    values: dict[str, Any]
    parts: list[parsing.Part] = field(default_factory=list)


# --- attachment checks ---------------------------------------------------------------------------


def _attachment_row(message_id: int, part: parsing.Part) -> dict[str, Any]:
    """Keep a PDF or DOCX only once filecheck passed it; other types are listed, not kept."""
    kind = ATTACHMENT_KINDS.get(os.path.splitext(part.filename.lower())[1])
    row: dict[str, Any] = {
        "message_id": message_id,
        "filename": part.filename,
        "content_type": part.content_type[:120],
        "size": len(part.data),
        "kind": kind,
        "data": None,
        "refused": None,
    }
    if kind is None:
        row["refused"] = "type"
    elif len(part.data) > MAX_ATTACHMENT_BYTES:
        row["refused"] = "size"
    else:
        try:
            filecheck.inspect(kind, part.data)
        except filecheck.Unsafe as exc:
            row["refused"] = exc.code
        else:
            row["data"] = part.data
    return row


# --- rows ---------------------------------------------------------------------------------------


def _base(mailbox_id: int, uidvalidity: int, item: Fetched, now: datetime) -> dict[str, Any]:
    internal = item.internal
    received = (
        internal.astimezone(UTC) if isinstance(internal, datetime) and internal.tzinfo else now
    )
    return {
        "mailbox_id": mailbox_id,
        "uidvalidity": uidvalidity,
        "uid": item.uid,
        "fetched_at": now,
        "received_at": received,
        "size": item.size,
        "status": NEW,
        **dict.fromkeys(_MESSAGE_KEYS),
    }


def _parsed_values(parsed: parsing.Parsed) -> dict[str, Any]:
    return {
        "message_key": parsed.message_key[:255],
        "message_id": (parsed.message_id or "")[:255] or None,
        "in_reply_to": (parsed.in_reply_to or "")[:255] or None,
        "references": " ".join(parsed.references)[:20000] or None,
        "thread_key": parsed.thread_key[:255],
        "from_address": parsed.from_address,
        "from_name": parsed.from_name,
        "reply_to": parsed.reply_to,
        "to_addresses": parsed.to_addresses,
        "subject": parsed.subject,
        "body_text": parsed.text,
        "shown_text": parsed.shown_text,
        "preview": parsed.preview,
        "automatic": parsed.automatic,
        "raw_headers": parsed.raw_headers,
        "search_text": fold(
            " ".join((parsed.from_name, parsed.from_address, parsed.subject, parsed.text))
        )[:SEARCH_TEXT_CHARS],
    }


def unreadable_values(raw: bytes, reason: str) -> dict[str, Any]:
    """What is kept of a message that could not be read: its headers, sender, subject, reason."""
    headers = parsing.header_block(raw)
    try:
        msg = message_from_bytes(raw[:200_000], policy=compat32)
        subject = " ".join(parsing.decode_value(msg.get("Subject", "")).split())[:300]
        name, address = parseaddr(str(msg.get("From", "")))
        name, address = parsing.decode_value(name), parsing.decode_value(address)
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
        "search_text": fold(f"{name} {address} {subject}")[:SEARCH_TEXT_CHARS],
        "to_addresses": "",
        "body_text": "",
        "shown_text": "",
        "preview": "",
    }


def _row(mailbox_id: int, uidvalidity: int, item: Fetched, own: set[str], now: datetime) -> _Row:
    values = _base(mailbox_id, uidvalidity, item, now)
    reason = item.too_big
    parsed = None
    if reason is None:
        try:
            parsed = parsing.parse(item.raw, own_addresses=own)
        except parsing.Unreadable as exc:
            reason = str(exc) or "unreadable"
    if parsed is None:
        values.update(unreadable_values(item.raw, reason or "unreadable"))
        return _Row(item.uid, values)
    values.update(_parsed_values(parsed))
    if parsed.date is not None and item.internal is None:
        values["received_at"] = parsed.date
    return _Row(item.uid, values, parsed.attachments)


# --- the batch ------------------------------------------------------------------------------------


def _insert_messages(rows: list[dict[str, Any]]) -> dict[int, int]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: uid -> new id, for the rows that went in.

    One statement compiled once (SQLAlchemy's "insertmanyvalues" sends the batch as multi-row
    INSERTs); a conflict on either unique key skips that row and returns nothing for it."""
    table = InboxMessage.__table__
    dialect = db.session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.uid)
    return {uid: message_id for message_id, uid in db.session.execute(stmt, rows)}


def stored_uids(mailbox_id: int, uidvalidity: int, uids: list[int]) -> set[int]:
    """Which of ``uids`` (under ``uidvalidity``) the mailbox already has."""
    if not uids:
        return set()
    table = InboxMessage.__table__
    return set(
        db.session.scalars(
            select(table.c.uid).where(
                table.c.mailbox_id == mailbox_id,
                table.c.uidvalidity == uidvalidity,
                table.c.uid.in_(uids),
            )
        )
    )


def store_batch(mailbox_id: int, uidvalidity: int, items: Iterable[Fetched], own: set[str]) -> int:
    """Store the batch (flush, no commit); return how many messages were new."""
    now = utcnow()
    rows: list[_Row] = []
    for item in items:
        try:
            row = _row(mailbox_id, uidvalidity, item, own, now)
        except Exception as exc:  # noqa: BLE001  (one message never stops the others)
            log.exception("mailbox %s: uid %s could not be read", mailbox_id, item.uid)
            row = _Row(item.uid, _base(mailbox_id, uidvalidity, item, now))
            row.values.update(unreadable_values(item.raw, f"{type(exc).__name__}: {exc}"))
        rows.append(row)
    if not rows:
        return 0
    new = _insert_messages([r.values for r in rows])
    if len(new) < len(rows):
        skipped = sorted(r.uid for r in rows if r.uid not in new)
        log.info("mailbox %s: uids %s already stored, skipped", mailbox_id, skipped)
    attachments = [
        _attachment_row(new[row.uid], part) for row in rows if row.uid in new for part in row.parts
    ]
    if attachments:
        db.session.execute(insert(InboxAttachment.__table__), attachments)
    return len(new)


def store_message(
    mailbox_id: int,
    uidvalidity: int,
    uid: int,
    raw: bytes,
    size: int,
    internal: datetime | None,
    own: set[str],
    unreadable: str | None = None,
) -> bool:
    """Store one message (its attachments checked); False if it was already stored."""
    item = Fetched(uid=uid, raw=raw, size=size, internal=internal, too_big=unreadable)
    return store_batch(mailbox_id, uidvalidity, [item], own) == 1
