"""The purchase-order list as rows for an export (``portal.exports.export_response``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import User
from portal.models.supplies import (
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplyCategory,
    order_number,
)
from portal.services.supplies.orders import _order_filters, status_label

ORDER_CSV_COLUMNS = [
    "order",
    "status",
    "supplier",
    "category",
    "requester",
    "created_at",
    "submitted_at",
    "approved_at",
    "approved_by",
    "on_behalf_of",
    "lines",
    "total",
]


def order_export_header() -> list[str]:
    """The export's column titles in the reader's language (ORDER_CSV_COLUMNS' order)."""
    return [
        _("Order"),
        _("Status"),
        _("Supplier"),
        _("Category"),
        _("Requested by"),
        _("Created"),
        _("Submitted"),
        _("Approved"),
        _("Approved by"),
        _("On behalf of"),
        _("Lines"),
        _("Total (R$)"),
    ]


def export_orders_csv(*, status: str = "", q: str = "") -> Iterator[list[Any]]:
    """The purchase-order list's rows for an export (portal.exports.export_response), header
    first, with the list's filters, newest first: labels not codes, typed values.

    One query over plain rows (no ORM objects), so exporting years of orders stays cheap; times
    are written in the reader's time zone by the exporter.
    """
    requester, approver, manager = aliased(User), aliased(User), aliased(User)
    lines = (
        select(func.count(PurchaseOrderLine.id))
        .where(PurchaseOrderLine.order_id == PurchaseOrder.id)
        .correlate(PurchaseOrder)
        .scalar_subquery()
    )
    stmt = _order_filters(
        select(
            PurchaseOrder.id,
            PurchaseOrder.status,
            Supplier.name,
            SupplyCategory.name,
            requester.name,
            PurchaseOrder.created_at,
            PurchaseOrder.submitted_at,
            PurchaseOrder.approved_at,
            approver.name,
            manager.name,
            lines,
            PurchaseOrder.total,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .outerjoin(SupplyCategory, SupplyCategory.id == PurchaseOrder.category_id)
        .join(requester, requester.id == PurchaseOrder.requester_id)
        .outerjoin(approver, approver.id == PurchaseOrder.approver_id)
        .outerjoin(manager, manager.id == PurchaseOrder.on_behalf_of_id)
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc()),
        status=status,
        q=q,
    )

    def rows() -> Iterator[list[Any]]:
        yield order_export_header()
        for row in db.session.execute(stmt.execution_options(yield_per=1000)):
            (oid, st, supplier, category, req, created, submitted, approved, by, for_, n, total) = (
                row
            )
            yield [
                order_number(oid),
                status_label(st),
                supplier,
                category,
                req,
                created,
                submitted,
                approved,
                by,
                for_,
                n,
                Decimal(total or 0).quantize(Decimal("0.01")),
            ]

    return rows()
