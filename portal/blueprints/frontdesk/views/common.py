"""Shared by the front-desk views: form errors, the staff type-ahead's data, row URLs, context."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.errors import DomainError
from portal.models.base import utcnow
from portal.services import frontdesk as desk
from portal.web import Work, attach_error


def settle(form: FlaskForm, work: Work) -> None:
    """After ``unit_of_work(form)``: a refusal that is not about the input (403, 404, 409) goes
    to the error handler; one naming several fields (``FormInvalid``) puts each message next to
    its field (``unit_of_work`` already placed the first)."""
    error = work.error
    if error is None:
        return
    if error.status_code != 422:
        raise error
    for field, message in list((getattr(error, "errors", None) or {}).items())[1:]:
        attach_error(form, DomainError(message, field=field or None))


STAFF_LIST_TTL = 60  # seconds the type-ahead's data is reused (per app)


@dataclass(frozen=True)
class StaffList:
    """The staff type-ahead as plain data, and a digest of it that names this version."""

    options: tuple[tuple[str, str, str], ...]
    digest: str


def staff_list() -> StaffList:
    """The staff type-ahead as plain data: ``(value, job title, extension)`` per person, the value
    being what the field accepts ("Name <e-mail>"); ``_staff_datalist.html`` makes the markup.

    Caching: the *data* (never markup) is kept per app for a minute in
    ``app.extensions["frontdesk.staff_list"]`` (per app, so two apps in one process never share
    it); a page then costs no query for hundreds of people.  A new colleague shows up within a
    minute; typing an e-mail works at once.
    """
    now = time.monotonic()
    hit = current_app.extensions.get("frontdesk.staff_list")
    if hit is not None and hit[0] > now:
        return hit[1]
    options = tuple(
        (desk.person_label(row), row.job_title or "", row.extension or "")
        for row in desk.staff_directory()
    )
    # Stable across processes (gunicorn workers give the same URL for the same list).
    digest = hashlib.sha256(repr(options).encode()).hexdigest()[:16]
    found = StaffList(options, digest)
    current_app.extensions["frontdesk.staff_list"] = (now + STAFF_LIST_TTL, found)
    return found


def staff_list_version() -> str:
    """What the type-ahead's URL carries: the list's digest and the reader's language (the
    options' details are translated), so a changed list or language is a new URL."""
    return f"{staff_list().digest}-{get_locale()}"


_ID = 987654321


def url_around_id(endpoint: str, arg: str) -> tuple[str, str]:
    """An endpoint's URL split around its id, so list rows add the id instead of url_for each."""
    before, after = url_for(endpoint, **{arg: _ID}).split(str(_ID))
    return before, after


def desk_context(*, page: bool = True) -> dict[str, Any]:
    """Context shared by front-desk templates.  Where a whole page offers the staff type-ahead,
    the URL of its options (``_staff_datalist_slot.html`` loads them once; the browser keeps
    them while the list and the language stay the same)."""
    return {
        "desk": desk,
        "labels": desk.row_labels(),
        "now": utcnow(),
        "staff_list_url": url_for("frontdesk.desk.staff_list_options", v=staff_list_version())
        if page
        else None,
        "call_url": url_around_id("frontdesk.desk.call_detail", "call_id"),
        "viewer": current_user._get_current_object(),  # rows ask once, not through the proxy
    }
