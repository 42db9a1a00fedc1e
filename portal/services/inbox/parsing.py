"""Read one raw e-mail into what the inbox stores: headers, plain text, attachments, and whether
it was written by a machine (auto-reply, bounce, list, loop) — never answered automatically.

Nothing here touches the database or the network; a message that cannot be parsed raises
``Unreadable`` and the fetch stores its headers with the reason.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

MSGID_RE = re.compile(r"<[^<>\s]{1,250}>")
_TAG_RE = re.compile(r"<[^>]*>")
_WS_RE = re.compile(r"[ \t\r\f\v]+")
# "On Mon, 1 Dec 2026, Ana <ana@x> wrote:" / "Em seg., 1 de dez. de 2026 ... escreveu:"
_ATTRIBUTION_RE = re.compile(
    r"^(on\s.+wrote:|em\s.+escreveu:|-----\s*original message\s*-----|"
    r"-----\s*mensagem original\s*-----|de:\s.+|from:\s.+)$",
    re.IGNORECASE,
)
PREVIEW_CHARS = 200
MAX_TEXT = 200_000


class Unreadable(Exception):
    """The message could not be parsed; ``str(exc)`` is the reason kept on the row."""


@dataclass
class Part:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    message_key: str
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    thread_key: str
    from_address: str
    from_name: str
    reply_to: str | None
    to_addresses: str
    subject: str
    date: datetime | None
    text: str
    shown_text: str
    preview: str
    automatic: str | None
    raw_headers: str
    attachments: list[Part] = field(default_factory=list)


def message_key(raw: bytes, message_id: str | None) -> str:
    """The Message-ID, or a hash of the bytes for mail that has none (stable across fetches)."""
    return message_id or "sha256:" + hashlib.sha256(raw).hexdigest()


def _ids(value: str | None) -> list[str]:
    return MSGID_RE.findall(str(value or ""))


def header_block(raw: bytes) -> str:
    """The raw header block, decoded leniently (kept for unreadable messages)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return head[:20000].decode("utf-8", errors="replace")


def classify(msg: EmailMessage, own_addresses: set[str]) -> str | None:
    """AUTO_REPLY / BOUNCE / LIST / LOOP for mail a machine wrote, else None (RFC 3834)."""
    auto_submitted = str(msg.get("Auto-Submitted", "")).strip().lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    return_path = str(msg.get("Return-Path", "")).strip()
    content_type = msg.get_content_type()
    sender = parseaddr(str(msg.get("From", "")))[1].lower()
    if (
        return_path == "<>"
        or content_type == "multipart/report"
        or sender.startswith(("mailer-daemon@", "postmaster@"))
    ):
        return "bounce"
    if sender and sender in own_addresses:
        return "loop"
    if msg.get("X-Portal-Outbox-Id") is not None and sender in own_addresses:
        return "loop"
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Response-Suppress"):
        return "auto_reply"
    if precedence in ("bulk", "junk", "auto_reply"):
        return "auto_reply"
    if precedence == "list" or msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return "list"
    return None


def strip_quoted(text: str) -> str:
    """The new part of a reply: drop quoted lines ("> ...") and everything after an attribution
    line ("On ... wrote:", "Em ... escreveu:", "-----Original Message-----")."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if _ATTRIBUTION_RE.match(stripped) and kept:
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    # A signature separator ends the message too.
    if "-- " in kept:
        kept = kept[: kept.index("-- ")]
    result = "\n".join(kept).strip()
    return result or text.strip()


def _html_to_text(value: str) -> str:
    value = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", value)
    value = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", value)
    return html.unescape(_TAG_RE.sub(" ", value))


def _clean_text(value: str) -> str:
    lines = [_WS_RE.sub(" ", line).strip() for line in value.replace("\r\n", "\n").split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()[:MAX_TEXT]


def _one_line(value: str, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def parse(raw: bytes, *, own_addresses: set[str] = frozenset()) -> Parsed:  # type: ignore[assignment]
    """Parse ``raw``; raise Unreadable when it is not an e-mail we can read."""
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        message_id = (_ids(msg.get("Message-ID")) or [None])[0]
        references = _ids(msg.get("References"))
        in_reply_to = (_ids(msg.get("In-Reply-To")) or [None])[0]
        from_name, from_address = parseaddr(str(msg.get("From", "")))
        reply_to = parseaddr(str(msg.get("Reply-To", "")))[1] or None
        to = ", ".join(a for _, a in getaddresses([str(v) for v in msg.get_all("To", [])]) if a)
        subject = _one_line(str(msg.get("Subject", "")), 300)
        date = None
        if msg.get("Date"):
            try:
                date = parsedate_to_datetime(str(msg["Date"]))
                date = date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
            except (TypeError, ValueError, IndexError):
                date = None
        text_body, html_body, attachments = "", "", []
        for part in msg.walk():
            if part.is_multipart():
                continue
            disposition = part.get_content_disposition()
            filename = part.get_filename()
            ctype = part.get_content_type()
            if disposition == "attachment" or (filename and disposition != "inline"):
                data = part.get_payload(decode=True) or b""
                attachments.append(Part(_one_line(filename or "attachment", 200), ctype, data))
            elif ctype == "text/plain" and not text_body:
                text_body = part.get_content()
            elif ctype == "text/html" and not html_body:
                html_body = part.get_content()
        text = _clean_text(text_body or _html_to_text(html_body))
    except Exception as exc:  # the email package raises many kinds on hostile input
        raise Unreadable(f"{type(exc).__name__}: {exc}"[:300]) from exc
    shown = strip_quoted(text)
    return Parsed(
        message_key=message_key(raw, message_id),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        thread_key=(references[0] if references else in_reply_to) or message_key(raw, message_id),
        from_address=from_address[:254].lower(),
        from_name=_one_line(from_name, 200),
        reply_to=reply_to[:254] if reply_to else None,
        to_addresses=to[:2000],
        subject=subject,
        date=date,
        text=text,
        shown_text=shown,
        preview=_one_line(shown, PREVIEW_CHARS),
        automatic=classify(msg, {a.lower() for a in own_addresses}),
        raw_headers=header_block(raw),
        attachments=attachments,
    )
