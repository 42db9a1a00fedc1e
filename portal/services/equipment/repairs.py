"""Repairs: "call the vendor" writes the repair request and its e-mail in one transaction (the
outbox sends it exactly once, in the vendor's language); the visit, the closing cost, and a
reminder when the contract's response time passes without a visit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.errors import InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.equipment import (
    FAULT_IN_REPAIR,
    FAULT_OPEN,
    IN_REPAIR,
    REPAIR_CLOSED,
    REPAIR_REQUESTED,
    REPAIR_SCHEDULED,
    RETIRED,
    Asset,
    Fault,
    Repair,
)
from portal.models.outbox import PENDING as OUTBOX_PENDING
from portal.models.outbox import SENT as OUTBOX_SENT
from portal.models.outbox import UNCERTAIN as OUTBOX_UNCERTAIN
from portal.models.outbox import OutboundMessage
from portal.models.supplies import Supplier
from portal.services import audit, outbox
from portal.services.equipment.common import clean, parse_decimal, path, record_event, text_block
from portal.services.equipment.faults import _back_office
from portal.services.equipment.register import back_in_use, set_status
from portal.services.notifications import notify

# Not resent automatically when the worker dies mid-send (a person confirms or resends).
REPAIR_KIND = "repair_request"
DEFAULT_RESPONSE_HOURS = 48


def vendor_address(asset: Asset) -> str | None:
    """The repair contact: the asset's own, else its vendor's order address."""
    if asset.repair_email:
        return asset.repair_email
    if asset.vendor_id:
        supplier = db.session.get(Supplier, asset.vendor_id)
        if supplier is not None:
            return supplier.order_email
    return None


def call_vendor(fault: Fault, *, actor: User, note: str | None = None) -> Repair:
    """Write the repair request and its e-mail to the vendor (same transaction, once)."""
    if fault.asset_id is None:
        raise ValidationError(_("Choose the machine first."), field="asset_id")
    if fault.status != FAULT_OPEN:
        raise InvalidTransition(_("The vendor was already called for this fault, or it is closed."))
    asset = db.session.get(Asset, fault.asset_id)
    if asset is None or asset.status == RETIRED:
        raise InvalidTransition(_("This asset is retired."))
    address = vendor_address(asset)
    if not address:
        raise ValidationError(
            _("This machine has no repair contact: add the vendor's repair e-mail first."),
            field="note",
        )
    now = utcnow()
    repair = Repair(
        asset_id=asset.id,
        fault_id=fault.id,
        vendor_email=address,
        requested_at=now,
        response_due_at=now + timedelta(hours=asset.response_hours or DEFAULT_RESPONSE_HOURS),
        requested_by_id=actor.id,
    )
    db.session.add(repair)
    db.session.flush()
    vendor = db.session.get(Supplier, asset.vendor_id) if asset.vendor_id else None
    message = outbox.queue_email(
        address,
        "equipment/repair_request",
        {
            "repair": repair,
            "asset": asset,
            "fault": fault,
            "vendor": vendor,
            "note": text_block(note, 2000),
            "requested_by": actor,
        },
        dedupe_key=f"equipment.repair:{repair.id}",
        attachments=[outbox.Attachment(p.filename, "image/jpeg", p.data) for p in fault.photos],
        locale=asset.vendor_locale or "pt_BR",
        kind=REPAIR_KIND,
        target=repair,
    )
    repair.message_id = message.id
    fault.status = FAULT_IN_REPAIR
    if asset.status != IN_REPAIR:
        set_status(asset, IN_REPAIR, actor=actor)
    db.session.flush()
    audit.record(actor, "equipment.repair.requested", repair, {"to": address, "fault": fault.id})
    record_event(asset, "repair", address, actor=actor, details={"repair": repair.id})
    return repair


def record_visit(
    repair: Repair, *, actor: User, reference: str | None, visit_at: datetime | None
) -> None:
    """The vendor answered: their reference and the promised visit."""
    if repair.status == REPAIR_CLOSED:
        raise InvalidTransition(_("This repair is closed."))
    reference = clean(reference, 80)
    if not reference and visit_at is None:
        raise ValidationError(_("Enter the vendor's reference or the visit."), field="reference")
    changes = audit.diff(
        repair,
        ["vendor_reference", "promised_visit_at"],
        {"vendor_reference": reference, "promised_visit_at": visit_at},
    )
    repair.vendor_reference = reference
    repair.promised_visit_at = visit_at
    if visit_at is not None:
        repair.status = REPAIR_SCHEDULED
    db.session.flush()
    audit.record(actor, "equipment.repair.visit", repair, changes)


def close_repair(
    repair: Repair,
    *,
    actor: User,
    cost: Any,
    parts: str | None,
    work_done: str | None,
    back_in_service: bool = True,
) -> None:
    """The machine was repaired: cost (required), parts and what was done; back in use."""
    if repair.status == REPAIR_CLOSED:
        raise InvalidTransition(_("This repair is closed."))
    amount = parse_decimal(cost, "cost")
    if amount is None:
        raise ValidationError(_("Enter the cost of the repair (0 if none)."), field="cost")
    done = text_block(work_done, 4000)
    if not done:
        raise ValidationError(_("Say what was done."), field="work_done")
    repair.status = REPAIR_CLOSED
    repair.cost = amount
    repair.parts = clean(parts, 500)
    repair.work_done = done
    repair.closed_at = utcnow()
    repair.closed_by_id = actor.id
    if repair.fault is not None and repair.fault.closed_at is None:
        repair.fault.status = "closed"
        repair.fault.closed_at = repair.closed_at
    db.session.flush()
    audit.record(actor, "equipment.repair.closed", repair, {"cost": str(amount)})
    record_event(
        repair.asset, "repair_closed", done[:300], actor=actor, details={"cost": str(amount)}
    )
    if back_in_service:
        back_in_use(repair.asset, actor=actor)


def get_repair_or_404(repair_id: int) -> Repair:
    repair = db.session.get(Repair, repair_id)
    if repair is None:
        raise NotFound(_("This repair does not exist."))
    return repair


def repair_for_fault(fault_id: int) -> Repair | None:
    return db.session.scalar(
        select(Repair).where(Repair.fault_id == fault_id).order_by(Repair.id.desc()).limit(1)
    )


def submission(repair: Repair) -> OutboundMessage | None:
    return db.session.get(OutboundMessage, repair.message_id) if repair.message_id else None


def _uncertain(repair: Repair) -> OutboundMessage:
    message = submission(repair)
    if message is None or message.status != OUTBOX_UNCERTAIN:
        raise InvalidTransition(_("The e-mail to the vendor is not uncertain."))
    return message


def confirm_sent(repair: Repair, *, actor: User) -> None:
    """A person checked with the vendor: the repair request did arrive (it is never resent)."""
    message = _uncertain(repair)
    message.status = OUTBOX_SENT
    message.sent_at = utcnow()
    message.last_error = _("Confirmed as received by the vendor by %(name)s.", name=actor.name)
    db.session.flush()
    audit.record(actor, "equipment.repair.sent_confirmed", repair, {"message": message.id})
    record_event(
        repair.asset,
        "repair_confirmed",
        repair.vendor_email,
        actor=actor,
        details={"repair": repair.id},
    )


def resend(repair: Repair, *, actor: User) -> None:
    """A person checked with the vendor: it did not arrive; the same e-mail goes out again."""
    message = _uncertain(repair)
    message.status = OUTBOX_PENDING
    message.next_attempt_at = utcnow()
    message.lease_until = None
    message.last_error = None
    db.session.flush()
    outbox.nudge_after_commit(message)
    audit.record(actor, "equipment.repair.resent", repair, {"message": message.id})
    record_event(
        repair.asset,
        "repair_resent",
        repair.vendor_email,
        actor=actor,
        details={"repair": repair.id},
    )


def asset_repairs(asset_id: int, limit: int = 10) -> list[Any]:
    """A machine's latest repairs: plain rows ``id, requested_at, status, cost``."""
    return list(
        db.session.execute(
            select(Repair.id, Repair.requested_at, Repair.status, Repair.cost)
            .where(Repair.asset_id == asset_id)
            .order_by(Repair.requested_at.desc(), Repair.id.desc())
            .limit(limit)
        )
    )


def open_repairs(limit: int = 50) -> list[Any]:
    """Open repairs, longest waiting first (the dashboard): plain rows."""
    return list(
        db.session.execute(
            select(
                Repair.id,
                Repair.status,
                Repair.requested_at,
                Repair.response_due_at,
                Repair.promised_visit_at,
                Asset.id.label("asset_id"),
                Asset.asset_tag,
                Asset.make,
                Asset.model,
            )
            .join(Asset, Asset.id == Repair.asset_id)
            .where(Repair.status != REPAIR_CLOSED)
            .order_by(Repair.requested_at)
            .limit(limit)
        )
    )


def remind_overdue(now: datetime | None = None) -> int:
    """Tell back office once per repair whose promised response time passed without a visit."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(Repair)
            .where(
                Repair.status == REPAIR_REQUESTED,
                Repair.response_due_at < now,
                Repair.overdue_alerted_at.is_(None),
            )
            .order_by(Repair.id)
            .limit(500)
        )
    )
    people = _back_office() if due else []
    for repair in due:
        repair.overdue_alerted_at = now
        for person in people:
            notify(
                person,
                "equipment.repair",
                repair,
                text=_l(
                    "The vendor has not come for %(tag)s within the contract's response time.",
                    tag=repair.asset.asset_tag,
                ),
                url=path(f"/repairs/{repair.id}"),
                dedupe_key=f"equipment.repair.overdue:{repair.id}:{person.id}",
            )
    db.session.flush()
    return len(due)


def repair_totals(asset_id: int) -> tuple[Any, int]:
    total, count = db.session.execute(
        select(func.coalesce(func.sum(Repair.cost), 0), func.count(Repair.id)).where(
            Repair.asset_id == asset_id
        )
    ).one()
    return total, int(count or 0)
