"""Search providers for the areas that exist now: front desk, supplies, recruiting, inbox.

Each is one SELECT with LIMIT/OFFSET that starts from the table's full-text index, newest
first (``indexed.newest_matching``), joined back to the row for the columns shown and the
permission filter, built once and run with new parameters (``indexed.execute``); links
are built with ``url_for`` to the page the hit lives on, whose
permission the registration repeats (see ``portal.blueprints.search``).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import bindparam, func, or_, select, text

from portal.extensions import db
from portal.models.frontdesk import (
    OPEN,
    OPEN_OUTCOMES,
    RETURNED,
    Call,
    Fax,
    StaffRequest,
    Visit,
)
from portal.models.inbox import InboxMessage
from portal.models.recruiting import Application, Candidate, Opening
from portal.models.supplies import PurchaseOrder, Supplier, SupplyItem, order_number
from portal.services.search import Hit, Query
from portal.services.search.indexed import (
    execute,
    ids_matching,
    newest_matching,
    row_matches,
    window,
)

# --- front desk ----------------------------------------------------------------------------------


def _calls() -> Any:
    columns = select(Call.id, Call.caller_name, Call.company, Call.phone, Call.created_at)
    return window(newest_matching(columns, Call).where(Call.voided_at.is_(None)))


def calls(query: Query, user: Any) -> list[Hit]:
    return [
        Hit(
            r.caller_name,
            url_for("frontdesk.desk.call_detail", call_id=r.id),
            " · ".join(x for x in (r.company, r.phone) if x),
            r.created_at,
        )
        for r in execute("calls", _calls, query, Call)
    ]


def _messages() -> Any:
    # From the user's own open messages (their index: a few rows), each checked against the
    # full-text index: starting from the index would walk every matching call in the house.
    return window(
        select(Call.id, Call.caller_name, Call.message, Call.created_at)
        .where(
            Call.recipient_id == bindparam("user_id"),
            # implied by an open outcome for a recipient, and what the (recipient, status)
            # index answers: the user's messages, not every call they were ever the subject of
            Call.status.in_((OPEN, RETURNED)),
            Call.outcome.in_(OPEN_OUTCOMES),
            Call.voided_at.is_(None),
            row_matches(Call),
        )
        .order_by(Call.id.desc())
    )


# SQLite: the same, told to start from the user's (recipient, status) index: its statistics
# may call that index useless (thousands of calls about one person, all closed) and walk every
# call backwards instead. SQLAlchemy renders no SQLite index hint, hence the text.
_MESSAGES_SQLITE = text(
    "SELECT c.id, c.caller_name, c.message, c.created_at "
    "FROM frontdesk_call AS c INDEXED BY ix_frontdesk_call_recipient_status "
    "WHERE c.recipient_id = :user_id AND c.status IN (:open, :returned) "
    "AND c.outcome IN (:message, :callback) AND c.voided_at IS NULL "
    "AND EXISTS (SELECT 1 FROM search_fts_frontdesk_call AS f "
    "WHERE f.rowid = c.id AND f.body MATCH :search_frontdesk_call) "
    "ORDER BY c.id DESC LIMIT :search_limit OFFSET :search_offset"
).bindparams(open=OPEN, returned=RETURNED, message=OPEN_OUTCOMES[0], callback=OPEN_OUTCOMES[1])


def messages(query: Query, user: Any) -> list[Hit]:
    """Messages taken for the user (everyone sees only their own here)."""
    return [
        Hit(
            r.caller_name,
            url_for("frontdesk.inbox.messages") + f"#call-{r.id}",
            (r.message or "")[:120],
            r.created_at,
        )
        for r in execute(
            "messages",
            lambda: _MESSAGES_SQLITE if db.engine.dialect.name == "sqlite" else _messages(),
            query,
            Call,
            user_id=user.id,
        )
    ]


def _faxes() -> Any:
    columns = select(Fax.id, Fax.correspondent, Fax.number, Fax.created_at)
    return window(newest_matching(columns, Fax).where(Fax.voided_at.is_(None)))


def faxes(query: Query, user: Any) -> list[Hit]:
    return [
        Hit(
            r.correspondent,
            url_for("frontdesk.desk.edit_fax", fax_id=r.id),
            r.number or "",
            r.created_at,
        )
        for r in execute("faxes", _faxes, query, Fax)
    ]


def _visitors() -> Any:
    columns = select(Visit.id, Visit.visitor_name, Visit.company, Visit.arrived_at)
    return window(newest_matching(columns, Visit).where(Visit.voided_at.is_(None)))


def visitors(query: Query, user: Any) -> list[Hit]:
    return [
        Hit(
            r.visitor_name,
            url_for("frontdesk.desk.edit_visit", visit_id=r.id),
            r.company or "",
            r.arrived_at,
        )
        for r in execute("visitors", _visitors, query, Visit)
    ]


def _requests(*, by_number: bool, own: bool) -> Any:
    columns = select(
        StaffRequest.id, StaffRequest.title, StaffRequest.status, StaffRequest.created_at
    )
    if by_number:  # "#123": that one, or the text
        stmt = columns.where(
            or_(
                StaffRequest.id == bindparam("number"),
                StaffRequest.id.in_(ids_matching(StaffRequest)),
            )
        ).order_by(StaffRequest.id.desc())
    else:
        stmt = newest_matching(columns, StaffRequest)
    if own:
        stmt = stmt.where(StaffRequest.requester_id == bindparam("user_id"))
    return window(stmt)


def requests(query: Query, user: Any) -> list[Hit]:
    """Back office finds every request; everyone else only their own (as on the page)."""
    by_number = bool(query.digits) and query.digits == query.folded.lstrip("#")
    own = not user.can("requests.triage")
    extra: dict[str, Any] = {"user_id": user.id} if own else {}
    if by_number:
        extra["number"] = int(query.digits[:9])
    rows = execute(
        f"requests:{by_number}:{own}",
        lambda: _requests(by_number=by_number, own=own),
        query,
        StaffRequest,
        **extra,
    )
    return [
        Hit(
            f"#{r.id} {r.title}",
            url_for("frontdesk.requests.request_detail", request_id=r.id),
            "",
            r.created_at,
        )
        for r in rows
    ]


# --- supplies ------------------------------------------------------------------------------------


def _supply_items() -> Any:
    return window(
        newest_matching(select(SupplyItem.id, SupplyItem.name, SupplyItem.sku), SupplyItem)
    )


def supply_items(query: Query, user: Any) -> list[Hit]:
    return [
        Hit(r.name, url_for("supplies.item", item_id=r.id), r.sku)
        for r in execute("supply_items", _supply_items, query, SupplyItem)
    ]


def _suppliers() -> Any:
    columns = select(Supplier.id, Supplier.name, Supplier.order_email, Supplier.phone)
    return window(newest_matching(columns, Supplier))


def suppliers(query: Query, user: Any) -> list[Hit]:
    return [
        Hit(r.name, url_for("supplies.suppliers", q=r.name), r.order_email)
        for r in execute("suppliers", _suppliers, query, Supplier)
    ]


def _purchase_orders(*, by_number: bool) -> Any:
    if by_number:
        condition = PurchaseOrder.id == bindparam("number")
    else:
        condition = PurchaseOrder.supplier_id.in_(ids_matching(Supplier))
    return window(
        select(PurchaseOrder.id, PurchaseOrder.status, PurchaseOrder.created_at, Supplier.name)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(condition)
        # "+ 0": newest first by sorting the matching suppliers' orders (their index), not
        # by walking every order backwards looking for them
        .order_by((PurchaseOrder.id + 0).desc())
    )


def purchase_orders(query: Query, user: Any) -> list[Hit]:
    """By number ("PO-00021", "21") or else by supplier name (each read from an index)."""
    digits = query.digits.lstrip("0")
    by_number = bool(
        digits and len(digits) <= 9 and query.folded.replace("po", "").strip(" -#0123456789") == ""
    )
    extra = {"number": int(digits)} if by_number else {}
    rows = execute(
        f"purchase_orders:{by_number}",
        lambda: _purchase_orders(by_number=by_number),
        query,
        Supplier,
        **extra,
    )
    return [
        Hit(order_number(r.id), url_for("supplies.order", order_id=r.id), r.name, r.created_at)
        for r in rows
    ]


# --- recruiting (HR) -----------------------------------------------------------------------------


def _candidates() -> Any:
    latest = (
        select(func.max(Application.id))
        .where(Application.candidate_id == Candidate.id)
        .scalar_subquery()
    )
    applied = select(Application.id).where(Application.candidate_id == Candidate.id).exists()
    columns = select(Candidate.id, Candidate.name, Candidate.email, latest.label("application_id"))
    return window(newest_matching(columns, Candidate).where(applied))


def candidates(query: Query, user: Any) -> list[Hit]:
    """Each matching candidate's latest application (the page that shows a candidate)."""
    return [
        Hit(
            r.name,
            url_for("recruiting.application", application_id=r.application_id),
            r.email or "",
        )
        for r in execute("candidates", _candidates, query, Candidate)
    ]


def _openings() -> Any:
    columns = select(Opening.id, Opening.title, Opening.location, Opening.created_at)
    return window(newest_matching(columns, Opening))


def openings(query: Query, user: Any) -> list[Hit]:
    return [
        Hit(r.title, url_for("recruiting.opening", opening_id=r.id), r.location, r.created_at)
        for r in execute("openings", _openings, query, Opening)
    ]


# --- shared inbox --------------------------------------------------------------------------------


def _inbox_messages() -> Any:
    columns = select(
        InboxMessage.id,
        InboxMessage.subject,
        InboxMessage.from_name,
        InboxMessage.from_address,
        InboxMessage.received_at,
    )
    return window(newest_matching(columns, InboxMessage))


def inbox_messages(query: Query, user: Any) -> list[Hit]:
    return [
        Hit(
            r.subject or r.from_address,
            url_for("inbox.detail", message_id=r.id),
            r.from_name or r.from_address,
            r.received_at,
        )
        for r in execute("inbox", _inbox_messages, query, InboxMessage)
    ]
