"""Mailboxes the admin connects: settings checked against the server at save time."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.enqueue import enqueue_after_commit
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.inbox import AFTER_FETCH, MOVE, SECURITY, Mailbox
from portal.models.users import User
from portal.services import audit
from portal.services.inbox import crypto
from portal.services.inbox.fetching import FetchError, connect

# Enqueued by name: services never import ``worker``.
FETCH_JOB = "worker.jobs.inbox.fetch_mailbox"
FIELDS = ("name", "host", "port", "security", "username", "folder", "after_fetch", "move_to")


def list_mailboxes() -> list[Mailbox]:
    return list(db.session.scalars(select(Mailbox).order_by(Mailbox.name)))


def get_mailbox_or_404(mailbox_id: int) -> Mailbox:
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        raise NotFound(_("That mailbox does not exist."))
    return mailbox


def _clean(data: dict[str, Any], *, new: bool) -> dict[str, Any]:
    out = {k: " ".join(str(data.get(k) or "").split()) for k in FIELDS}
    if not out["name"]:
        raise ValidationError(_("Give the mailbox a name."), field="name")
    if not out["host"]:
        raise ValidationError(_("Enter the IMAP server's host name."), field="host")
    try:
        port = int(out["port"] or 0)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ValidationError(_("Enter a port between 1 and 65535."), field="port")
    out["port"] = port
    if out["security"] not in SECURITY:
        raise ValidationError(_("Choose how to secure the connection."), field="security")
    if not out["username"]:
        raise ValidationError(_("Enter the user name of the mailbox."), field="username")
    out["folder"] = out["folder"] or "INBOX"
    if out["after_fetch"] not in AFTER_FETCH:
        raise ValidationError(_("Choose what to do with fetched mail."), field="after_fetch")
    if out["after_fetch"] == MOVE and not out["move_to"]:
        raise ValidationError(_("Name the folder to move fetched mail to."), field="move_to")
    out["move_to"] = out["move_to"] or None
    password = str(data.get("password") or "")
    if new and not password:
        raise ValidationError(_("Enter the mailbox password."), field="password")
    out["password"] = password
    return out


def check_settings(values: dict[str, Any], password: str) -> None:
    """Log in and open the folders; refuse with the server's own answer."""
    try:
        imap = connect(
            host=values["host"],
            port=values["port"],
            security=values["security"],
            username=values["username"],
            password=password,
            timeout=current_app.config["INBOX_IMAP_TIMEOUT"],
        )
    except FetchError as exc:
        raise ValidationError(
            _("The server refused the connection: %(answer)s", answer=str(exc)), field="host"
        ) from exc
    try:
        for field in ("folder", "move_to"):
            folder = values[field]
            if folder and not imap.folder_exists(folder):
                raise ValidationError(
                    _("The server has no folder named %(folder)s.", folder=folder), field=field
                )
    finally:
        try:
            imap.logout()
        except Exception:  # noqa: BLE001
            pass


def save_mailbox(mailbox: Mailbox | None, *, actor: User, data: dict[str, Any]) -> Mailbox:
    """Create or change a mailbox once the server accepted the settings (password encrypted)."""
    values = _clean(data, new=mailbox is None)
    password = values.pop("password")
    clear = password or (crypto.decrypt(mailbox.password_encrypted) if mailbox else "")
    taken = db.session.scalar(select(Mailbox.id).where(Mailbox.name == values["name"]))
    if taken is not None and (mailbox is None or taken != mailbox.id):
        raise ValidationError(_("Another mailbox has this name."), field="name")
    check_settings(values, clear)
    created = mailbox is None
    if mailbox is None:
        mailbox = Mailbox(last_uid=0)
        db.session.add(mailbox)
    changed_source = not created and (
        mailbox.host,
        mailbox.username,
        mailbox.folder,
    ) != (values["host"], values["username"], values["folder"])
    for key, value in values.items():
        setattr(mailbox, key, value)
    if password:
        mailbox.password_encrypted = crypto.encrypt(password)
    if changed_source:
        mailbox.uidvalidity, mailbox.last_uid = None, 0  # another folder: start again
    mailbox.failures = 0
    mailbox.last_error = None
    mailbox.next_attempt_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "inbox.mailbox.created" if created else "inbox.mailbox.changed",
        mailbox,
        {k: values[k] for k in ("host", "port", "username", "folder", "after_fetch")},
    )
    return mailbox


def set_active(mailbox: Mailbox, *, active: bool, actor: User) -> None:
    mailbox.active = active
    mailbox.next_attempt_at = utcnow()
    audit.record(actor, "inbox.mailbox.active", mailbox, {"active": active})


def fetch_soon(mailbox: Mailbox) -> None:
    """Read the mailbox now (after commit), whatever its backoff says."""
    mailbox.next_attempt_at = utcnow()
    enqueue_after_commit(FETCH_JOB, mailbox.id, queue="default")
