"""Inbox fixtures: a private dovecot per test module, a mailbox connected to it, mail factories."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from portal.extensions import db
from tests.inbox.dovecot import DOVECOT, MISSING, Dovecot

IMAP_USER = "contato"
IMAP_PASSWORD = "imap-Secret-42"


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory) -> Iterator[Dovecot]:
    """A running dovecot on a free loopback port; fails (never skips) when it is not installed."""
    if not os.path.exists(DOVECOT):
        pytest.fail(MISSING)
    # Not under pytest's 0700 temporary tree: dovecot's unprivileged processes must reach it.
    root = Path(tempfile.mkdtemp(prefix="portal-dovecot-"))
    server = Dovecot(root)
    server.add_user(IMAP_USER, IMAP_PASSWORD)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_folder(dovecot) -> Iterator[str]:
    """An empty folder of its own for each test (tests share the module's server)."""
    name = f"T{os.urandom(4).hex()}"
    with dovecot.client(IMAP_USER) as imap:
        imap.create_folder(name)
        imap.create_folder(name + "-done")
    yield name


@pytest.fixture
def mailbox(app, dovecot, imap_folder, make_user):
    """A mailbox connected through the service (settings checked against dovecot)."""
    from portal.services import inbox

    admin = make_user(roles=["admin"])
    box = inbox.save_mailbox(
        None,
        actor=admin,
        data={
            "name": "Contato",
            "host": dovecot.host,
            "port": dovecot.port,
            "security": "none",
            "username": IMAP_USER,
            "password": IMAP_PASSWORD,
            "folder": imap_folder,
            "after_fetch": "seen",
        },
    )
    db.session.commit()
    return box


@pytest.fixture
def deliver(dovecot, imap_folder) -> Callable[..., str]:
    """Deliver an e-mail into the test's folder; return its Message-ID."""

    def send(
        subject: str = "Hello",
        body: str = "Hi there",
        *,
        sender: str = "Ana Souza <ana@cliente.com.br>",
        headers: dict[str, str] | None = None,
        attachments: list[tuple[str, str, bytes]] = (),
        message_id: str | None = None,
        raw: bytes | None = None,
    ) -> str:
        if raw is None:
            msg = EmailMessage()
            msg["From"] = sender
            msg["To"] = "contato@empresa.com.br"
            msg["Subject"] = subject
            msg["Date"] = format_datetime(datetime.now(UTC))
            msg["Message-ID"] = message_id or make_msgid(domain="cliente.com.br")
            for name, value in (headers or {}).items():
                msg[name] = value
            msg.set_content(body)
            for filename, ctype, data in attachments:
                main, _, sub = ctype.partition("/")
                msg.add_attachment(data, maintype=main, subtype=sub, filename=filename)
            raw = msg.as_bytes()
            message_id = msg["Message-ID"]
        dovecot.append(IMAP_USER, raw, folder=imap_folder)
        return message_id or ""

    return send
