"""Faxes: PDF checks, logging, the fax file, correcting and voiding faxes."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from portal.errors import NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.frontdesk import (
    Fax,
)
from portal.services import audit, filecheck
from portal.services.frontdesk.common import (
    FAX_STATUS_LABELS,
    _clean,
    _Collector,
    _path,
    find_person,
    normalise_phone,
)
from portal.services.frontdesk.corrections import _check_correctable, _void
from portal.services.notifications import notify

# --- faxes ------------------------------------------------------------------------------------

log = logging.getLogger(__name__)


def _upload_dir() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "faxes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_pdf(filename: str | None, data: bytes) -> None:
    """Refuse anything that is not a PDF by extension *and* content, that is too large, or that
    the shared inspection refuses (active content, or a PDF the parser cannot open) — the same
    checks as a CV, made before anything is stored."""
    limit = current_app.config["FAX_MAX_BYTES"]
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)),
            field="file",
        )
    if not data:
        raise ValidationError(_("The file is empty."), field="file")
    if not (filename or "").lower().endswith(".pdf") or not data.startswith(b"%PDF-"):
        raise ValidationError(_("Only PDF files can be attached."), field="file")
    try:
        filecheck.inspect("pdf", data)
    except filecheck.Unsafe as unsafe:
        log.info("fax upload refused (%s)", unsafe.code)
        raise ValidationError(filecheck.reason(unsafe.code), field="file") from None


def _validated_fax(
    *,
    direction: str,
    number: str | None,
    correspondent: str | None,
    pages: int | None,
    for_whom: str | None,
    status: str,
    filename: str | None,
    data: bytes | None,
) -> dict[str, Any]:
    """Check every rule of a fax (registration and correction alike); raise all problems at once."""
    c = _Collector()
    if direction not in ("in", "out"):
        c.fail("direction", _("Choose incoming or outgoing."))
    e164 = c.check(lambda: normalise_phone(number, field="number"))
    name = _clean(correspondent, 160)
    if not name:
        c.fail("correspondent", _("Enter the correspondent."))
    if not pages or pages < 1 or pages > 999:
        c.fail("pages", _("Enter the number of pages."))
    if status not in FAX_STATUS_LABELS:
        c.fail("status", _("Choose a status."))
    for_user = c.check(lambda: find_person(for_whom, field="for_whom"))
    if data is not None and (data or filename):
        c.check(lambda: check_pdf(filename, data))
    c.raise_if_any()
    return {
        "direction": direction,
        "number": e164,
        "correspondent": name,
        "pages": pages,
        "for_user": for_user,
        "status": status,
    }


def store_fax_pdf(data: bytes, filename: str | None) -> dict[str, Any]:
    """Keep a checked PDF under a server-chosen name outside static/; return the Fax columns."""
    stored = f"{secrets.token_hex(16)}.pdf"
    path = _upload_dir() / stored
    with open(path, "xb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
    return {
        "stored_name": stored,
        "original_name": os.path.basename(filename or "fax.pdf")[-200:],
        "size_bytes": len(data),
    }


def _tell_fax_recipient(fax: Fax, actor: User) -> None:
    for_user = fax.for_user
    if for_user is None or for_user.id == actor.id or fax.direction != "in":
        return
    notify(
        for_user,
        "frontdesk.fax",
        fax,
        _l("A fax from %(who)s arrived for you."),
        {"who": fax.correspondent},
        url=_path(f"/faxes/{fax.id}/file") if fax.stored_name else None,
    )


def log_fax(
    *,
    actor: User,
    direction: str,
    number: str | None,
    correspondent: str | None,
    pages: int | None,
    for_whom: str | None,
    status: str,
    filename: str | None = None,
    data: bytes | None = None,
) -> Fax:
    """Register a fax; a scanned PDF is stored under a server-chosen name outside static/."""
    values = _validated_fax(
        direction=direction,
        number=number,
        correspondent=correspondent,
        pages=pages,
        for_whom=for_whom,
        status=status,
        filename=filename,
        data=data,
    )
    fax = Fax(**values, logged_by=actor)
    if data:
        for column, value in store_fax_pdf(data, filename).items():
            setattr(fax, column, value)
    db.session.add(fax)
    db.session.flush()
    audit.record(actor, "frontdesk.fax.logged", fax)
    _tell_fax_recipient(fax, actor)
    return fax


FAX_FIELDS = ["direction", "number", "correspondent", "pages", "for_user_id", "status"]


def update_fax(
    fax: Fax,
    *,
    actor: User,
    direction: str,
    number: str | None,
    correspondent: str | None,
    pages: int | None,
    for_whom: str | None,
    status: str,
    filename: str | None = None,
    data: bytes | None = None,
) -> dict[str, Any]:
    """Correct a fax within 24 hours; every changed field is audit-logged old → new.

    Same rules as registering it. A new PDF replaces the attached one (the old file is kept on
    disk: nothing is deleted); no file keeps the current one.
    """
    _check_correctable(fax, actor, "fax.manage")
    values = _validated_fax(
        direction=direction,
        number=number,
        correspondent=correspondent,
        pages=pages,
        for_whom=for_whom,
        status=status,
        filename=filename,
        data=data,
    )
    for_user = values.pop("for_user")
    new = {**values, "for_user_id": for_user.id if for_user else None}
    changes = audit.diff(fax, FAX_FIELDS, new)
    file_columns: dict[str, Any] = {}
    if data:
        # Written last, once everything else is valid: a refusal leaves no stray file.
        file_columns = store_fax_pdf(data, filename)
        changes.update(audit.diff(fax, list(file_columns), file_columns))
    if not changes:
        return changes
    previous_for = fax.for_user_id
    for column, value in values.items():
        setattr(fax, column, value)
    fax.for_user = for_user
    for column, value in file_columns.items():
        setattr(fax, column, value)
    audit.record(actor, "frontdesk.fax.corrected", fax, changes)
    db.session.flush()
    if fax.for_user_id and fax.for_user_id != previous_for:
        _tell_fax_recipient(fax, actor)
    return changes


def get_fax_or_404(fax_id: int) -> Fax:
    fax = db.session.get(Fax, fax_id)
    if fax is None:
        raise NotFound(_("This fax does not exist."))
    return fax


def fax_file_for(fax: Fax, user: User) -> Path:
    """The stored PDF, for those allowed: front desk, or the person it is for."""
    if not (user.can("fax.manage") or (fax.for_user_id and fax.for_user_id == user.id)):
        raise NotAllowed(_("This fax is not for you."))
    if not fax.stored_name or fax.voided_at is not None:
        raise NotFound(_("No file is attached to this fax."))
    path = _upload_dir() / fax.stored_name
    if not path.is_file():
        raise NotFound(_("No file is attached to this fax."))
    return path


def void_fax(fax: Fax, *, actor: User, reason: str | None) -> None:
    _void(fax, actor, reason, "fax.manage", "frontdesk.fax.voided")


def list_faxes() -> Select:
    return (
        select(Fax)
        .options(selectinload(Fax.for_user))
        .order_by(Fax.created_at.desc(), Fax.id.desc())
    )
