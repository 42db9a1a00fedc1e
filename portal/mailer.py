"""Turn an outbox row into a MIME message and hand it to SMTP or to the dev mailbox."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app

from portal.extensions import db
from portal.models.devmail import DevMailboxMessage
from portal.models.outbox import OutboundMessage


@dataclass
class DeliveryResult:
    accepted: list[str] = field(default_factory=list)
    # recipient -> "code message" for permanent refusals (5xx)
    refused: dict[str, str] = field(default_factory=dict)


class TransientError(Exception):
    """4xx, connection refused, timeout: try again later."""


class PermanentError(Exception):
    """5xx for every recipient: never retry."""


def build_mime(message: OutboundMessage) -> EmailMessage:
    """The MIME message for an outbox row (same bytes on every attempt)."""
    return compose(
        sender=message.sender,
        recipients=message.recipients,
        subject=message.subject,
        message_id=message.message_id,
        date=message.created_at.timestamp(),
        text=message.text_body,
        html=message.html_body,
        attachments=[(a.filename, a.content_type, a.data) for a in message.attachments],
        headers={**(message.headers or {}), "X-Portal-Outbox-Id": str(message.id)},
    )


def compose(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    message_id: str,
    date: float,
    text: str,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Build a multipart (text + HTML + attachments) message; no app, no database."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = ", ".join(recipients)
    mime["Subject"] = subject
    mime["Message-ID"] = message_id
    mime["Date"] = formatdate(date, localtime=False)
    for name, value in (headers or {}).items():
        mime[name] = value
    mime.set_content(text)
    if html:
        mime.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        if content_type.startswith("text/calendar"):
            # Calendar clients look for the invitation as a text/calendar part with its method.
            method = "CANCEL" if b"METHOD:CANCEL" in data else "REQUEST"
            mime.add_attachment(
                data,
                maintype="text",
                subtype="calendar",
                filename=filename,
                params={"method": method},
            )
        else:
            mime.add_attachment(
                data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=filename,
            )
    return mime


def deliver(message: OutboundMessage) -> DeliveryResult:
    """Send ``message`` once; raise TransientError / PermanentError on failure."""
    mime = build_mime(message)
    if not current_app.config["MAIL_SERVER"]:
        return _deliver_to_dev_mailbox(message, mime)
    return _deliver_smtp(message, mime)


def _deliver_to_dev_mailbox(message: OutboundMessage, mime: EmailMessage) -> DeliveryResult:
    db.session.add(
        DevMailboxMessage(
            outbound_id=message.id,
            message_id=message.message_id,
            sender=message.sender,
            recipients=list(message.recipients),
            subject=message.subject,
            raw=mime.as_bytes(),
        )
    )
    return DeliveryResult(accepted=list(message.recipients))


def _deliver_smtp(message: OutboundMessage, mime: EmailMessage) -> DeliveryResult:
    cfg = current_app.config
    timeout = cfg["OUTBOX_SMTP_TIMEOUT"]
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            refused = smtp.send_message(
                mime, from_addr=_address(message.sender), to_addrs=message.recipients
            )
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {rcpt: f"{code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items()}
        if all(int(c.split()[0]) >= 500 for c in codes.values()):
            raise PermanentError("; ".join(f"{r}: {c}" for r, c in codes.items())) from exc
        raise TransientError("; ".join(f"{r}: {c}" for r, c in codes.items())) from exc
    except smtplib.SMTPResponseException as exc:
        detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(detail) from exc
        raise TransientError(detail) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc
    result = DeliveryResult()
    for rcpt in message.recipients:
        if rcpt in refused:
            code, msg = refused[rcpt]
            result.refused[rcpt] = f"{code} {_text(msg)}"
        else:
            result.accepted.append(rcpt)
    return result


def _address(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1] or sender


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
