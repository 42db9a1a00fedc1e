"""Front desk's part of an exit hand-over: open messages and assigned staff requests.

Registered with ``registry.handover_provider`` (portal/blueprints/frontdesk/__init__.py); the
people area calls it when someone leaves, without importing anything of the front desk.
"""

from __future__ import annotations

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import User
from portal.models.frontdesk import IN_PROGRESS, NEW, OPEN, Call, StaffRequest
from portal.services import audit


def hand_over(leaver: User, colleague: User, *, actor: User | None) -> int:
    """Move the leaver's open "while you were out" messages and assigned requests.

    Messages (and callbacks) still open go to ``colleague``'s "My messages".  Requests still new
    or in progress go to ``colleague`` when they may triage requests, otherwise back to the
    triage queue (unassigned) so nobody is left holding work they cannot see.  Returns how many
    items moved; a second call finds nothing left.
    """
    calls = list(
        db.session.scalars(
            select(Call.id)
            .where(Call.recipient_id == leaver.id, Call.status == OPEN)
            .order_by(Call.id)
        )
    )
    if calls:
        db.session.execute(
            update(Call)
            .where(Call.id.in_(calls), Call.recipient_id == leaver.id, Call.status == OPEN)
            .values(recipient_id=colleague.id)
            .execution_options(synchronize_session="fetch")
        )
    requests = list(
        db.session.scalars(
            select(StaffRequest.id)
            .where(
                StaffRequest.assignee_id == leaver.id,
                StaffRequest.status.in_((NEW, IN_PROGRESS)),
            )
            .order_by(StaffRequest.id)
        )
    )
    to_id = colleague.id if colleague.can("requests.triage") else None
    if requests:
        db.session.execute(
            update(StaffRequest)
            .where(StaffRequest.id.in_(requests), StaffRequest.assignee_id == leaver.id)
            .values(assignee_id=to_id)
            .execution_options(synchronize_session="fetch")
        )
    if calls or requests:
        audit.record(
            actor,
            "frontdesk.handover",
            leaver,
            {"to": colleague.id, "messages": calls, "requests": requests, "requests_to": to_id},
        )
    return len(calls) + len(requests)
