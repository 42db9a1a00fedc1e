"""Supplies and purchasing: catalogue, stock ledger, counts, purchase orders, approvals.

Invariants the database itself enforces (so a race or a hand-written UPDATE can never break
them):
- ``supply_item.on_hand >= 0`` (CHECK); services decrement it with a conditional UPDATE and write
  the ledger row in the same transaction, so on-hand always equals the sum of the ledger.
- an order is never approved by its requester (CHECK), nor by anyone who created or changed its
  lines, nor on behalf of either (triggers, see ``portal.models.supplies_sod``);
- an order is cancelled only by its requester or an office manager, and says who (trigger);
- a line never receives more than was ordered (CHECK).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

# Named pgettext so the default extraction keywords find it (msgctxt "purchase order").
from flask_babel import lazy_pgettext as pgettext
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.outbox import OutboundMessage
from portal.models.types import UTCDateTime
from portal.models.users import User
from portal.permissions import PERMISSIONS

Money = Numeric(12, 2)

# --- purchase order states --------------------------------------------------------------------
DRAFT = "draft"
PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
SENT = "sent"
PARTLY_RECEIVED = "partly_received"
RECEIVED = "received"
CLOSED = "closed"
CANCELLED = "cancelled"
ORDER_STATUSES = (
    DRAFT,
    PENDING_APPROVAL,
    APPROVED,
    SENT,
    PARTLY_RECEIVED,
    RECEIVED,
    CLOSED,
    CANCELLED,
)
STATUS_LABELS = {
    DRAFT: pgettext("purchase order", "Draft"),
    PENDING_APPROVAL: pgettext("purchase order", "Pending approval"),
    APPROVED: pgettext("purchase order", "Approved"),
    SENT: pgettext("purchase order", "Sent"),
    PARTLY_RECEIVED: pgettext("purchase order", "Partly received"),
    RECEIVED: pgettext("purchase order", "Received"),
    CLOSED: pgettext("purchase order", "Closed"),
    CANCELLED: pgettext("purchase order", "Cancelled"),
}
STATUS_TONES = {
    DRAFT: "muted",
    PENDING_APPROVAL: "warning",
    APPROVED: "info",
    SENT: "info",
    PARTLY_RECEIVED: "warning",
    RECEIVED: "success",
    CLOSED: "muted",
    CANCELLED: "muted",
}
# Quantities on these orders count as "on order" for reorder suggestions (drafts included, so a
# second click on the same suggestions never creates a duplicate draft).
OPEN_STATUSES = (DRAFT, PENDING_APPROVAL, APPROVED, SENT, PARTLY_RECEIVED)
RECEIVABLE_STATUSES = (APPROVED, SENT, PARTLY_RECEIVED)

# --- stock movement kinds ---------------------------------------------------------------------
RECEIPT = "receipt"
ISSUE = "issue"
ADJUSTMENT = "adjustment"
MOVEMENT_LABELS = {RECEIPT: _l("Receipt"), ISSUE: _l("Issue"), ADJUSTMENT: _l("Count adjustment")}


class SupplyCategory(db.Model):
    __tablename__ = "supply_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # What may be spent on orders of this category per calendar month (None: no budget).
    monthly_budget: Mapped[Decimal | None] = mapped_column(Money)

    def __str__(self) -> str:
        return self.name


class Supplier(db.Model):
    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    order_email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    lead_time_days: Mapped[int] = mapped_column(default=3)
    min_order_value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)
    # The language orders reach the supplier in (e-mail and PDF); Brazilian suppliers by default.
    language: Mapped[str] = mapped_column(String(10), default="pt_BR", server_default="pt_BR")
    # Who receives orders there ("A/C" on the order), and the agreed payment terms.
    contact_name: Mapped[str | None] = mapped_column(String(120))
    payment_terms: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __str__(self) -> str:
        return self.name


# Words people type for a unit (singular or plural, Portuguese or English, folded: no accents,
# lower case) -> the known unit kind they name.  services.supplies.units translates the kinds.
UNIT_WORDS: dict[str, str] = {
    word: kind
    for kind, words in {
        "unit": "un und unid unids unidade unidades unit units u pc pcs piece pieces each ea",
        "box": "cx cxs caixa caixas box boxes bx",
        "pack": "pct pcts pac pacote pacotes pack packs pk",
        "ream": "rm resma resmas ream reams",
        "bottle": "fr fco frasco frascos bottle bottles",
        "roll": "rl rolo rolos roll rolls",
        "package": "emb embalagem embalagens package packages pkg",
        "litre": "l lt lts litro litros litre litres liter liters",
        "kg": "kg kgs quilo quilos kilo kilos kilogram kilograms quilograma quilogramas",
    }.items()
    for word in words.split()
}


def fold_unit(text: str) -> str:
    """Lower case, no accents, no trailing dot: "Caixas." -> "caixas"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().rstrip("."))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _default_unit_kind(context) -> str:
    """An item created with only ``unit="cx"`` gets the kind that word names, else "other"."""
    unit = context.get_current_parameters().get("unit")
    if not unit:
        return "unit"
    return UNIT_WORDS.get(fold_unit(unit), "other")


def _default_unit_plural(context) -> str | None:
    params = context.get_current_parameters()
    unit = params.get("unit")
    if unit and UNIT_WORDS.get(fold_unit(unit)) is None:
        return unit
    return None


class SupplyItem(db.Model):
    __tablename__ = "supply_item"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("pack_size >= 1", name="pack_size_positive"),
        Index("ix_supply_item_name", "name"),
        # The item list (active items by name) and its count read this index only.
        Index("ix_supply_item_active_name", "active", "name"),
        # Reorder suggestions: the largest daily use bounds how far above its reorder point
        # a suggested item's stock can be (with ix_supply_item_margin, below).
        Index("ix_supply_item_daily_use", "daily_use"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    category_id: Mapped[int] = mapped_column(ForeignKey("supply_category.id"), index=True)
    # Known kind ("box", "ream"…, translated with its plural) or "other": then ``unit`` and
    # ``unit_plural`` hold the words a person typed (services.supplies.units).
    unit_kind: Mapped[str] = mapped_column(
        String(16), default=_default_unit_kind, server_default="unit"
    )
    unit: Mapped[str] = mapped_column(String(20), default="unit")
    unit_plural: Mapped[str | None] = mapped_column(String(20), default=_default_unit_plural)
    pack_size: Mapped[int] = mapped_column(default=1)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    reorder_point: Mapped[int] = mapped_column(default=0)
    par_level: Mapped[int] = mapped_column(default=0)
    location: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    # Cache of SUM(stock_movement.quantity), kept in step in the same transaction.
    on_hand: Mapped[int] = mapped_column(default=0)
    # Average daily use over the last 90 days (issue movements), refreshed once a day by the
    # low-stock job (services.supplies.refresh_daily_use); None until first computed.
    daily_use: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    # Set when back office was told the item runs low; cleared when it is no longer low.
    low_alerted_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[SupplyCategory] = relationship(lazy="joined", innerjoin=True)
    supplier: Mapped[Supplier | None] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


# Reorder suggestions: items whose stock is at most a bound above their reorder point, as a
# range of this index (services.supplies.suggestions._suggestion_select), not a scan of every
# item.  Not led by "active": the item list's "active by name" must keep
# ix_supply_item_active_name.
Index("ix_supply_item_margin", SupplyItem.on_hand - SupplyItem.reorder_point)


class StockMovement(db.Model):
    """One line of the stock ledger: positive in, negative out."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        Index("ix_stock_movement_item_at", "item_id", "at"),
        Index("ix_stock_movement_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(300))
    issued_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id"), index=True
    )
    count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_count.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    issued_to: Mapped[User | None] = relationship(foreign_keys=[issued_to_id], lazy="joined")


class StockCount(db.Model):
    __tablename__ = "stock_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("supply_category.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | posted | cancelled
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    category: Mapped[SupplyCategory | None] = relationship(lazy="joined")
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id], lazy="joined")
    lines: Mapped[list[StockCountLine]] = relationship(
        back_populates="count", cascade="all, delete-orphan", order_by="StockCountLine.id"
    )


class StockCountLine(db.Model):
    __tablename__ = "stock_count_line"
    __table_args__ = (UniqueConstraint("count_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id"))
    expected: Mapped[int]  # on hand when the count started
    counted: Mapped[int | None]

    count: Mapped[StockCount] = relationship(back_populates="lines")
    item: Mapped[SupplyItem] = relationship(lazy="joined")

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


def order_number(order_id: int) -> str:
    """The reference people and suppliers quote: PO-00042."""
    return f"PO-{order_id:05d}"


class PurchaseOrder(db.Model):
    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint(
            "approver_id IS NULL OR approver_id <> requester_id", name="requester_not_approver"
        ),
        Index("ix_purchase_order_status_submitted", "status", "submitted_at"),
        # Monthly spend per category (budget meters) is read from this index alone.
        Index("ix_purchase_order_category_spend", "category_id", "approved_at", "status", "total"),
        # "Approved on your behalf" on the approval queue.
        Index("ix_purchase_order_on_behalf_approved", "on_behalf_of_id", "approved_at"),
        # The order list, newest first: all orders, or one status.
        Index("ix_purchase_order_created", "created_at", "id"),
        Index("ix_purchase_order_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("supply_category.id"))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # Optimistic lock: every change is an UPDATE ... WHERE version = :seen.
    version: Mapped[int] = mapped_column(default=1)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    notes: Mapped[str | None] = mapped_column(Text)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejected_reason: Mapped[str | None] = mapped_column(String(500))
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cancelled_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Approved beyond the month's budget: why (asked of the approver, shown on the order).
    over_budget_reason: Mapped[str | None] = mapped_column(String(500))
    # Approved by the approval band's automatic rule (small amount within budget), not a person.
    auto_approved: Mapped[bool] = mapped_column(default=False, server_default=false())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_message.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    supplier: Mapped[Supplier] = relationship(lazy="joined", innerjoin=True)
    category: Mapped[SupplyCategory | None] = relationship(lazy="joined")
    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    rejected_by: Mapped[User | None] = relationship(foreign_keys=[rejected_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    submission: Mapped[OutboundMessage | None] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.id"
    )

    @property
    def number(self) -> str:
        return order_number(self.id)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def status_tone(self) -> str:
        return STATUS_TONES.get(self.status, "neutral")

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(db.Model):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "received_qty >= 0 AND received_qty <= quantity", name="received_within_ordered"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id"), index=True)
    quantity: Mapped[int]
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    received_qty: Mapped[int] = mapped_column(default=0)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    item: Mapped[SupplyItem] = relationship(lazy="joined", innerjoin=True)

    @property
    def line_total(self) -> Decimal:
        return (self.unit_cost * self.quantity).quantize(Decimal("0.01"))

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received_qty


class PurchaseOrderContributor(db.Model):
    """Someone who created or changed an order's lines (the requester included): for the
    approval rule they count as a requester.  Never deleted while the order exists."""

    __tablename__ = "purchase_order_contributor"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class Receipt(db.Model):
    """A delivery recorded against an order; its stock movements point at the order lines."""

    __tablename__ = "supply_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True
    )
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str | None] = mapped_column(String(300))

    received_by: Mapped[User] = relationship(lazy="joined")


class ApprovalRule(db.Model):
    """An amount band: orders up to ``max_amount`` (None: any amount) in a category (None: all).

    ``approver_role``: who approves orders in this band ("office_manager", or "director" for the
    bands above the managers' limit; see services.supplies.chain).
    ``allow_delegate``: a delegate may approve orders in this band while the manager is away;
    otherwise only an office manager may.
    ``auto_approve``: orders in this band that stay within their category's monthly budget are
    approved on submission, without a person.
    """

    __tablename__ = "approval_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("supply_category.id", ondelete="CASCADE")
    )
    max_amount: Mapped[Decimal | None] = mapped_column(Money)
    allow_delegate: Mapped[bool] = mapped_column(default=True)
    approver_role: Mapped[str] = mapped_column(
        String(32), default="office_manager", server_default="office_manager"
    )
    auto_approve: Mapped[bool] = mapped_column(default=False, server_default=false())

    category: Mapped[SupplyCategory | None] = relationship(lazy="joined")


class Delegation(db.Model):
    """An absence of a manager: from ``starts_on`` to ``ends_on`` (inclusive) the delegate may
    approve on their behalf, up to ``amount_limit`` per order."""

    __tablename__ = "purchase_delegation"
    __table_args__ = (
        CheckConstraint("manager_id <> delegate_id", name="not_self"),
        CheckConstraint("ends_on >= starts_on", name="window"),
        Index("ix_purchase_delegation_delegate", "delegate_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    amount_limit: Mapped[Decimal | None] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(String(300))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    manager: Mapped[User] = relationship(foreign_keys=[manager_id], lazy="joined")
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id], lazy="joined")

    def covers(self, day: date) -> bool:
        return self.cancelled_at is None and self.starts_on <= day <= self.ends_on


class SupplyAlert(db.Model):
    """Dedupe keys of periodic jobs ("low-stock:2026-11-27"): an insert that fails means done."""

    __tablename__ = "supply_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- delegations grant purchase.approve for their window ------------------------------------


def local_today() -> date:
    """Today in the portal's time zone (a delegation "until Friday" ends on local Friday)."""
    zone = "America/Sao_Paulo"
    if has_app_context():
        zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or zone
    return datetime.now(ZoneInfo(zone)).date()


# Roles that may stand in for an office manager (see services.supplies.delegate_choices);
# anyone else can never be a delegate, so the grant skips the query for them.
DELEGATE_ROLES = frozenset({"back_office", "office_manager"})


@lru_cache(maxsize=1)
def _active_delegation_statement():
    return (
        select(Delegation.id)
        .where(
            Delegation.delegate_id == bindparam("user_id"),
            Delegation.cancelled_at.is_(None),
            Delegation.starts_on <= bindparam("today"),
            Delegation.ends_on >= bindparam("today"),
        )
        .limit(1)
    )


def delegated_permissions(user: User) -> tuple[str, ...]:
    """Let a delegate pass ``@requires("purchase.approve")`` while the delegation is active.

    Which orders they may approve (bands, limits, never their own) is decided by the service.
    The supplies area's ``register(app)`` adds it to ``PERMISSION_GRANTS``.  It runs whenever a
    user's permissions are first needed in a request, so it stays cheap: no query for people who
    approve anyway or who can never be delegates (one indexed lookup, statement built once, for
    back office).
    """
    roles = user.roles
    if user.id is None or not DELEGATE_ROLES.intersection(roles):
        return ()
    if any(role in PERMISSIONS["purchase.approve"] for role in roles):
        return ()
    found = db.session.scalar(
        _active_delegation_statement(), {"user_id": user.id, "today": local_today()}
    )
    return ("purchase.approve", "supplies.view") if found else ()
