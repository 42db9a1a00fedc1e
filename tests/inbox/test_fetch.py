"""Exactly once against a real IMAP server (dovecot): restart, two workers, UIDVALIDITY reset,
unreachable server with backoff, unreadable and oversized mail, nothing deleted on the server."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.models.inbox import InboxMessage, Mailbox
from portal.services import inbox
from tests.inbox.conftest import IMAP_USER


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(InboxMessage.id)))


def test_each_message_is_taken_once_across_restarts(app, mailbox, deliver, dovecot, imap_folder):
    ids = [deliver(f"Pedido {n}") for n in range(3)]
    assert inbox.fetch_mailbox(mailbox.id) == 3
    # A "restart": the same job again, and again after more mail arrived.
    assert inbox.fetch_mailbox(mailbox.id) == 0
    ids += [deliver(f"Pedido {n}") for n in range(3, 5)]
    assert inbox.fetch_mailbox(mailbox.id) == 2
    assert _count() == 5
    stored = set(db.session.scalars(select(InboxMessage.message_id)))
    assert stored == set(ids)
    # Never deleted on the server: all five are still there, marked seen.
    on_server = dovecot.messages(IMAP_USER, imap_folder)
    assert len(on_server) == 5
    assert all(b"\\Seen" in m["flags"] for m in on_server.values())


def test_a_lost_position_refetches_without_duplicates(app, mailbox, deliver):
    """A worker killed after storing but before remembering where it got to."""
    for n in range(4):
        deliver(f"Nota {n}")
    inbox.fetch_mailbox(mailbox.id)
    box = db.session.get(Mailbox, mailbox.id)
    box.last_uid = 0  # as if the position had never been saved
    db.session.commit()
    assert inbox.fetch_mailbox(mailbox.id) == 0
    assert _count() == 4


def test_two_workers_at_once_store_each_message_once(app, mailbox, deliver):
    for n in range(12):
        deliver(f"Concorrente {n}")
    results: list[int] = []
    mailbox_id = mailbox.id  # read here: the fixture's object belongs to this thread's session

    def worker() -> None:
        with app.app_context():
            results.append(inbox.fetch_mailbox(mailbox_id))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # Whoever lost the lease may run again: still nothing twice.
    box = db.session.get(Mailbox, mailbox.id)
    box.lease_until = None
    box.last_uid = 0
    db.session.commit()
    inbox.fetch_mailbox(mailbox.id)
    assert sum(results) == 12
    assert _count() == 12


def test_uidvalidity_change_creates_no_duplicates(app, mailbox, deliver, dovecot, imap_folder):
    ids = [deliver(f"Antes {n}") for n in range(3)]
    inbox.fetch_mailbox(mailbox.id)
    before = dovecot.uidvalidity(IMAP_USER, imap_folder)
    dovecot.reset_folder(IMAP_USER, imap_folder)
    # The same three messages come back under new UIDs, plus one new one.
    for n, mid in enumerate(ids):
        deliver(f"Antes {n}", message_id=mid)
    new_id = deliver("Depois")
    assert dovecot.uidvalidity(IMAP_USER, imap_folder) != before
    assert inbox.fetch_mailbox(mailbox.id) == 1
    assert _count() == 4
    box = db.session.get(Mailbox, mailbox.id)
    assert box.uidvalidity == dovecot.uidvalidity(IMAP_USER, imap_folder)
    assert db.session.scalar(select(InboxMessage.subject).where(InboxMessage.message_id == new_id))


def test_move_after_fetch_keeps_the_mail_in_the_chosen_folder(
    app, mailbox, deliver, dovecot, imap_folder
):
    box = db.session.get(Mailbox, mailbox.id)
    box.after_fetch, box.move_to = "move", imap_folder + "-done"
    db.session.commit()
    deliver("Mover")
    assert inbox.fetch_mailbox(mailbox.id) == 1
    assert dovecot.messages(IMAP_USER, imap_folder) == {}
    moved = dovecot.messages(IMAP_USER, imap_folder + "-done")
    assert [m["subject"] for m in moved.values()] == ["Subject: Mover"]


def test_unreachable_server_records_the_error_and_backs_off(app, mailbox, deliver):
    box = db.session.get(Mailbox, mailbox.id)
    good_port = box.port
    box.port = 1  # nothing listens there
    db.session.commit()
    assert inbox.fetch_mailbox(mailbox.id) == 0
    box = db.session.get(Mailbox, mailbox.id)
    assert box.failures == 1 and box.last_error
    first_wait = box.next_attempt_at - box.last_fetch_at
    inbox.fetch_mailbox(mailbox.id)
    box = db.session.get(Mailbox, mailbox.id)
    assert box.failures == 2
    assert box.next_attempt_at - box.last_fetch_at > first_wait  # backoff grows
    assert inbox.due_mailbox_ids() == []  # not retried before its time
    # Back up: the next fetch works and clears the error.
    deliver("De volta")
    box.port = good_port
    db.session.commit()
    assert inbox.fetch_mailbox(mailbox.id) == 1
    box = db.session.get(Mailbox, mailbox.id)
    assert box.failures == 0 and box.last_error is None


def test_server_gone_mid_fetch_loses_nothing(app, mailbox, deliver, dovecot):
    for n in range(3):
        deliver(f"Queda {n}")
    dovecot.stop()
    try:
        assert inbox.fetch_mailbox(mailbox.id) == 0
        assert db.session.get(Mailbox, mailbox.id).last_error
    finally:
        dovecot.start()
    box = db.session.get(Mailbox, mailbox.id)
    box.next_attempt_at = box.last_fetch_at
    db.session.commit()
    assert inbox.fetch_mailbox(mailbox.id) == 3
    assert _count() == 3


def test_oversized_and_malformed_mail_is_kept_as_unreadable(app, mailbox, deliver):
    app.config["INBOX_MAX_MESSAGE_BYTES"] = 5000
    deliver("Enorme", body="x" * 20000)
    deliver(raw=b"From: =?bogus?= <broken\r\nSubject: \xff\xfe quebrado\r\n\r\n\x00\x01 body")
    deliver("Normal depois")
    assert inbox.fetch_mailbox(mailbox.id) == 3
    rows = {m.subject: m for m in db.session.scalars(select(InboxMessage))}
    big = rows["Enorme"]
    assert big.unreadable and "too large" in big.unreadable and "Subject: Enorme" in big.raw_headers
    assert rows["Normal depois"].unreadable is None


def test_bad_settings_are_refused_with_the_servers_answer(app, dovecot, imap_folder, make_user):
    import pytest

    from portal.errors import ValidationError

    admin = make_user(roles=["admin"])
    with pytest.raises(ValidationError) as refused:
        inbox.save_mailbox(
            None,
            actor=admin,
            data={
                "name": "Errada",
                "host": dovecot.host,
                "port": dovecot.port,
                "security": "none",
                "username": IMAP_USER,
                "password": "wrong-password",
                "folder": imap_folder,
                "after_fetch": "seen",
            },
        )
    assert "authentication failed" in refused.value.message.lower()
    db.session.rollback()
    assert db.session.scalar(select(func.count(Mailbox.id))) == 0


def test_password_is_stored_encrypted(app, mailbox):
    from tests.inbox.conftest import IMAP_PASSWORD

    stored = db.session.get(Mailbox, mailbox.id).password_encrypted
    assert IMAP_PASSWORD not in stored
    from portal.services.inbox import crypto

    assert crypto.decrypt(stored) == IMAP_PASSWORD
