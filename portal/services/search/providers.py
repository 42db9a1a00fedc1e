"""Search providers for the areas that exist now: front desk, supplies, recruiting, inbox.

Each is one SELECT with LIMIT/OFFSET; links are built with ``url_for`` to the page the hit
lives on, whose permission the registration repeats (see ``portal.blueprints.search``).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.models.frontdesk import OPEN_OUTCOMES, Call, Fax, StaffRequest, Visit
from portal.models.inbox import InboxMessage
from portal.models.recruiting import Application, Candidate, Opening
from portal.models.supplies import PurchaseOrder, Supplier, SupplyItem, order_number
from portal.services.search import Hit, Query
from portal.services.search.indexed import matching


def _window(stmt: Any, query: Query) -> Any:
    return stmt.limit(query.limit).offset(query.offset)


# --- front desk ----------------------------------------------------------------------------------


def calls(query: Query, user: Any) -> list[Hit]:
    stmt = (
        select(Call.id, Call.caller_name, Call.company, Call.phone, Call.created_at)
        .where(
            Call.voided_at.is_(None),
            matching(query, Call, folded=(Call.caller_name, Call.company), phones=(Call.phone,)),
        )
        .order_by(Call.created_at.desc(), Call.id.desc())
    )
    return [
        Hit(
            r.caller_name,
            url_for("frontdesk.desk.call_detail", call_id=r.id),
            " · ".join(x for x in (r.company, r.phone) if x),
            r.created_at,
        )
        for r in db.session.execute(_window(stmt, query))
    ]


def messages(query: Query, user: Any) -> list[Hit]:
    """Messages taken for the user (everyone sees only their own here)."""
    stmt = (
        select(Call.id, Call.caller_name, Call.message, Call.created_at)
        .where(
            Call.recipient_id == user.id,
            Call.outcome.in_(OPEN_OUTCOMES),
            Call.voided_at.is_(None),
            matching(
                query,
                Call,
                folded=(Call.caller_name, Call.company, Call.message),
                phones=(Call.phone,),
            ),
        )
        .order_by(Call.created_at.desc(), Call.id.desc())
    )
    return [
        Hit(
            r.caller_name,
            url_for("frontdesk.inbox.messages") + f"#call-{r.id}",
            (r.message or "")[:120],
            r.created_at,
        )
        for r in db.session.execute(_window(stmt, query))
    ]


def faxes(query: Query, user: Any) -> list[Hit]:
    stmt = (
        select(Fax.id, Fax.correspondent, Fax.number, Fax.created_at)
        .where(
            Fax.voided_at.is_(None),
            matching(query, Fax, folded=(Fax.correspondent,), phones=(Fax.number,)),
        )
        .order_by(Fax.created_at.desc(), Fax.id.desc())
    )
    return [
        Hit(
            r.correspondent,
            url_for("frontdesk.desk.edit_fax", fax_id=r.id),
            r.number or "",
            r.created_at,
        )
        for r in db.session.execute(_window(stmt, query))
    ]


def visitors(query: Query, user: Any) -> list[Hit]:
    stmt = (
        select(Visit.id, Visit.visitor_name, Visit.company, Visit.arrived_at)
        .where(
            Visit.voided_at.is_(None),
            matching(query, Visit, folded=(Visit.visitor_name, Visit.company)),
        )
        .order_by(Visit.arrived_at.desc(), Visit.id.desc())
    )
    return [
        Hit(
            r.visitor_name,
            url_for("frontdesk.desk.edit_visit", visit_id=r.id),
            r.company or "",
            r.arrived_at,
        )
        for r in db.session.execute(_window(stmt, query))
    ]


def requests(query: Query, user: Any) -> list[Hit]:
    """Back office finds every request; everyone else only their own (as on the page)."""
    conditions = [
        matching(query, StaffRequest, folded=(StaffRequest.title, StaffRequest.description))
    ]
    if query.digits and query.digits == query.folded.lstrip("#"):
        conditions.append(StaffRequest.id == int(query.digits[:9]))
    stmt = select(
        StaffRequest.id, StaffRequest.title, StaffRequest.status, StaffRequest.created_at
    ).where(or_(*conditions))
    if not user.can("requests.triage"):
        stmt = stmt.where(StaffRequest.requester_id == user.id)
    stmt = stmt.order_by(StaffRequest.created_at.desc(), StaffRequest.id.desc())
    return [
        Hit(
            f"#{r.id} {r.title}",
            url_for("frontdesk.requests.request_detail", request_id=r.id),
            "",
            r.created_at,
        )
        for r in db.session.execute(_window(stmt, query))
    ]


# --- supplies ------------------------------------------------------------------------------------


def supply_items(query: Query, user: Any) -> list[Hit]:
    stmt = (
        select(SupplyItem.id, SupplyItem.name, SupplyItem.sku)
        .where(matching(query, SupplyItem, folded=(SupplyItem.name, SupplyItem.sku)))
        .order_by(SupplyItem.name, SupplyItem.id)
    )
    return [
        Hit(r.name, url_for("supplies.item", item_id=r.id), r.sku)
        for r in db.session.execute(_window(stmt, query))
    ]


def suppliers(query: Query, user: Any) -> list[Hit]:
    stmt = (
        select(Supplier.id, Supplier.name, Supplier.order_email, Supplier.phone)
        .where(
            matching(
                query,
                Supplier,
                folded=(Supplier.name, Supplier.order_email),
                phones=(Supplier.phone,),
            )
        )
        .order_by(Supplier.name, Supplier.id)
    )
    return [
        Hit(r.name, url_for("supplies.suppliers", q=r.name), r.order_email)
        for r in db.session.execute(_window(stmt, query))
    ]


def purchase_orders(query: Query, user: Any) -> list[Hit]:
    """By number ("PO-00021", "21") or else by supplier name (each read from an index)."""
    digits = query.digits.lstrip("0")
    if digits and len(digits) <= 9 and query.folded.replace("po", "").strip(" -#0123456789") == "":
        condition = PurchaseOrder.id == int(digits)
    else:
        named = select(Supplier.id).where(matching(query, Supplier, folded=(Supplier.name,)))
        condition = PurchaseOrder.supplier_id.in_(named)
    stmt = (
        select(PurchaseOrder.id, PurchaseOrder.status, PurchaseOrder.created_at, Supplier.name)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(condition)
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
    )
    return [
        Hit(order_number(r.id), url_for("supplies.order", order_id=r.id), r.name, r.created_at)
        for r in db.session.execute(_window(stmt, query))
    ]


# --- recruiting (HR) -----------------------------------------------------------------------------


def candidates(query: Query, user: Any) -> list[Hit]:
    """Each matching candidate's latest application (the page that shows a candidate)."""
    latest = (
        select(func.max(Application.id))
        .where(Application.candidate_id == Candidate.id)
        .scalar_subquery()
    )
    applied = select(Application.id).where(Application.candidate_id == Candidate.id).exists()
    stmt = (
        select(Candidate.id, Candidate.name, Candidate.email, latest.label("application_id"))
        .where(
            applied,
            matching(
                query,
                Candidate,
                folded=(Candidate.name, Candidate.email),
                phones=(Candidate.phone,),
            ),
        )
        .order_by(Candidate.name, Candidate.id)
    )
    return [
        Hit(
            r.name,
            url_for("recruiting.application", application_id=r.application_id),
            r.email or "",
        )
        for r in db.session.execute(_window(stmt, query))
    ]


def openings(query: Query, user: Any) -> list[Hit]:
    stmt = (
        select(Opening.id, Opening.title, Opening.location, Opening.created_at)
        .where(matching(query, Opening, folded=(Opening.title, Opening.location)))
        .order_by(Opening.created_at.desc(), Opening.id.desc())
    )
    return [
        Hit(r.title, url_for("recruiting.opening", opening_id=r.id), r.location, r.created_at)
        for r in db.session.execute(_window(stmt, query))
    ]


# --- shared inbox --------------------------------------------------------------------------------


def inbox_messages(query: Query, user: Any) -> list[Hit]:
    # search_text is stored folded: a plain LIKE, no per-row translate.
    stmt = (
        select(
            InboxMessage.id,
            InboxMessage.subject,
            InboxMessage.from_name,
            InboxMessage.from_address,
            InboxMessage.received_at,
        )
        .where(matching(query, InboxMessage, plain=(InboxMessage.search_text,)))
        .order_by(InboxMessage.received_at.desc(), InboxMessage.id.desc())
    )
    return [
        Hit(
            r.subject or r.from_address,
            url_for("inbox.detail", message_id=r.id),
            r.from_name or r.from_address,
            r.received_at,
        )
        for r in db.session.execute(_window(stmt, query))
    ]
