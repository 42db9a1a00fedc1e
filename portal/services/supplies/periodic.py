"""The periodic supplies jobs' rules (called from worker/jobs/supplies.py): escalating orders that
wait too long and the daily low-stock notice; each runs at most once per order or per day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.supplies import (
    PENDING_APPROVAL,
    PurchaseOrder,
    SupplyAlert,
    SupplyItem,
    local_today,
)
from portal.services import notifications
from portal.services.supplies.chain import chain_for
from portal.services.supplies.common import _url, users_with_role
from portal.services.supplies.suggestions import refresh_daily_use, suggestions


def escalate_waiting_orders(*, now: datetime | None = None) -> int:
    """Escalate orders pending longer than the limit, once per order: the next approver in the
    chain (a director above the office managers) may approve them from then on, and they, the
    approvers who should have acted and the admins are told."""
    now = now or utcnow()
    days = int(current_app.config.get("SUPPLIES_ESCALATE_AFTER_DAYS", 3))
    cutoff = now - timedelta(days=days)
    due = list(
        db.session.scalars(
            select(PurchaseOrder.id).where(
                PurchaseOrder.status == PENDING_APPROVAL,
                PurchaseOrder.submitted_at <= cutoff,
                PurchaseOrder.escalated_at.is_(None),
            )
        )
    )
    admins = users_with_role("admin")
    count = 0
    for order_id in due:
        claimed = db.session.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.id == order_id, PurchaseOrder.escalated_at.is_(None))
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        order = db.session.get(PurchaseOrder, order_id)
        db.session.refresh(order)
        people = {a.user.id: a.user for a in chain_for(order).approvers}
        people.update((u.id, u) for u in admins)
        for user in people.values():
            notifications.notify(
                user,
                "supplies.escalated",
                order,
                _l("%(number)s (%(supplier)s, %(total)s) has waited for approval since %(date)s."),
                {
                    "number": order.number,
                    "supplier": order.supplier.name,
                    "total": notifications.Money(order.total),
                    "date": order.submitted_at,
                },
                url=_url("supplies.order", order_id=order_id),
                dedupe_key=f"po:{order_id}:escalated:{user.id}",
            )
        count += 1
    return count


def claim_alert(key: str) -> bool:
    """Insert a dedupe key; False if another run already did (unique constraint)."""
    if db.session.scalar(select(SupplyAlert.id).where(SupplyAlert.key == key)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SupplyAlert(key=key))
    except IntegrityError:
        return False
    return True


def notify_low_stock(*, today: date | None = None) -> int:
    """Once a day, tell back office which items newly run low; return how many."""
    today = today or local_today()
    if not claim_alert(f"low-stock:{today.isoformat()}"):
        return 0
    refresh_daily_use()  # once a day too: lead-time allowances follow recent use
    low = suggestions()
    low_ids = [s.item_id for s in low]
    # Items no longer low may alert again next time they run low.
    reset = update(SupplyItem).where(SupplyItem.low_alerted_on.is_not(None))
    if low_ids:
        reset = reset.where(SupplyItem.id.notin_(low_ids))
    db.session.execute(
        reset.values(low_alerted_on=None).execution_options(synchronize_session=False)
    )
    new = [s for s in low if s.low_alerted_on is None]
    if not new:
        return 0
    db.session.execute(
        update(SupplyItem)
        .where(SupplyItem.id.in_([s.item_id for s in new]))
        .values(low_alerted_on=today)
        .execution_options(synchronize_session=False)
    )
    names = ", ".join(s.name for s in new[:5]) + ("…" if len(new) > 5 else "")
    for user in users_with_role("back_office"):
        notifications.notify(
            user,
            "supplies.low_stock",
            None,
            lazy_ngettext(
                "%(num)d item now runs low: %(names)s",
                "%(num)d items now run low: %(names)s",
                len(new),
            ),
            {"names": names},
            url=_url("supplies.suggestions"),
            dedupe_key=f"low-stock:{today.isoformat()}:{user.id}",
        )
    return len(new)
