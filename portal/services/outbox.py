"""Write outgoing messages to the outbox inside the caller's transaction."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select, update

from portal.enqueue import enqueue_after_commit, get_queue, get_redis
from portal.errors import InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.devmail import DevMailboxMessage
from portal.models.outbox import CANCELLED, PENDING, STATUSES, OutboundAttachment, OutboundMessage
from portal.services import audit
from portal.services.health import HEARTBEAT_KEY

log = logging.getLogger(__name__)

# Enqueued by name: services never import ``worker``.
SEND_MESSAGE_JOB = "worker.jobs.mail.send_message"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def _domain() -> str:
    return urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "localhost"


def render_email(template: str, context: dict[str, Any], locale: str) -> tuple[str, str, str]:
    """Render ``emails/<template>.txt`` and ``.html`` in ``locale``; return subject, text, html.

    The text template sets the subject with ``{% set subject = ... %}``.
    """
    env = current_app.jinja_env
    ctx = {
        "base_url": current_app.config["PORTAL_BASE_URL"],
        "portal_name": current_app.config["PORTAL_NAME"],
        **context,
    }
    # Rendered straight from the environment, not through render_template: the request's
    # context processors (current user, navigation) have no place in an e-mail, and e-mails are
    # also rendered outside any request (worker jobs, the CLI).
    with force_locale(locale):
        module = env.get_template(f"emails/{template}.txt").make_module(ctx)
        subject = " ".join(str(getattr(module, "subject", "")).split())
        text = str(module).strip() + "\n"
        html = env.get_template(f"emails/{template}.html").render(ctx)
    return subject, text, html


def queue_email(
    to: str | Sequence[str],
    template: str,
    context: dict[str, Any],
    *,
    dedupe_key: str,
    attachments: Iterable[Attachment] = (),
    locale: str | None = None,
    kind: str = "email",
    target: Any = None,
    headers: dict[str, str] | None = None,
) -> OutboundMessage:
    """Render a message and write it to the outbox; a second call with the same key is a no-op.

    ``headers`` are extra MIME headers (a reply's In-Reply-To and References).

    The worker is nudged only after the caller's transaction commits.
    """
    existing = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key)
    )
    if existing is not None:
        return existing
    recipients = [to] if isinstance(to, str) else list(to)
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    subject, text, html = render_email(template, context, locale)
    message = OutboundMessage(
        dedupe_key=dedupe_key,
        kind=kind,
        template=template,
        locale=locale,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        recipients=recipients,
        subject=subject,
        text_body=text,
        html_body=html,
        message_id=make_msgid(domain=_domain()),
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        headers=dict(headers) if headers else None,
        attachments=[
            OutboundAttachment(filename=a.filename, content_type=a.content_type, data=a.data)
            for a in attachments
        ],
    )
    db.session.add(message)
    db.session.flush()
    nudge_after_commit(message)
    log.info("queued %s message %s (%s)", kind, message.id, template)
    return message


def nudge_after_commit(message: OutboundMessage) -> None:
    """Ask the worker to process ``message`` once the current transaction commits."""
    enqueue_after_commit(
        SEND_MESSAGE_JOB,
        message.id,
        queue="mail",
        job_timeout=current_app.config["OUTBOX_JOB_TIMEOUT"],
    )


# --- administration: list, retry, cancel, test e-mail, job counts ------------------------------

RETRYABLE = frozenset({"failed", "dead", "uncertain"})
FINAL = frozenset({"sent", "failed", "dead", "cancelled", "uncertain"})


def list_messages(status: str = ""):
    """Return a select of outbox rows, newest first, optionally of one status."""
    stmt = select(OutboundMessage).order_by(
        OutboundMessage.created_at.desc(), OutboundMessage.id.desc()
    )
    if status in STATUSES:
        stmt = stmt.where(OutboundMessage.status == status)
    return stmt


def export_rows(status: str, kinds: dict[str, Any]) -> Iterator[list[Any]]:
    """The outbox list (one status or all) for an export, header first: labels not codes
    (``kinds``: the registry's names of message kinds), times as datetimes; bodies left out."""
    labels = {
        "pending": _("Pending"),
        "sending": _("Sending"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "dead": _("Dead"),
        "cancelled": _("Cancelled"),
        "uncertain": _("Uncertain"),
    }
    yield [
        "#",
        _("Created"),
        _("Kind"),
        _("To"),
        _("Subject"),
        _("Status"),
        _("Attempts"),
        _("Sent"),
        _("Last error"),
    ]
    m = OutboundMessage
    stmt = list_messages(status).with_only_columns(
        m.id,
        m.created_at,
        m.kind,
        m.recipients,
        m.subject,
        m.status,
        m.attempts,
        m.sent_at,
        m.last_error,
    )
    for row in db.session.execute(stmt.execution_options(yield_per=1000)):
        yield [
            row.id,
            row.created_at,
            str(kinds.get(row.kind) or row.kind),
            ", ".join(row.recipients or []),
            row.subject,
            labels.get(row.status, row.status),
            row.attempts,
            row.sent_at,
            (row.last_error or "")[:500],
        ]


def status_counts() -> dict[str, int]:
    """Number of rows per status (one grouped query)."""
    rows = db.session.execute(
        select(OutboundMessage.status, func.count(OutboundMessage.id)).group_by(
            OutboundMessage.status
        )
    )
    return {status: count for status, count in rows}


def get_message(message_id: int) -> OutboundMessage:
    message = db.session.get(OutboundMessage, message_id)
    if message is None:
        raise NotFound(_nf())
    return message


def retry(message: OutboundMessage, actor: Any = None) -> OutboundMessage:
    """Put a failed, dead or uncertain message back in the queue; the worker is nudged on commit."""
    if message.status not in RETRYABLE:
        raise InvalidTransition(_("Only failed, dead or uncertain messages can be retried."))
    before = message.status
    message.status = PENDING
    message.next_attempt_at = utcnow()
    message.lease_until = None
    message.lease_owner = None
    db.session.flush()
    audit.record(actor, "outbox.retry", message, {"status": [before, PENDING]})
    nudge_after_commit(message)
    return message


def cancel(message: OutboundMessage, actor: Any = None) -> OutboundMessage:
    """Cancel a message that has not been sent yet (pending only)."""
    # Conditional: a worker may claim the row between the page load and this click.
    result = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message.id, OutboundMessage.status == PENDING)
        .values(status=CANCELLED, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(_("Only pending messages can be cancelled."))
    db.session.refresh(message)
    audit.record(actor, "outbox.cancel", message, {"status": [PENDING, CANCELLED]})
    return message


def queue_test_email(to: str, actor: Any = None, *, locale: str | None = None) -> OutboundMessage:
    """Queue a test message to ``to`` through the outbox, like any other message."""
    address = (to or "").strip()
    if not _looks_like_address(address):
        raise ValidationError(_("Enter a valid e-mail address."), field="to")
    return queue_email(
        address,
        "outbox_test",
        {
            "requested_by": getattr(actor, "name", None),
            "requested_at": utcnow().strftime("%Y-%m-%d %H:%M:%S UTC"),
            "backend": current_app.config["MAIL_SERVER"] or "dev mailbox",
        },
        dedupe_key=f"outbox-test:{uuid.uuid4().hex}",
        locale=locale or getattr(actor, "locale", None),
        kind="email",
    )


def _looks_like_address(value: str) -> bool:
    return (
        len(value) <= 254
        and re.fullmatch(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+", value) is not None
    )


def job_overview() -> dict[str, Any]:
    """Queued, running, scheduled and failed jobs per queue, and workers alive (Redis)."""
    try:
        redis = get_redis()
        queues = []
        for name in current_app.config["RQ_QUEUES"]:
            queue = get_queue(name, redis)
            queues.append(
                {
                    "name": name,
                    "queued": queue.count,
                    "started": StartedJobRegistry(queue=queue).count,
                    "scheduled": ScheduledJobRegistry(queue=queue).count,
                    "failed": FailedJobRegistry(queue=queue).count,
                }
            )
        now = time.time()
        beats = {
            (k.decode() if isinstance(k, bytes) else k): now - float(v)
            for k, v in redis.hgetall(HEARTBEAT_KEY).items()
        }
    except Exception as exc:  # Redis down: the page still works, the outbox keeps the truth
        log.warning("job overview: Redis unreachable (%s)", type(exc).__name__)
        return {"redis_ok": False, "queues": [], "workers": [], "workers_alive": 0}
    workers = sorted(
        ({"name": name, "age": round(age, 1), "alive": age < 60} for name, age in beats.items()),
        key=lambda w: w["name"],
    )
    return {
        "redis_ok": True,
        "queues": queues,
        "workers": workers,
        "workers_alive": sum(1 for w in workers if w["alive"]),
    }


# --- secret links: sent in full, shown redacted -------------------------------------------------

# Links that let whoever holds them act without signing in: a candidate's self-booking link
# (/recruiting/book/<token>; the database keeps only the token's hash).  The recipient gets
# them in full; an admin reading the outbox or the dev mailbox sees them redacted.
_SECRET_LINK = re.compile(r"(/book/)[^\s\"'<>/?#&]+")
REDACTED = "\u2022\u2022\u2022\u2022\u2022"


def redact_links(text: str | None) -> tuple[str, int]:
    """Return ``text`` with every secret link's token replaced, and how many were hidden."""
    if not text:
        return text or "", 0
    return _SECRET_LINK.subn(rf"\g<1>{REDACTED}", text)


def shown_text(message: OutboundMessage) -> tuple[str, int]:
    """The text body as an admin may see it (secret links redacted), and how many were hidden."""
    return redact_links(message.text_body)


# --- the dev mailbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxAttachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MailboxView:
    """A stored dev-mailbox message taken apart for display (never rendered as trusted HTML)."""

    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    attachments: list[MailboxAttachment]
    hidden_links: int = 0  # secret links redacted from headers, text and HTML


def list_mailbox():
    """Return a select of dev-mailbox messages, newest first."""
    return select(DevMailboxMessage).order_by(
        DevMailboxMessage.received_at.desc(), DevMailboxMessage.id.desc()
    )


def get_mailbox_message(message_id: int):
    message = db.session.get(DevMailboxMessage, message_id)
    if message is None:
        raise NotFound(_nf())
    return message


def _parse(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def _part_text(part) -> str | None:
    if part is None:
        return None
    try:
        return part.get_content()
    except Exception:  # a broken charset: show what we can
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def read_mailbox_message(message) -> MailboxView:
    """Split a dev-mailbox message into headers, text, HTML and attachments, for an admin.

    The stored message stays as delivered; what is returned has secret links redacted.
    """
    mime = _parse(message.raw)
    hidden = 0

    def redact(value: str | None) -> str | None:
        nonlocal hidden
        if value is None:
            return None
        shown, count = redact_links(value)
        hidden += count
        return shown

    headers = [
        (name, redact(str(mime[name])) or "")
        for name in ("From", "To", "Cc", "Subject", "Date", "Message-ID")
        if mime[name] is not None
    ]
    attachments = []
    for index, part in enumerate(mime.iter_attachments()):
        data = part.get_payload(decode=True) or b""
        attachments.append(
            MailboxAttachment(
                index=index,
                filename=part.get_filename() or f"attachment-{index + 1}",
                content_type=part.get_content_type(),
                size=len(data),
            )
        )
    return MailboxView(
        headers=headers,
        text=redact(_part_text(mime.get_body(preferencelist=("plain",)))),
        html=redact(_part_text(mime.get_body(preferencelist=("html",)))),
        attachments=attachments,
        hidden_links=hidden,
    )


def mailbox_attachment(message, index: int) -> tuple[str, str, bytes]:
    """Return (filename, content type, bytes) of attachment ``index`` of a dev-mailbox message."""
    for i, part in enumerate(_parse(message.raw).iter_attachments()):
        if i == index:
            filename = part.get_filename() or f"attachment-{index + 1}"
            return filename, part.get_content_type(), part.get_payload(decode=True) or b""
    raise NotFound(_nf())


def _nf() -> str:
    return _("This message does not exist.")
