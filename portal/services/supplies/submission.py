"""Sending an approved order to the supplier: the e-mail with the PDF (``order_pdf``) and CSV,
the outbox row (at most once), and what happens when delivery is confirmed, uncertain or must
be repeated.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.errors import InvalidTransition
from portal.exports import write_csv
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.outbox import PENDING as OUTBOX_PENDING
from portal.models.outbox import SENT as OUTBOX_SENT
from portal.models.outbox import UNCERTAIN as OUTBOX_UNCERTAIN
from portal.models.outbox import OutboundMessage
from portal.models.supplies import (
    APPROVED,
    SENT,
    PurchaseOrder,
)
from portal.services import audit, outbox
from portal.services.supplies.order_pdf import render_pdf, supplier_document
from portal.services.supplies.orders import _transition


def order_csv(order: PurchaseOrder) -> bytes:
    """The order's lines as CSV for the supplier (formula-safe: it opens in their spreadsheet)."""
    header = ["order", "sku", "item", "quantity", "unit", "unit_cost", "line_total"]
    rows = [
        [
            order.number,
            line.item.sku,
            line.item.name,
            line.quantity,
            line.item.unit,
            f"{line.unit_cost:.2f}",
            f"{line.line_total:.2f}",
        ]
        for line in order.lines
    ]
    return write_csv([header, *rows]).encode("utf-8")


def _queue_submission(order: PurchaseOrder) -> None:
    """Write the order to the supplier to the outbox: one e-mail in the supplier's language with
    the PDF (same document) and the CSV."""
    doc = supplier_document(order)
    message = outbox.queue_email(
        order.supplier.order_email,
        "supplies/supplier_order",
        # to_candidate: an outside recipient, so the e-mail speaks for the company (see
        # emails/_base), not for the portal.
        {"doc": doc, "to_candidate": True},
        locale=doc.locale,
        kind="supplier_order",
        attachments=[
            outbox.Attachment(f"{order.number}.pdf", "application/pdf", render_pdf(doc)),
            outbox.Attachment(f"{order.number}.csv", "text/csv", order_csv(order)),
        ],
        dedupe_key=f"po:{order.id}:submit",
        target=order,
    )
    order.submission_id = message.id
    db.session.flush()


def refresh_submission(order: PurchaseOrder) -> bool:
    """Move an approved order to "sent" once its outbox row is sent; True if it changed."""
    if order.status != APPROVED or order.submission is None:
        return False
    if order.submission.status != OUTBOX_SENT:
        return False
    _transition(
        order,
        seen_version=order.version,
        allowed_from=(APPROVED,),
        actor=None,
        status=SENT,
        sent_at=order.submission.sent_at or utcnow(),
    )
    return True


def sync_sent_orders() -> int:
    """Set-based: every approved order whose submission was sent becomes "sent"."""
    sent = select(OutboundMessage.id).where(OutboundMessage.status == OUTBOX_SENT)
    result = db.session.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.status == APPROVED, PurchaseOrder.submission_id.in_(sent))
        .values(
            status=SENT,
            sent_at=utcnow(),
            version=PurchaseOrder.version + 1,
            updated_at=utcnow(),
            updated_by_id=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _uncertain(order: PurchaseOrder):
    message = order.submission
    if message is None or message.status != OUTBOX_UNCERTAIN:
        raise InvalidTransition(_("The submission of this order is not uncertain."))
    return message


def confirm_submission(order: PurchaseOrder, *, actor: User) -> None:
    """A person checked with the supplier: the order did arrive."""
    message = _uncertain(order)
    message.status = OUTBOX_SENT
    message.sent_at = utcnow()
    message.last_error = _("Confirmed as received by the supplier by %(name)s.", name=actor.name)
    db.session.flush()
    audit.record(actor, "supplies.order.submission_confirmed", order)
    if order.status == APPROVED:
        refresh_submission(order)


def resend_submission(order: PurchaseOrder, *, actor: User) -> None:
    """A person checked with the supplier: the order did not arrive; send it again."""
    message = _uncertain(order)
    message.status = OUTBOX_PENDING
    message.next_attempt_at = utcnow()
    message.lease_until = None
    message.last_error = None
    db.session.flush()
    outbox.nudge_after_commit(message)
    audit.record(actor, "supplies.order.submission_resent", order)
