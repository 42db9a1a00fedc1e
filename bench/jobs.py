"""The ceiling's job: send one message with smtplib — no app, no database, no outbox row.

It sends the same message the outbox sends (the portal's test e-mail, rendered once by the bench
into the file named by ``BENCH_SAMPLE``), built by the same ``portal.mailer.compose``, over a new
SMTP connection per message, exactly as ``portal.mailer`` does.
"""

from __future__ import annotations

import json
import os
import smtplib
import time
from email.utils import make_msgid
from functools import cache

from portal.mailer import compose


@cache
def _sample() -> dict[str, str]:
    with open(os.environ["BENCH_SAMPLE"], encoding="utf-8") as fh:
        return json.load(fh)


def send_plain(host: str, port: int, n: int) -> None:
    sample = _sample()
    mime = compose(
        sender=sample["sender"],
        recipients=[f"rcpt{n}@example.com"],
        subject=sample["subject"],
        message_id=make_msgid(domain="bench.local"),
        date=time.time(),
        text=sample["text"],
        html=sample["html"],
    )
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.send_message(mime, from_addr="portal@localhost", to_addrs=[f"rcpt{n}@example.com"])
