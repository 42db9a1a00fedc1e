"""Read one raw e-mail into what the inbox stores: headers, plain text, attachments, and whether
it was written by a machine (auto-reply, bounce, list, loop) — never answered automatically.

Nothing here touches the database or the network; a message that cannot be parsed raises
``Unreadable`` and the fetch stores its headers with the reason.

The message is read with the ``compat32`` policy, whose parser keeps header values as the raw
strings they are, and each value the inbox shows is decoded here, once: RFC 2047 encoded words,
raw UTF-8 (what many mail programs send without encoding), NUL bytes dropped (PostgreSQL text
cannot hold them).  The ``default`` policy would parse every Content-Type and address header into
objects each time it is read — several times per part while parsing — which made it the largest
single cost of taking in a message, for no information the inbox uses.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.policy import compat32
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
    ends = [i for i in (raw.find(b"\r\n\r\n", 0, 200_000), raw.find(b"\n\n", 0, 200_000)) if i >= 0]
    head = raw[: min(ends, default=20000)][:20000]
    return head.decode("utf-8", errors="replace").replace("\x00", "")


def classify(
    headers: Mapping[str, str], content_type: str, sender: str, own_addresses: set[str]
) -> str | None:
    """AUTO_REPLY / BOUNCE / LIST / LOOP for mail a machine wrote, else None (RFC 3834).

    ``headers``: lower-case name -> raw value (the first of each name); ``sender``: the From
    address, lower case."""
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    precedence = headers.get("precedence", "").strip().lower()
    return_path = headers.get("return-path", "").strip()
    if (
        return_path == "<>"
        or content_type == "multipart/report"
        or sender.startswith(("mailer-daemon@", "postmaster@"))
    ):
        return "bounce"
    if sender and sender in own_addresses:
        return "loop"
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if any(h in headers for h in ("x-autoreply", "x-autorespond", "x-auto-response-suppress")):
        return "auto_reply"
    if precedence in ("bulk", "junk", "auto_reply"):
        return "auto_reply"
    if precedence == "list" or "list-id" in headers or "list-unsubscribe" in headers:
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
    value = value.replace("\x00", "").replace("\r\n", "\n")
    lines = [_WS_RE.sub(" ", line).strip() for line in value.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()[:MAX_TEXT]


def _one_line(value: str, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _unescape(value: str) -> str:
    """Text read from bytes as ASCII with surrogate escapes -> the UTF-8 it most likely was."""
    try:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "")


def _spacy(char: str) -> bool:
    return bool(char) and (char.isspace() or char in "()\\")


def decode_value(value: str | None) -> str:
    """A header value as a person reads it: encoded words decoded, raw UTF-8 kept, never an
    error (an unknown charset or a broken encoded word leaves the text as it came)."""
    text = _unescape(str(value or ""))
    if "=?" not in text:
        return text
    try:
        chunks = decode_header(text)
    except (HeaderParseError, ValueError, IndexError):
        return text
    # Spaces between encoded and plain chunks as email.header.make_header puts them back
    # (decode_header drops the folding space after an encoded word).
    out: list[str] = []
    last_charset, last_space = False, False
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            piece = chunk
        elif charset is None:  # the text around encoded words (decode_header's own encoding)
            piece = chunk.decode("raw-unicode-escape", "replace")
        else:
            try:
                piece = chunk.decode(charset, "replace")
            except LookupError:
                piece = chunk.decode("utf-8", "replace")
        encoded = charset not in (None, "us-ascii")
        into_plain = last_charset and not encoded and not _spacy(piece[:1])
        into_encoded = not last_charset and encoded and not last_space
        if out and (into_plain or into_encoded):
            out.append(" ")
        last_charset, last_space = encoded, _spacy(piece[-1:])
        out.append(piece)
    return "".join(out).replace("\x00", "")


def _part_text(part: Message) -> str:
    """A text part's content in its declared charset (ASCII read as UTF-8, its superset)."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"
    try:
        return data.decode(charset).replace("\x00", "")
    except LookupError:
        return data.decode("utf-8", "replace").replace("\x00", "")
    except UnicodeDecodeError:
        return data.decode(charset, "replace").replace("\x00", "")


def parse(raw: bytes, *, own_addresses: set[str] = frozenset()) -> Parsed:  # type: ignore[assignment]
    """Parse ``raw``; raise Unreadable when it is not an e-mail we can read."""
    try:
        msg = message_from_bytes(raw, policy=compat32)
        headers: dict[str, str] = {}
        for name, value in msg.raw_items():
            headers.setdefault(name.lower(), str(value))
        if not headers:
            raise Unreadable("no header fields: not an e-mail")
        message_id = (_ids(headers.get("message-id")) or [None])[0]
        references = _ids(headers.get("references"))
        in_reply_to = (_ids(headers.get("in-reply-to")) or [None])[0]
        raw_name, from_address = parseaddr(headers.get("from", ""))
        from_address = _unescape(from_address)
        reply_to = _unescape(parseaddr(headers.get("reply-to", ""))[1]) or None
        to = ", ".join(
            _unescape(a) for _, a in getaddresses([str(v) for v in msg.get_all("To", [])]) if a
        )
        subject = _one_line(decode_value(headers.get("subject")), 300)
        date = None
        if headers.get("date"):
            try:
                date = parsedate_to_datetime(headers["date"])
                date = date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
            except (TypeError, ValueError, IndexError, OverflowError):
                date = None
        text_body, html_body, attachments = "", "", []
        for part in msg.walk():
            if part.is_multipart():
                continue
            ctype = part.get_content_type()
            disposition = part.get_content_disposition()
            filename = part.get_filename()
            if disposition == "attachment" or (filename and disposition != "inline"):
                data = part.get_payload(decode=True)
                name = _one_line(decode_value(filename) or "attachment", 200)
                attachments.append(Part(name, ctype, data if isinstance(data, bytes) else b""))
            elif ctype == "text/plain" and not text_body:
                text_body = _part_text(part)
            elif ctype == "text/html" and not html_body:
                html_body = _part_text(part)
        text = _clean_text(text_body or _html_to_text(html_body))
        sender = from_address[:254].lower()
        automatic = classify(
            headers, msg.get_content_type(), sender, {a.lower() for a in own_addresses}
        )
    except Unreadable:
        raise
    except Exception as exc:  # the email package raises many kinds on hostile input
        raise Unreadable(f"{type(exc).__name__}: {exc}"[:300]) from exc
    shown = strip_quoted(text)
    return Parsed(
        message_key=message_key(raw, message_id),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        thread_key=(references[0] if references else in_reply_to) or message_key(raw, message_id),
        from_address=sender,
        from_name=_one_line(decode_value(raw_name), 200),
        reply_to=reply_to[:254] if reply_to else None,
        to_addresses=to[:2000],
        subject=subject,
        date=date,
        text=text,
        shown_text=shown,
        preview=_one_line(shown, PREVIEW_CHARS),
        automatic=automatic,
        raw_headers=header_block(raw),
        attachments=attachments,
    )
