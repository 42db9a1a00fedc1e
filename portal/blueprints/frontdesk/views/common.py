"""Shared by the front-desk views: form errors, the staff type-ahead, row URLs, context."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    current_app,
    render_template,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from portal.blueprints.forms_util import attach_error
from portal.errors import DomainError
from portal.extensions import db
from portal.models.base import utcnow
from portal.services import frontdesk as desk


def fail(form: FlaskForm, error: DomainError) -> None:
    """Undo the half-done change and put each refusal next to its field.

    Refusals that are not about the input (403, 404, 409) go to the error handler instead.
    """
    db.session.rollback()
    if error.status_code != 422:
        raise error
    errors = getattr(error, "errors", None)
    if errors:
        for field, message in errors.items():
            attach_error(form, DomainError(message, field=field or None))
    else:
        attach_error(form, error)


STAFF_LIST_TTL = 60  # seconds a rendered type-ahead list is reused (per app, per language)


def _staff_datalist() -> Markup:
    """The staff type-ahead (hundreds of options), rendered once a minute rather than per page.

    A new colleague shows up in the suggestions within a minute; typing an e-mail works at once.
    """
    cache = current_app.extensions.setdefault("frontdesk_staff_datalist", {})
    key = str(get_locale())
    hit = cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    html = Markup(
        render_template("frontdesk/_partials/_staff_datalist.html", staff=desk.staff_directory())
    )
    cache[key] = (time.monotonic() + STAFF_LIST_TTL, html)
    return html


_ID = 987654321


def url_around_id(endpoint: str, arg: str) -> tuple[str, str]:
    """An endpoint's URL split around its id, so list rows add the id instead of url_for each."""
    before, after = url_for(endpoint, **{arg: _ID}).split(str(_ID))
    return before, after


def desk_context(*, page: bool = True) -> dict[str, Any]:
    """Context shared by front-desk templates; the staff list only where a page shows it."""
    return {
        "desk": desk,
        "labels": desk.row_labels(),
        "now": utcnow(),
        "staff_datalist": _staff_datalist() if page else Markup(""),
        "call_url": url_around_id("frontdesk.desk.call_detail", "call_id"),
        "viewer": current_user._get_current_object(),  # rows ask once, not through the proxy
    }
