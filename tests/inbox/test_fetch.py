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


def test_mail_that_is_not_an_email_is_kept_as_unreadable_and_blocks_nothing(app, mailbox, deliver):
    deliver("Antes")
    deliver(raw=b"isto nao e um e-mail\r\n\x89PNG\r\n\x1a\n binario")
    deliver(raw=b"From: =?bogus?= <broken\r\nSubject: \xff\xfe quebrado\r\n\r\n\x00\x01 body")
    deliver("Depois")
    assert inbox.fetch_mailbox(mailbox.id) == 4
    rows = list(db.session.scalars(select(InboxMessage).order_by(InboxMessage.uid)))
    before, junk, broken, after = rows
    assert junk.unreadable and "not an e-mail" in junk.unreadable
    assert junk.message_key.startswith("sha256:")  # no Message-ID: the bytes' hash is the key
    assert broken.unreadable is None and "quebrado" in broken.subject  # read leniently
    assert (before.subject, after.subject) == ("Antes", "Depois")
    assert inbox.fetch_mailbox(mailbox.id) == 0  # and never taken twice


def test_a_message_that_breaks_storing_is_recorded_not_fatal(app, mailbox, deliver, monkeypatch):
    from portal.services.inbox import parsing

    real = parsing.parse

    def flaky(raw, **kw):
        if b"Subject: Bomba" in raw:
            raise RecursionError("maximum recursion depth exceeded")
        return real(raw, **kw)

    monkeypatch.setattr(parsing, "parse", flaky)
    deliver("Bomba")
    deliver("Normal")
    assert inbox.fetch_mailbox(mailbox.id) == 2
    rows = {m.subject: m for m in db.session.scalars(select(InboxMessage))}
    assert (
        "RecursionError" in rows["Bomba"].unreadable
        and "Subject: Bomba" in rows["Bomba"].raw_headers
    )
    assert rows["Normal"].unreadable is None


def test_one_message_delivered_twice_is_stored_once(app, mailbox, deliver):
    msgid = deliver("Em cópia")
    deliver("Em cópia", message_id=msgid)  # the same e-mail, To and Cc the shared address
    deliver("Outra")
    assert inbox.fetch_mailbox(mailbox.id) == 2
    assert _count() == 2
    assert db.session.get(Mailbox, mailbox.id).last_uid == 3


def test_batches_commit_with_the_position(app, mailbox, deliver, monkeypatch):
    from portal.services.inbox import fetching

    monkeypatch.setattr(fetching, "BATCH", 2)
    for n in range(5):
        deliver(f"Lote {n}")
    real = fetching._after_fetch
    positions: list[tuple[int, int]] = []

    def spy(imap, box, uids):
        # Called right after each batch's commit: the rows and the position are in already.
        positions.append((box.last_uid, _count()))
        return real(imap, box, uids)

    monkeypatch.setattr(fetching, "_after_fetch", spy)
    assert inbox.fetch_mailbox(mailbox.id) == 5
    assert positions == [(2, 2), (4, 4), (5, 5)]


def test_a_batch_stored_but_not_flagged_is_flagged_by_the_next_run(
    app, mailbox, deliver, dovecot, imap_folder, monkeypatch
):
    """The worker died after the commit, before telling the server (seen, or moved)."""
    from portal.services.inbox import fetching

    for n in range(3):
        deliver(f"Sem marca {n}")
    real = fetching._after_fetch
    monkeypatch.setattr(fetching, "_after_fetch", lambda *a: (_ for _ in ()).throw(OSError("gone")))
    inbox.fetch_mailbox(mailbox.id)
    assert _count() == 3
    assert all(
        b"\\Seen" not in m["flags"] for m in dovecot.messages(IMAP_USER, imap_folder).values()
    )
    monkeypatch.setattr(fetching, "_after_fetch", real)
    box = db.session.get(Mailbox, mailbox.id)
    box.after_fetch, box.move_to = "move", imap_folder + "-done"
    db.session.commit()
    deliver("Nova")
    assert inbox.fetch_mailbox(mailbox.id) == 1
    assert dovecot.messages(IMAP_USER, imap_folder) == {}  # the three left over, and the new one
    assert len(dovecot.messages(IMAP_USER, imap_folder + "-done")) == 4
    assert _count() == 4


def test_an_untrusted_certificate_is_refused_at_save_time(app, make_user):
    """A server whose certificate nobody signed: refused with that answer, TLS or STARTTLS."""
    import shutil
    import tempfile
    from pathlib import Path

    import pytest

    from portal.errors import ValidationError
    from tests.inbox.conftest import IMAP_PASSWORD
    from tests.inbox.dovecot import Dovecot

    admin = make_user(roles=["admin"])
    root = Path(tempfile.mkdtemp(prefix="portal-dovecot-tls-"))
    server = Dovecot(root, tls=True)
    server.add_user(IMAP_USER, IMAP_PASSWORD)
    try:
        server.start()
        for security, port in (("ssl", server.tls_port), ("starttls", server.port)):
            with pytest.raises(ValidationError) as refused:
                inbox.save_mailbox(
                    None,
                    actor=admin,
                    data={"name": f"TLS {security}", "host": server.host, "port": port,
                          "security": security, "username": IMAP_USER,
                          "password": IMAP_PASSWORD, "folder": "INBOX", "after_fetch": "seen"},
                )  # fmt: skip
            assert "certificate not trusted" in refused.value.message, security
            assert refused.value.field == "host"
            db.session.rollback()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert db.session.scalar(select(func.count(Mailbox.id))) == 0


def test_one_unreachable_mailbox_does_not_stop_the_others(app, mailbox, deliver, make_user):
    from worker.jobs.inbox import fetch_due

    dead = Mailbox(
        name="Morta", host="127.0.0.1", port=1, security="none", username="x",
        password_encrypted=db.session.get(Mailbox, mailbox.id).password_encrypted,
        folder="INBOX", after_fetch="seen", last_uid=0,
    )  # fmt: skip
    db.session.add(dead)
    db.session.commit()
    deliver("Chegou")
    assert fetch_due() == 1
    db.session.expire_all()
    assert db.session.get(Mailbox, dead.id).last_error
    assert db.session.get(Mailbox, mailbox.id).last_error is None
    assert _count() == 1
