"""The approval chain: who can approve an order now, and why.

The chain has two levels, lowest first: office managers, then directors (the owner).  An order
starts at the level its approval band names (``ApprovalRule.approver_role``; orders above the
managers' limit start with a director).  At a level, each approver who is present approves in
their own right; one who is away (an active absence, ``Delegation``) is replaced by their
delegate, who approves "on behalf of" them — unless the delegate composed the order, the band
refuses delegates, or the order is above the delegate's limit.  Nobody ever approves an order
they (or the person they stand in for) requested or changed (segregation of duties).  When
nobody at a level can, the order goes to the next level: what a delegate requested while
standing in reaches the director.  An order escalated for waiting too long is also offered to
the level above the one that should have acted.  Directors sit at the top: they may approve any
order they did not compose.

Everything is read in a constant number of queries (``load_context`` + one for the composers of
a page of orders), so the queue can show the chain of every row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from portal.errors import NotAllowed
from portal.extensions import db
from portal.models import User, UserRole
from portal.models.supplies import (
    ApprovalRule,
    Delegation,
    PurchaseOrderContributor,
    local_today,
)
from portal.services.supplies.common import money

OFFICE_MANAGER = "office_manager"
DIRECTOR = "director"
LEVELS = (OFFICE_MANAGER, DIRECTOR)  # the chain, lowest first
APPROVER_ROLES = LEVELS


@dataclass(slots=True)
class Approver:
    """Someone who can approve an order now: in their own right, or on behalf of someone away."""

    user: User
    on_behalf_of: User | None
    reason: str

    @property
    def name(self) -> str:
        return self.user.name


@dataclass(slots=True)
class Chain:
    """The result for one order: who can approve it now (never empty unless nobody at all can),
    the level that acts, and why earlier levels were passed over."""

    approvers: list[Approver]
    level: str | None
    rule: ApprovalRule | None
    notes: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        out = []
        for a in self.approvers:
            if a.on_behalf_of is not None:
                out.append(
                    _("%(name)s (for %(manager)s)", name=a.user.name, manager=a.on_behalf_of.name)
                )
            else:
                out.append(a.user.name)
        return out

    def find(self, user_id: int) -> Approver | None:
        own = [a for a in self.approvers if a.user.id == user_id]
        own.sort(key=lambda a: a.on_behalf_of is not None)  # in their own right first
        return own[0] if own else None


@dataclass(slots=True)
class ChainContext:
    """What the chain reads, loaded once per request (rules, absences, approvers)."""

    today: date
    rules: list[ApprovalRule]
    away: dict[int, Delegation]  # absent approver id -> their active absence
    by_role: dict[str, list[User]]

    def candidate_ids(self) -> set[int]:
        ids = {u.id for users in self.by_role.values() for u in users}
        ids.update(d.delegate_id for d in self.away.values())
        return ids


def load_context(today: date | None = None) -> ChainContext:
    """Three queries: the bands, the active absences, the office managers and directors."""
    today = today or local_today()
    rules = list(db.session.scalars(select(ApprovalRule)))
    away: dict[int, Delegation] = {}
    for d in db.session.scalars(
        select(Delegation)
        .where(
            Delegation.cancelled_at.is_(None),
            Delegation.starts_on <= today,
            Delegation.ends_on >= today,
        )
        .order_by(Delegation.starts_on, Delegation.id)
    ):
        away.setdefault(d.manager_id, d)
    by_role: dict[str, list[User]] = {role: [] for role in LEVELS}
    rows = db.session.execute(
        select(UserRole.role, User)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role.in_(LEVELS), User.active.is_(True))
        .order_by(User.name, User.id)
    )
    for role, user in rows:
        by_role[role].append(user)
    return ChainContext(today=today, rules=rules, away=away, by_role=by_role)


def composers_of(order_ids: Iterable[int]) -> dict[int, set[int]]:
    """Who composed each order (requester included once they touched a line): one query."""
    ids = sorted(set(order_ids))
    out: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(PurchaseOrderContributor.order_id, PurchaseOrderContributor.user_id).where(
            PurchaseOrderContributor.order_id.in_(ids)
        )
    )
    for order_id, user_id in rows:
        out[order_id].add(user_id)
    return out


def band_for(rules: Sequence[ApprovalRule], category_id: int | None, total: Decimal):
    """The narrowest band covering an order: its category's first, then the general ones
    (the same choice as ``approvals.rule_for``, over rules already loaded)."""
    covering = [
        r
        for r in rules
        if (r.category_id is None or r.category_id == category_id)
        and (r.max_amount is None or r.max_amount >= total)
    ]
    covering.sort(
        key=lambda r: (
            r.category_id is None,
            r.max_amount is None,
            r.max_amount if r.max_amount is not None else Decimal(0),
        )
    )
    return covering[0] if covering else None


def level_of(rule: ApprovalRule | None) -> str:
    role = rule.approver_role if rule is not None else OFFICE_MANAGER
    return role if role in LEVELS else OFFICE_MANAGER


def _own_reason(role: str, rule: ApprovalRule | None) -> str:
    if role == DIRECTOR:
        if rule is not None and rule.approver_role == DIRECTOR:
            return _("Director / owner: orders of this amount need a director's approval.")
        return _("Director / owner: approves any order.")
    if rule is not None and rule.max_amount is not None:
        if rule.category is not None:
            return _(
                "Office manager: approves %(category)s orders up to %(limit)s.",
                category=rule.category.name,
                limit=money(rule.max_amount),
            )
        return _("Office manager: approves orders up to %(limit)s.", limit=money(rule.max_amount))
    return _("Office manager: approves purchase orders.")


def _level(
    role: str,
    order: Any,
    ctx: ChainContext,
    rule: ApprovalRule | None,
    blocked: set[int],
) -> tuple[list[Approver], list[str], list[str]]:
    """The approvers reachable at one level, and who is away or composed the order there."""
    allow_delegate = rule is None or rule.allow_delegate
    found: list[Approver] = []
    away_names: list[str] = []
    composer_names: list[str] = []
    for user in ctx.by_role[role]:
        if user.id in blocked:
            composer_names.append(user.name)
            continue
        absence = ctx.away.get(user.id)
        if absence is None:
            found.append(Approver(user, None, _own_reason(role, rule)))
            continue
        delegate = absence.delegate
        until = format_date(absence.ends_on, "short")
        if (
            allow_delegate
            and delegate.active
            and delegate.id not in blocked
            and (absence.amount_limit is None or order.total <= absence.amount_limit)
        ):
            reason = _(
                "Stands in for %(manager)s, who is away until %(date)s.",
                manager=user.name,
                date=until,
            )
            found.append(Approver(delegate, user, reason))
        else:
            away_names.append(_("%(name)s is away until %(date)s", name=user.name, date=until))
    return found, away_names, composer_names


def _absent_fallback(levels: Sequence[str], ctx: ChainContext, blocked: set[int]):
    """Nobody present can: the approvers who are away still hold the authority, so the order
    is never left without someone who can approve it."""
    for role in levels:
        found = [
            Approver(
                user,
                None,
                _(
                    "Away until %(date)s, but nobody else can approve this order.",
                    date=format_date(ctx.away[user.id].ends_on, "short"),
                ),
            )
            for user in ctx.by_role[role]
            if user.id not in blocked and user.id in ctx.away
        ]
        if found:
            return found, role
    return [], None


def approval_chain(order: Any, ctx: ChainContext, composers: set[int]) -> Chain:
    """Who can approve ``order`` now (an order or a queue row: needs id, requester_id, total,
    category_id, escalated_at), given who composed it."""
    rule = band_for(ctx.rules, order.category_id, order.total)
    blocked = set(composers) | {order.requester_id}
    levels = LEVELS[LEVELS.index(level_of(rule)) :]
    notes: list[str] = []
    found: list[Approver] = []
    reached: str | None = None
    for role in levels:
        found, away_names, composer_names = _level(role, order, ctx, rule, blocked)
        if found:
            reached = role
            break
        notes.append(_passed_over(role, order, ctx, blocked, away_names, composer_names))
    if not found:
        found, reached = _absent_fallback(levels, ctx, blocked)
    if order.escalated_at is not None and reached is not None:
        above = LEVELS.index(reached) + 1
        if above < len(LEVELS):
            reason = _(
                "Escalated on %(date)s: nobody decided in time.",
                date=format_date(order.escalated_at, "short"),
            )
            taken = {a.user.id for a in found}
            found += [
                Approver(user, None, reason)
                for user in ctx.by_role[LEVELS[above]]
                if user.id not in blocked and user.id not in taken
            ]
    return Chain(approvers=found, level=reached, rule=rule, notes=notes)


def _passed_over(
    role: str,
    order: Any,
    ctx: ChainContext,
    blocked: set[int],
    away_names: list[str],
    composer_names: list[str],
) -> str:
    """Why nobody at ``role`` can approve: the order moves to the next approver."""
    if role == OFFICE_MANAGER:
        standing_in = next(
            (d for d in ctx.away.values() if d.delegate_id == order.requester_id), None
        )
        if standing_in is not None:
            return _(
                "The requester stands in for %(manager)s, so the order goes to the next "
                "approver in the chain.",
                manager=standing_in.manager.name,
            )
        if not ctx.by_role[role]:
            return _("There is no office manager, so the order goes to the next approver.")
        parts = away_names + [
            _("%(name)s requested or changed it", name=name) for name in composer_names
        ]
        return _(
            "No office manager can approve it (%(why)s), so it goes to the next approver.",
            why="; ".join(parts),
        )
    return _("No director can approve it.")


def chain_for(order: Any, *, today: date | None = None) -> Chain:
    """The chain of one order (order page, notifications, approving)."""
    ctx = load_context(today)
    return approval_chain(order, ctx, composers_of([order.id])[order.id])


def explain(order: Any, *, today: date | None = None) -> dict[str, Any]:
    """What the order page shows under "Who can approve it now": approvers with their reason,
    and the notes on who was passed over."""
    chain = chain_for(order, today=today)
    return {
        "approvers": [
            {
                "name": a.user.name,
                "on_behalf_of": a.on_behalf_of.name if a.on_behalf_of else None,
                "reason": a.reason,
            }
            for a in chain.approvers
        ],
        "notes": chain.notes,
        "nobody": not chain.approvers,
    }


def authority(order: Any, user: User, ctx: ChainContext, composers: set[int]) -> User | None:
    """Who ``user`` approves ``order`` on behalf of (None: in their own right), or refuse with
    the reason (``NotAllowed``).  Pure: reads only ``ctx`` and ``composers``."""
    if order.requester_id == user.id:
        raise NotAllowed(_("You cannot approve or reject your own order."))
    if user.id in composers:
        raise NotAllowed(_("You cannot approve or reject this order: you changed its lines."))
    chain = approval_chain(order, ctx, composers)
    entry = chain.find(user.id)
    if entry is not None:
        return entry.on_behalf_of
    required = level_of(chain.rule)
    if user.has_role(DIRECTOR):
        return None  # the top of the chain may always approve what they did not compose
    if user.has_role(OFFICE_MANAGER):
        if required == OFFICE_MANAGER:
            return None  # an approver back early still approves in their own right
        raise NotAllowed(
            _("Orders of %(total)s need a director's approval.", total=money(order.total))
        )
    mine = [d for d in ctx.away.values() if d.delegate_id == user.id]
    if not mine:
        raise NotAllowed(_("You may not approve purchase orders."))
    usable = [d for d in mine if d.manager_id != order.requester_id]
    if not usable:
        raise NotAllowed(_("You cannot approve an order on behalf of the person who requested it."))
    usable = [d for d in usable if d.manager_id not in composers]
    if not usable:
        raise NotAllowed(
            _("You cannot approve this order on behalf of someone who changed its lines.")
        )
    if chain.rule is not None and not chain.rule.allow_delegate:
        raise NotAllowed(
            _("Orders of %(total)s need an office manager's approval.", total=money(order.total))
        )
    if required == DIRECTOR and not any(d.manager.has_role(DIRECTOR) for d in usable):
        raise NotAllowed(
            _("Orders of %(total)s need a director's approval.", total=money(order.total))
        )
    within = [d for d in usable if d.amount_limit is None or order.total <= d.amount_limit]
    if not within:
        raise NotAllowed(
            _(
                "This order (%(total)s) is above your delegated limit of %(limit)s.",
                total=money(order.total),
                limit=money(max(d.amount_limit or 0 for d in usable)),
            )
        )
    return within[0].manager
