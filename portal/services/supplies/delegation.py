"""Delegation while an office manager is away: absences, who may stand in, and what delegates
approved on a manager's behalf.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.supplies import (
    Delegation,
    PurchaseOrder,
    Supplier,
    local_today,
)
from portal.pagination import read_rows
from portal.routing import parse_int
from portal.services import audit, notifications
from portal.services.supplies.common import _decimal, _url, users_with_role

# An absence ("ausência", feminine in Portuguese): the labels carry the context so each language
# can agree them with the noun.
ABSENCE_STATUSES = {
    "cancelled": (pgettext("absence", "Called off"), "muted"),
    "active": (pgettext("absence", "Active"), "success"),
    "over": (pgettext("absence", "Over"), "muted"),
    "planned": (pgettext("absence", "Planned"), "info"),
}


def absence_status(delegation: Delegation, today: date | None = None) -> tuple[str, str]:
    """The absence's status label (agreeing with "absence" in the reader's language) and tone."""
    today = today or local_today()
    if delegation.cancelled_at is not None:
        key = "cancelled"
    elif delegation.covers(today):
        key = "active"
    elif delegation.ends_on < today:
        key = "over"
    else:
        key = "planned"
    label, tone = ABSENCE_STATUSES[key]
    return str(label), tone


def active_delegations(today: date | None = None) -> list[Delegation]:
    today = today or local_today()
    return list(
        db.session.scalars(
            select(Delegation).where(
                Delegation.cancelled_at.is_(None),
                Delegation.starts_on <= today,
                Delegation.ends_on >= today,
            )
        )
    )


@lru_cache(maxsize=1)
def _on_behalf_statement():
    approver = aliased(User)
    return (
        select(
            PurchaseOrder.id,
            Supplier.name.label("supplier"),
            PurchaseOrder.total,
            approver.name.label("approver"),
            PurchaseOrder.approved_at,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .outerjoin(approver, approver.id == PurchaseOrder.approver_id)
        .where(
            PurchaseOrder.on_behalf_of_id == bindparam("manager_id"),
            PurchaseOrder.approved_at >= bindparam("since"),
        )
        .order_by(PurchaseOrder.approved_at.desc())
        .limit(50)
    )


def approved_on_behalf_of(manager: User, *, days: int = 30) -> list[Any]:
    """Orders a delegate approved for ``manager`` lately: rows (id, supplier, total, approver,
    approved_at), newest first; index (on_behalf_of_id, approved_at)."""
    since = utcnow() - timedelta(days=days)
    return list(read_rows(_on_behalf_statement(), {"manager_id": manager.id, "since": since}))


def list_delegations(manager: User) -> list[Delegation]:
    return list(
        db.session.scalars(
            select(Delegation)
            .where(Delegation.manager_id == manager.id)
            .order_by(Delegation.starts_on.desc())
        )
    )


def delegate_choices(manager: User) -> list[User]:
    """People who may stand in: back office and other office managers."""
    people = {u.id: u for u in users_with_role("back_office") + users_with_role("office_manager")}
    people.pop(manager.id, None)
    return sorted(people.values(), key=lambda u: u.name)


def create_delegation(
    *,
    manager: User,
    delegate_id: Any,
    starts_on: date | None,
    ends_on: date | None,
    amount_limit: Any = None,
    note: str | None = None,
) -> Delegation:
    delegate_id = parse_int(delegate_id, minimum=1)
    delegate = db.session.get(User, delegate_id) if delegate_id else None
    if delegate is None or delegate.id not in {u.id for u in delegate_choices(manager)}:
        raise ValidationError(_("Choose who approves while you are away."), field="delegate_id")
    if starts_on is None:
        raise ValidationError(_("Enter the first day of your absence."), field="starts_on")
    if ends_on is None or ends_on < starts_on:
        raise ValidationError(_("The last day must be on or after the first."), field="ends_on")
    if ends_on < local_today():
        raise ValidationError(_("This absence is already over."), field="ends_on")
    clash = db.session.scalar(
        select(Delegation)
        .where(
            Delegation.manager_id == manager.id,
            Delegation.cancelled_at.is_(None),
            Delegation.starts_on <= ends_on,
            Delegation.ends_on >= starts_on,
        )
        .order_by(Delegation.starts_on)
        .limit(1)
    )
    if clash is not None:
        # Two absences on the same day would leave open whose delegate (and limit) applies.
        raise ValidationError(
            _(
                "You are already away from %(start)s to %(end)s (%(delegate)s approves for you). "
                "Change the dates, or cancel that absence first.",
                start=format_date(clash.starts_on, "short"),
                end=format_date(clash.ends_on, "short"),
                delegate=clash.delegate.name,
            ),
            field="starts_on",
        )
    delegation = Delegation(
        manager_id=manager.id,
        delegate_id=delegate.id,
        starts_on=starts_on,
        ends_on=ends_on,
        amount_limit=_decimal(amount_limit, "amount_limit", required=False),
        note=(note or "").strip()[:300] or None,
    )
    db.session.add(delegation)
    db.session.flush()
    audit.record(
        manager,
        "supplies.delegation.create",
        ("Delegation", delegation.id),
        {"delegate": delegate.name, "from": str(starts_on), "to": str(ends_on)},
    )
    notifications.notify(
        delegate,
        "supplies.delegation",
        None,
        _l(
            "%(manager)s is away from %(start)s to %(end)s: you approve purchase orders on "
            "their behalf."
        ),
        {"manager": manager.name, "start": starts_on, "end": ends_on},  # dates in the reader's way
        url=_url("supplies.queue"),
        dedupe_key=f"delegation:{delegation.id}:delegate",
    )
    return delegation


def cancel_delegation(delegation_id: int, *, manager: User) -> None:
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or delegation.manager_id != manager.id:
        raise NotFound(_("This absence does not exist."))
    delegation.cancelled_at = utcnow()
    db.session.flush()
    audit.record(manager, "supplies.delegation.cancel", ("Delegation", delegation.id))
