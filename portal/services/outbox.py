"""Write outgoing messages to the outbox inside the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from portal.enqueue import enqueue_after_commit
from portal.extensions import db
from portal.models.outbox import OutboundAttachment, OutboundMessage

log = logging.getLogger(__name__)


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
    with force_locale(locale):
        current_app.update_template_context(ctx)
        module = env.get_template(f"emails/{template}.txt").make_module(ctx)
        subject = " ".join(str(getattr(module, "subject", "")).split())
        text = str(module).strip() + "\n"
        html = render_template(f"emails/{template}.html", **ctx)
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
) -> OutboundMessage:
    """Render a message and write it to the outbox; a second call with the same key is a no-op.

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
    from worker.jobs.mail import send_message

    enqueue_after_commit(
        send_message, message.id, queue="mail", job_timeout=current_app.config["OUTBOX_JOB_TIMEOUT"]
    )
