"""Approvals: the approval rules (bands), who may approve an order and on whose behalf, submitting
for approval, approving and rejecting (one or in bulk), and the approval queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, or_, select

from portal.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.supplies import (
    APPROVED,
    DRAFT,
    PENDING_APPROVAL,
    ApprovalRule,
    PurchaseOrder,
    PurchaseOrderContributor,
    PurchaseOrderLine,
    Supplier,
    SupplyCategory,
    order_number,
)
from portal.pagination import RowPage, paged, row_page
from portal.routing import parse_int
from portal.services import audit, notifications
from portal.services.supplies.budgets import budget_used
from portal.services.supplies.chain import (
    approval_chain,
    authority,
    chain_for,
    composers_of,
    load_context,
)
from portal.services.supplies.common import _decimal, _url, money
from portal.services.supplies.orders import (
    _check_version,
    _recompute,
    _transition,
    composed_by,
)
from portal.services.supplies.submission import _queue_submission

# --- submitting for approval ----------------------------------------------------------------------


def submit_order(
    order: PurchaseOrder, *, actor: User, seen_version: int | None = None
) -> list[User]:
    """Send a draft for approval and notify whoever may approve it; return them."""
    _check_version(order, seen_version)
    if order.status != DRAFT:
        raise InvalidTransition(
            _("This order is %(status)s; only drafts can be submitted.", status=order.status_label)
        )
    if not order.lines:
        raise ValidationError(_("Add at least one line before submitting."), field="item_id")
    _recompute(order)
    _transition(
        order,
        seen_version=order.version,
        allowed_from=(DRAFT,),
        actor=actor,
        status=PENDING_APPROVAL,
        submitted_at=utcnow(),
        rejected_reason=None,
        rejected_by_id=None,
        escalated_at=None,
    )
    audit.record(actor, "supplies.order.submit", order, {"total": str(order.total)})
    rule = rule_for(order)
    if rule is not None and rule.auto_approve and over_budget(order) is None:
        _auto_approve(order)
        return []
    approvers = approvers_for(order)
    url = _url("supplies.order", order_id=order.id)
    for user in approvers:
        notifications.notify(
            user,
            "supplies.approval_needed",
            order,
            _l("%(number)s from %(requester)s (%(supplier)s, %(total)s) waits for your approval."),
            {
                "number": order.number,
                "requester": order.requester.name,
                "supplier": order.supplier.name,
                "total": notifications.Money(order.total),
            },
            url=url,
            dedupe_key=f"po:{order.id}:v{order.version}:approve:{user.id}",
        )
    return approvers


def _auto_approve(order: PurchaseOrder) -> None:
    """A small order within budget, in a band that approves itself: no person needed."""
    _transition(
        order,
        seen_version=order.version,
        allowed_from=(PENDING_APPROVAL,),
        actor=None,
        status=APPROVED,
        auto_approved=True,
        approved_at=utcnow(),
    )
    audit.record(None, "supplies.order.auto_approve", order, {"total": str(order.total)})
    _queue_submission(order)
    notifications.notify(
        order.requester,
        "supplies.order_decided",
        order,
        _l("%(number)s was approved automatically (small amount within budget)."),
        {"number": order.number},
        url=_url("supplies.order", order_id=order.id),
        dedupe_key=f"po:{order.id}:approved:requester",
    )


# --- who may approve (rules, delegations, segregation of duties) ----------------------------------


def rule_for(order: PurchaseOrder) -> ApprovalRule | None:
    """The narrowest band covering the order: its category's first, then the general ones."""
    return db.session.scalar(
        select(ApprovalRule)
        .where(
            or_(ApprovalRule.category_id == order.category_id, ApprovalRule.category_id.is_(None)),
            or_(ApprovalRule.max_amount.is_(None), ApprovalRule.max_amount >= order.total),
        )
        .order_by(
            case((ApprovalRule.category_id.is_(None), 1), else_=0),
            case((ApprovalRule.max_amount.is_(None), 1), else_=0),
            ApprovalRule.max_amount,
        )
        .limit(1)
    )


def delegate_allowed(order: PurchaseOrder) -> bool:
    rule = rule_for(order)
    return rule is None or rule.allow_delegate


def approval_authority(
    order: PurchaseOrder, user: User, *, today: date | None = None
) -> User | None:
    """Return who ``user`` approves on behalf of (None: in their own right) or refuse.

    Whoever created or changed the order's lines counts as a requester: they never approve or
    reject it, and nobody does so on their behalf (the database refuses it too).  The approval
    chain (``chain``) decides the rest: bands, absences and their delegates, directors.
    """
    if order.requester_id == user.id:
        raise NotAllowed(_("You cannot approve or reject your own order."))
    if composed_by(order, user):
        raise NotAllowed(_("You cannot approve or reject this order: you changed its lines."))
    ctx = load_context(today)
    return authority(order, user, ctx, composers_of([order.id])[order.id])


def approvers_for(order: PurchaseOrder, *, today: date | None = None) -> list[User]:
    """Who can approve the order now (and is told it waits): see ``chain.approval_chain``."""
    out: dict[int, User] = {}
    for entry in chain_for(order, today=today).approvers:
        out.setdefault(entry.user.id, entry.user)
    return list(out.values())


def over_budget(order: PurchaseOrder, *, today: date | None = None) -> dict[str, Any] | None:
    """If approving ``order`` takes its category beyond this month's budget: the figures."""
    category = order.category
    if category is None or category.monthly_budget is None:
        return None
    used = budget_used([category.id], today).get(category.id, Decimal("0"))
    after = used + order.total
    if after <= category.monthly_budget:
        return None
    return {
        "category": category.name,
        "used": used,
        "after": after,
        "budget": category.monthly_budget,
    }


def _over_budget_message(over: dict[str, Any]) -> str:
    return _(
        "Approving this order takes %(category)s to %(after)s this month, over its budget of "
        "%(budget)s. Say why it should be approved anyway.",
        category=over["category"],
        after=money(over["after"]),
        budget=money(over["budget"]),
    )


# --- approving and rejecting ----------------------------------------------------------------------


def approve_order(
    order: PurchaseOrder,
    *,
    approver: User,
    seen_version: int | None = None,
    today: date | None = None,
    budget_reason: str | None = None,
) -> PurchaseOrder:
    """Approve a pending order and write its submission to the supplier to the outbox.

    Beyond the month's budget the approver must say why (``budget_reason``); it is kept on the
    order and in the audit log.
    """
    _check_version(order, seen_version)
    if order.status != PENDING_APPROVAL:
        raise InvalidTransition(
            _(
                "This order is %(status)s; only pending orders can be approved.",
                status=order.status_label,
            )
        )
    on_behalf = approval_authority(order, approver, today=today)
    over = over_budget(order, today=today)
    reason = " ".join((budget_reason or "").split())[:500] or None
    if over is not None and reason is None:
        raise ValidationError(_over_budget_message(over), field="budget_reason")
    seen = order.version if seen_version is None else int(seen_version)
    _transition(
        order,
        seen_version=seen,
        allowed_from=(PENDING_APPROVAL,),
        actor=approver,
        status=APPROVED,
        approver_id=approver.id,
        on_behalf_of_id=on_behalf.id if on_behalf else None,
        approved_at=utcnow(),
        over_budget_reason=reason if over is not None else None,
    )
    audit.record(
        approver,
        "supplies.order.approve",
        order,
        {
            "on_behalf_of": on_behalf.name if on_behalf else None,
            "total": str(order.total),
            **({"over_budget_reason": reason} if over is not None else {}),
        },
    )
    _queue_submission(order)
    notifications.notify(
        order.requester,
        "supplies.order_decided",
        order,
        _l("%(number)s was approved by %(name)s on behalf of %(manager)s.")
        if on_behalf
        else _l("%(number)s was approved by %(name)s."),
        {
            "number": order.number,
            "name": approver.name,
            **({"manager": on_behalf.name} if on_behalf else {}),
        },
        url=_url("supplies.order", order_id=order.id),
        dedupe_key=f"po:{order.id}:approved:requester",
    )
    return order


def reject_order(
    order: PurchaseOrder,
    *,
    approver: User,
    reason: str,
    seen_version: int | None = None,
    today: date | None = None,
) -> PurchaseOrder:
    """Send a pending order back to draft with the reason."""
    _check_version(order, seen_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give a reason so the requester can fix the order."), field="reason"
        )
    if order.status != PENDING_APPROVAL:
        raise InvalidTransition(
            _(
                "This order is %(status)s; only pending orders can be rejected.",
                status=order.status_label,
            )
        )
    approval_authority(order, approver, today=today)
    _transition(
        order,
        seen_version=order.version if seen_version is None else int(seen_version),
        allowed_from=(PENDING_APPROVAL,),
        actor=approver,
        status=DRAFT,
        rejected_reason=reason[:500],
        rejected_by_id=approver.id,
        submitted_at=None,
    )
    audit.record(approver, "supplies.order.reject", order, {"reason": reason[:500]})
    notifications.notify(
        order.requester,
        "supplies.order_decided",
        order,
        _l("%(number)s was sent back by %(name)s: %(reason)s"),
        {"number": order.number, "name": approver.name, "reason": reason},
        url=_url("supplies.order", order_id=order.id),
        dedupe_key=f"po:{order.id}:v{order.version}:rejected",
    )
    return order


def bulk_approve(
    tokens: Iterable[str], *, approver: User
) -> tuple[list[PurchaseOrder], list[tuple[str, str]]]:
    """Approve each ``"id:version"``; return the approved and (number, reason) of the refused.

    Every refusal is detected before the order is written, so the others still commit.
    """
    done: list[PurchaseOrder] = []
    refused: list[tuple[str, str]] = []
    for token in tokens:
        try:
            order_id, version = (parse_int(p) for p in str(token).split(":", 1))
        except ValueError:
            continue
        if order_id is None or version is None:
            continue
        order = db.session.get(PurchaseOrder, order_id)
        if order is None:
            continue
        try:
            approve_order(order, approver=approver, seen_version=version)
        except ValidationError as error:  # over budget: the reason is given on its own page
            refused.append((order.number, error.message))
        except (Conflict, NotAllowed, InvalidTransition) as error:
            refused.append((order.number, error.message))
        else:
            done.append(order)
    if not done and not refused:
        raise ValidationError(_("Select at least one order."), field="orders")
    return done, refused


def _tokens(tokens: Iterable[str]) -> list[tuple[int, int]]:
    out = []
    for token in tokens:
        try:
            order_id, version = (parse_int(p) for p in str(token).split(":", 1))
        except ValueError:
            continue
        if order_id is not None and version is not None:
            out.append((order_id, version))
    return out


def bulk_reject(
    tokens: Iterable[str], *, approver: User, reason: str
) -> tuple[list[PurchaseOrder], list[tuple[str, str]]]:
    """Send every selected ``"id:version"`` back with one reason; return the rejected and the
    (number, reason) of those refused (each refusal is detected before its order is written)."""
    pairs = _tokens(tokens)
    if not pairs:
        raise ValidationError(_("Select at least one order."), field="orders")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give a reason so the requesters can fix their orders."), field="reason"
        )
    done: list[PurchaseOrder] = []
    refused: list[tuple[str, str]] = []
    for order_id, version in pairs:
        order = db.session.get(PurchaseOrder, order_id)
        if order is None:
            continue
        try:
            reject_order(order, approver=approver, reason=reason, seen_version=version)
        except (Conflict, NotAllowed, InvalidTransition) as error:
            refused.append((order.number, error.message))
        else:
            done.append(order)
    return done, refused


# --- the approval queue ---------------------------------------------------------------------------


@dataclass(slots=True)
class QueueEntry:
    """One pending order as the approval queue shows it (a read model, not the ORM row)."""

    id: int
    version: int
    total: Decimal
    submitted_at: datetime | None
    escalated: bool
    requester_id: int
    requester: str
    supplier: str
    category: str | None
    budget: Decimal | None
    line_count: int
    used: Decimal = Decimal("0")
    # The viewer changed its lines: like the requester, they may not approve it.
    composed: bool = False
    # The approval chain, read for the whole page at once: who can approve it now, whether the
    # viewer can (and on whose behalf), or why not.
    approvers: list[str] = field(default_factory=list)
    can_decide: bool = False
    on_behalf_of: str | None = None
    why_not: str | None = None

    @property
    def number(self) -> str:
        return order_number(self.id)

    @property
    def would_be(self) -> Decimal:
        return self.used + self.total

    @property
    def over(self) -> bool:
        return self.budget is not None and self.would_be > self.budget

    @property
    def percent(self) -> int:
        if not self.budget:
            return 0
        return min(100, int(self.would_be * 100 / self.budget))


def _queue_entries(rows: Sequence[Any], viewer: User | None = None) -> list[QueueEntry]:
    """Build the page's entries; this month's budget use comes from one grouped query for
    the whole page (never one per order), the approval chain from three more (rules, absences,
    approvers) and one for who composed the page's orders.  The lines load when a row is
    expanded."""
    used = budget_used(r.category_id for r in rows)
    entries = [
        QueueEntry(
            id=r.id,
            version=r.version,
            total=r.total,
            submitted_at=r.submitted_at,
            escalated=r.escalated_at is not None,
            requester_id=r.requester_id,
            requester=r.requester,
            supplier=r.supplier,
            category=r.category,
            budget=r.monthly_budget,
            line_count=r.line_count,
            used=used.get(r.category_id, Decimal("0"))
            if r.category_id is not None
            else Decimal("0"),
            composed=bool(r.composed),
        )
        for r in rows
    ]
    if not rows:
        return entries
    ctx = load_context()
    composers = composers_of(r.id for r in rows)
    for entry, row in zip(entries, rows, strict=True):
        chain = approval_chain(row, ctx, composers[row.id])
        entry.approvers = chain.names()
        if viewer is None:
            continue
        try:
            on_behalf = authority(row, viewer, ctx, composers[row.id])
        except NotAllowed as refusal:
            entry.why_not = refusal.message
        else:
            entry.can_decide = True
            entry.on_behalf_of = on_behalf.name if on_behalf else None
    return entries


@lru_cache(maxsize=1)
def _queue_statements():
    """The approval queue's row and count statements, built once."""
    line_count = (
        select(func.count(PurchaseOrderLine.id))
        .where(PurchaseOrderLine.order_id == PurchaseOrder.id)
        .correlate(PurchaseOrder)
        .scalar_subquery()
    )
    composed = (
        select(PurchaseOrderContributor.order_id)
        .where(
            PurchaseOrderContributor.order_id == PurchaseOrder.id,
            PurchaseOrderContributor.user_id == bindparam("viewer_id"),
        )
        .correlate(PurchaseOrder)
        .exists()
    )
    stmt = (
        select(
            PurchaseOrder.id,
            PurchaseOrder.version,
            PurchaseOrder.total,
            PurchaseOrder.submitted_at,
            PurchaseOrder.escalated_at,
            PurchaseOrder.requester_id,
            PurchaseOrder.category_id,
            User.name.label("requester"),
            Supplier.name.label("supplier"),
            SupplyCategory.name.label("category"),
            SupplyCategory.monthly_budget,
            line_count.label("line_count"),
            composed.label("composed"),
            func.count().over().label("total_rows"),
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(User, User.id == PurchaseOrder.requester_id)
        .outerjoin(SupplyCategory, SupplyCategory.id == PurchaseOrder.category_id)
        .where(PurchaseOrder.status == PENDING_APPROVAL)
        .order_by(PurchaseOrder.submitted_at, PurchaseOrder.id)
    )
    count = select(func.count(PurchaseOrder.id)).where(PurchaseOrder.status == PENDING_APPROVAL)
    return paged(stmt), count


def pending_queue(*, page: int, per_page: int, viewer: User | None = None) -> RowPage:
    """The approval queue: pending orders oldest first, with requester, supplier, category,
    number of lines, budget use this month and whether ``viewer`` changed its lines — two
    queries per page whatever the data."""
    stmt, count = _queue_statements()
    return row_page(
        stmt,
        count,
        lambda rows: _queue_entries(rows, viewer),
        page=page,
        per_page=per_page,
        params={"viewer_id": viewer.id if viewer is not None else None},
        windowed=True,
    )


# --- approval rules (bands) -----------------------------------------------------------------------


def list_rules() -> list[ApprovalRule]:
    return list(
        db.session.scalars(
            select(ApprovalRule).order_by(
                ApprovalRule.category_id.is_(None),
                ApprovalRule.category_id,
                ApprovalRule.max_amount.is_(None),
                ApprovalRule.max_amount,
            )
        )
    )


def add_rule(
    *, category_id: Any, max_amount: Any, allow_delegate: bool, actor: User
) -> ApprovalRule:
    cid = parse_int(category_id, minimum=1) if category_id else None
    if category_id and (cid is None or db.session.get(SupplyCategory, cid) is None):
        raise ValidationError(_("Choose a category."), field="category_id")
    rule = ApprovalRule(
        category_id=cid,
        max_amount=_decimal(max_amount, "max_amount", required=False),
        allow_delegate=bool(allow_delegate),
    )
    db.session.add(rule)
    db.session.flush()
    audit.record(
        actor,
        "supplies.rule.create",
        ("ApprovalRule", rule.id),
        {"max_amount": str(rule.max_amount), "allow_delegate": rule.allow_delegate},
    )
    return rule


def delete_rule(rule_id: int, *, actor: User) -> None:
    rule = db.session.get(ApprovalRule, rule_id)
    if rule is None:
        raise NotFound(_("This rule does not exist."))
    db.session.delete(rule)
    audit.record(actor, "supplies.rule.delete", ("ApprovalRule", rule_id))
