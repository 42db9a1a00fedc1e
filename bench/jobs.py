"""The ceiling's job: send one message with smtplib, no database, no app."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid


def send_plain(host: str, port: int, n: int) -> None:
    mime = EmailMessage()
    mime["From"] = "bench@localhost"
    mime["To"] = f"rcpt{n}@example.com"
    mime["Subject"] = f"Ceiling message {n}"
    mime["Message-ID"] = make_msgid(domain="bench.local")
    mime.set_content("Hello,\n\nThis is a benchmark message.\n")
    mime.add_alternative("<p>Hello,</p><p>This is a benchmark message.</p>", subtype="html")
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.send_message(mime)
