"""Visitors: registering, signing out, correcting and voiding visits."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from portal.errors import InvalidTransition, NotFound
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import (
    Visit,
)
from portal.models.search_indexes import fold_sql
from portal.services import audit
from portal.services.frontdesk.common import _clean, _Collector, find_person
from portal.services.frontdesk.corrections import _check_correctable, _corrected_time, _void
from portal.services.notifications import notify

# --- visitors ---------------------------------------------------------------------------------


def _validated_visit(
    *,
    visitor_name: str | None,
    company: str | None,
    host: str | None,
    badge_number: str | None,
    visit_id: int | None = None,
    in_building: bool = True,
) -> dict[str, Any]:
    """Check every rule of a visit (sign-in and correction alike); raise all problems at once."""
    c = _Collector()
    name = _clean(visitor_name, 160)
    if not name:
        c.fail("visitor_name", _("Enter the visitor's name."))
    badge = _clean(badge_number, 32)
    if badge and in_building:
        holder = _badge_holder(badge, visit_id)
        if holder is not None:
            c.fail(
                "badge_number",
                _(
                    "Badge %(badge)s is with %(name)s, who is still in the building: record "
                    "their departure first or hand out another badge.",
                    badge=badge,
                    name=holder,
                ),
            )
    host_user = c.check(lambda: find_person(host, field="host", required=True))
    c.raise_if_any()
    return {
        "visitor_name": name,
        "company": _clean(company, 160),
        "host": host_user,
        "badge_number": _clean(badge_number, 32),
    }


def _badge_holder(badge: str, visit_id: int | None) -> str | None:
    """Who in the building holds ``badge`` now (a visit not left, not voided), if anyone."""
    stmt = select(Visit.visitor_name).where(
        func.lower(Visit.badge_number) == badge.lower(),
        Visit.left_at.is_(None),
        Visit.voided_at.is_(None),
    )
    if visit_id is not None:
        stmt = stmt.where(Visit.id != visit_id)
    return db.session.scalar(stmt.limit(1))


def _tell_host(visit: Visit, actor: User) -> None:
    host_user = visit.host
    if host_user is None or host_user.id == actor.id:
        return
    who = visit.visitor_name + (f" ({visit.company})" if visit.company else "")
    notify(
        host_user,
        "frontdesk.visitor",
        visit,
        _l("Your visitor %(who)s has arrived at the front desk."),
        {"who": who},
        url=None,
    )


def register_visit(
    *,
    actor: User,
    visitor_name: str | None,
    company: str | None,
    host: str | None,
    badge_number: str | None,
) -> Visit:
    """Sign a visitor in; the host hears at once that their visitor is at the desk."""
    values = _validated_visit(
        visitor_name=visitor_name, company=company, host=host, badge_number=badge_number
    )
    visit = Visit(**values, arrived_at=utcnow(), logged_by=actor)
    db.session.add(visit)
    db.session.flush()
    audit.record(actor, "frontdesk.visit.arrived", visit)
    _tell_host(visit, actor)
    return visit


VISIT_FIELDS = ["visitor_name", "company", "host_id", "badge_number", "arrived_at", "left_at"]


def update_visit(
    visit: Visit,
    *,
    actor: User,
    visitor_name: str | None,
    company: str | None,
    host: str | None,
    badge_number: str | None,
    arrived_at: str | None,
    left_at: str | None,
) -> dict[str, Any]:
    """Correct a visit within 24 hours; every changed field is audit-logged old → new.

    Same rules as signing in, plus the times: arrival required and not in the future; departure
    (empty while the visitor is still here) after the arrival and not in the future.
    """
    _check_correctable(visit, actor, "visitors.manage")
    now = utcnow()
    c = _Collector()
    values = c.check(
        lambda: _validated_visit(
            visitor_name=visitor_name,
            company=company,
            host=host,
            badge_number=badge_number,
            visit_id=visit.id,
            # A badge matters while its visitor is inside (a correction after departure
            # never clashes with whoever holds that badge today).
            in_building=visit.left_at is None and not (left_at or "").strip(),
        ),
        default={},
    )
    arrived = c.check(lambda: _corrected_time(arrived_at, visit.arrived_at, field="arrived_at"))
    left = c.check(lambda: _corrected_time(left_at, visit.left_at, field="left_at"))
    if arrived is None and "arrived_at" not in c.errors:
        c.fail("arrived_at", _("Enter when the visitor arrived."))
    elif arrived is not None and arrived > now and arrived != visit.arrived_at:
        c.fail("arrived_at", _("The arrival cannot be in the future."))
    if left is not None and left != visit.left_at and left > now:
        c.fail("left_at", _("The departure cannot be in the future."))
    # Minutes are what people type: a departure in the arrival's minute is fine.
    if left is not None and arrived is not None and left < arrived.replace(second=0, microsecond=0):
        c.fail("left_at", _("The departure must be after the arrival."))
    c.raise_if_any()
    host_user = values["host"]
    new = {
        "visitor_name": values["visitor_name"],
        "company": values["company"],
        "host_id": host_user.id,
        "badge_number": values["badge_number"],
        "arrived_at": arrived,
        "left_at": left,
    }
    changes = audit.diff(visit, VISIT_FIELDS, new)
    if not changes:
        return changes
    visit.visitor_name = new["visitor_name"]
    visit.company = new["company"]
    visit.host = host_user
    visit.badge_number = new["badge_number"]
    visit.arrived_at = arrived
    visit.left_at = left
    audit.record(actor, "frontdesk.visit.corrected", visit, changes)
    db.session.flush()
    if "host_id" in changes and visit.left_at is None:
        _tell_host(visit, actor)
    return changes


def sign_out_visit(visit: Visit, *, actor: User) -> None:
    if visit.voided_at is not None or visit.left_at is not None:
        raise InvalidTransition(_("This visitor has already left."))
    visit.left_at = utcnow()
    audit.record(actor, "frontdesk.visit.left", visit)


def void_visit(visit: Visit, *, actor: User, reason: str | None) -> None:
    _void(visit, actor, reason, "visitors.manage", "frontdesk.visit.voided")


def get_visit_or_404(visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(_("This visit does not exist."))
    return visit


def visitors_in_building() -> list[Visit]:
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.left_at.is_(None), Visit.voided_at.is_(None))
            .options(selectinload(Visit.host))
            .order_by(Visit.arrived_at)
            .limit(500)
        )
    )


def _fold(text: str) -> str:
    """Lower case without accents, as ``fold_sql`` folds the columns."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def list_visits(q: str = "") -> Select:
    """The visitor register, newest first; ``q`` finds a visitor by name, company or badge
    (accent- and case-insensitive)."""
    stmt = (
        select(Visit)
        .options(selectinload(Visit.host))
        .order_by(Visit.arrived_at.desc(), Visit.id.desc())
    )
    term = _fold(q or "").strip()[:100]
    if term:
        like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                fold_sql(Visit.visitor_name).like(like, escape="\\"),
                fold_sql(Visit.company).like(like, escape="\\"),
                fold_sql(Visit.badge_number).like(like, escape="\\"),
            )
        )
    return stmt
