"""The front desk's registers as rows for an export (portal.exports.export_response).

Each function takes the list's filters, returns the header (in the reader's language) then one
row per entry: labels not codes, datetimes as datetimes (the exporter writes them in local time
to the minute), numbers as numbers.  Rows stream from one query (``yield_per``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext

from portal.extensions import db
from portal.models import User
from portal.services.frontdesk.common import (
    DIRECTION_LABELS,
    FAX_STATUS_LABELS,
    PRIORITY_LABELS,
    REQUEST_STATUS_LABELS,
    format_phone,
)
from portal.services.frontdesk.faxes import list_faxes
from portal.services.frontdesk.requests import list_requests, request_type_label
from portal.services.frontdesk.visitors import list_visits


def _name(user: User | None) -> str:
    return user.name if user is not None else ""


def _voided(entry: Any) -> str:
    return _("Yes") if entry.voided_at else ""


def fax_rows() -> Iterator[list[Any]]:
    yield [
        _("Logged"),
        _("Direction"),
        _("Correspondent"),
        _("Fax number"),
        _("Pages"),
        _("For"),
        _("Status"),
        _("Logged by"),
        pgettext("register entry", "Voided"),
    ]
    for fax in db.session.scalars(list_faxes().execution_options(yield_per=500)):
        yield [
            fax.created_at,
            DIRECTION_LABELS.get(fax.direction, fax.direction),
            fax.correspondent,
            format_phone(fax.number) if fax.number else "",
            fax.pages,
            _name(fax.for_user),
            FAX_STATUS_LABELS.get(fax.status, fax.status),
            _name(fax.logged_by),
            _voided(fax),
        ]


def visit_rows(q: str = "") -> Iterator[list[Any]]:
    yield [
        _("Visitor"),
        _("Company"),
        _("Host"),
        _("Badge"),
        _("Arrived"),
        _("Left"),
        _("Logged by"),
        pgettext("register entry", "Voided"),
    ]
    for visit in db.session.scalars(list_visits(q).execution_options(yield_per=500)):
        yield [
            visit.visitor_name,
            visit.company or "",
            _name(visit.host),
            visit.badge_number or "",
            visit.arrived_at,
            visit.left_at,
            _name(visit.logged_by),
            _voided(visit),
        ]


def request_rows(viewer: User, *, status: str = "", mine: bool = False) -> Iterator[list[Any]]:
    """The statement is built now, for ``viewer`` as it is now: the rows are read later, while
    the download streams (outside the view, where ``current_user`` may no longer resolve)."""
    return _request_rows(list_requests(viewer, status=status, mine=mine))


def _request_rows(stmt: Any) -> Iterator[list[Any]]:
    yield [
        "#",
        _("Type"),
        _("Title"),
        _("Requested by"),
        _("Assigned to"),
        _("Priority"),
        _("Due"),
        _("Status"),
        _("Created"),
        _("Closed"),
    ]
    for req in db.session.scalars(stmt.execution_options(yield_per=500)):
        yield [
            req.id,
            request_type_label(req.type),
            req.title,
            _name(req.requester),
            _name(req.assignee),
            PRIORITY_LABELS.get(req.priority, req.priority),
            req.due_date,
            REQUEST_STATUS_LABELS.get(req.status, req.status),
            req.created_at,
            req.closed_at,
        ]
