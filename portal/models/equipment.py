"""Equipment: the register of assets, meter readings, consumables, faults, repairs and upkeep.

Invariants the database enforces:
- an asset's tag is unique, and so is its serial number (when given);
- a reading's counters are never negative, and each reading stores the pages printed since the
  previous one (``pages_mono``/``pages_colour``, computed by the service when the reading is
  written), so pages and costs per month are plain sums over an index, never a scan with LAG;
- a closed repair has a cost (CHECK);
- nothing is deleted: an asset is retired with a reason (CHECK), faults and repairs are closed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.types import UTCDateTime
from portal.models.users import Department, User

Money = Numeric(12, 2)
# Contract prices per page are fractions of a centavo (R$ 0,0350).
PagePrice = Numeric(10, 4)

# --- asset types ------------------------------------------------------------------------------
TYPES = {
    "copier": _l("Copier"),
    "printer": _l("Printer"),
    "multifunction": _l("Multifunction"),
    "fax": _l("Fax machine"),
    "projector": _l("Projector"),
    "phone": _l("Phone"),
    "laptop": _l("Laptop"),
    "other": _l("Other"),
}
# Machines with a page counter: meter readings and cost per page apply to these.
METERED_TYPES = ("copier", "printer", "multifunction", "fax")
# Assets that a person holds (shown on their page, returned at offboarding).
PERSONAL_TYPES = ("laptop", "phone")

# --- asset status -----------------------------------------------------------------------------
IN_USE = "in_use"
OUT_OF_ORDER = "out_of_order"
IN_REPAIR = "in_repair"
RETIRED = "retired"
STATUSES = {
    IN_USE: pgettext("equipment", "In use"),
    OUT_OF_ORDER: pgettext("equipment", "Out of order"),
    IN_REPAIR: pgettext("equipment", "In repair"),
    RETIRED: pgettext("equipment", "Retired"),
}
STATUS_TONES = {IN_USE: "success", OUT_OF_ORDER: "danger", IN_REPAIR: "warning", RETIRED: "muted"}
DOWN_STATUSES = (OUT_OF_ORDER, IN_REPAIR)

# --- faults -----------------------------------------------------------------------------------
FAULT_OPEN = "open"
FAULT_SOLVED_BY_USER = "solved_by_user"
FAULT_IN_REPAIR = "in_repair"
FAULT_CLOSED = "closed"
FAULT_STATUSES = {
    FAULT_OPEN: pgettext("fault", "Open"),
    FAULT_SOLVED_BY_USER: pgettext("fault", "Solved by the user"),
    FAULT_IN_REPAIR: pgettext("fault", "Vendor called"),
    FAULT_CLOSED: pgettext("fault", "Closed"),
}
FAULT_TONES = {
    FAULT_OPEN: "warning",
    FAULT_SOLVED_BY_USER: "success",
    FAULT_IN_REPAIR: "info",
    FAULT_CLOSED: "muted",
}

# --- repairs ----------------------------------------------------------------------------------
REPAIR_REQUESTED = "requested"
REPAIR_SCHEDULED = "scheduled"
REPAIR_CLOSED = "closed"
REPAIR_STATUSES = {
    REPAIR_REQUESTED: pgettext("repair", "Requested"),
    REPAIR_SCHEDULED: pgettext("repair", "Visit scheduled"),
    REPAIR_CLOSED: pgettext("repair", "Closed"),
}
REPAIR_TONES = {REPAIR_REQUESTED: "warning", REPAIR_SCHEDULED: "info", REPAIR_CLOSED: "muted"}


def model_key(make: str | None, model: str | None) -> str:
    """The key consumables and checklists are linked by: make and model, case and space folded."""
    return " ".join(f"{make or ''} {model or ''}".lower().split())[:200]


class Asset(db.Model):
    __tablename__ = "equipment_asset"
    __table_args__ = (
        CheckConstraint(
            "status IN ('in_use', 'out_of_order', 'in_repair', 'retired')", name="status_known"
        ),
        CheckConstraint(
            "status <> 'retired' OR retired_reason IS NOT NULL", name="retired_with_reason"
        ),
        # The register: filters by status/type/location/holder, newest tags first.
        Index("ix_equipment_asset_status_tag", "status", "asset_tag"),
        # Type filters and the cost report's count (metered, not retired) read only this index.
        Index("ix_equipment_asset_type_status_tag", "type", "status", "asset_tag"),
        Index("ix_equipment_asset_location", "floor", "room"),
        Index("ix_equipment_asset_contract_end", "contract_end"),
        Index("ix_equipment_asset_warranty_end", "warranty_end"),
        Index("ix_equipment_asset_model_key", "model_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    make: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(120))
    model_key: Mapped[str] = mapped_column(String(200), default="")
    serial: Mapped[str | None] = mapped_column(String(80), unique=True)
    floor: Mapped[str | None] = mapped_column(String(40))
    room: Mapped[str | None] = mapped_column(String(80))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_cost: Mapped[Decimal | None] = mapped_column(Money)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    repair_email: Mapped[str | None] = mapped_column(String(254))
    repair_phone: Mapped[str | None] = mapped_column(String(32))
    vendor_locale: Mapped[str] = mapped_column(String(10), default="pt_BR")
    contract_number: Mapped[str | None] = mapped_column(String(60))
    contract_start: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    contract_covers: Mapped[str | None] = mapped_column(String(300))
    response_hours: Mapped[int | None]
    price_mono: Mapped[Decimal | None] = mapped_column(PagePrice)
    price_colour: Mapped[Decimal | None] = mapped_column(PagePrice)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=IN_USE)
    down_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_reason: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    contract_alerted_on: Mapped[date | None] = mapped_column(Date)
    warranty_alerted_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")
    holder: Mapped[User | None] = relationship(lazy="joined")

    @property
    def metered(self) -> bool:
        return self.type in METERED_TYPES

    @property
    def location(self) -> str:
        return " / ".join(p for p in (self.floor, self.room) if p)

    def __str__(self) -> str:
        return f"{self.asset_tag} {self.make} {self.model}"


class Reading(db.Model):
    """A page counter read off the machine's display."""

    __tablename__ = "equipment_reading"
    __table_args__ = (
        CheckConstraint("mono >= 0 AND colour >= 0", name="counters_not_negative"),
        CheckConstraint("pages_mono >= 0 AND pages_colour >= 0", name="pages_not_negative"),
        Index("ix_equipment_reading_asset_on", "asset_id", "read_on", "id"),
        # Covering: the per-department costs over a window read the index, not the table.
        Index("ix_equipment_reading_read_on", "read_on", "asset_id", "pages_mono", "pages_colour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    read_on: Mapped[date] = mapped_column(Date)
    mono: Mapped[int] = mapped_column(default=0)
    colour: Mapped[int] = mapped_column(default=0)
    # Pages since the previous reading (the whole counter after a replacement).
    pages_mono: Mapped[int] = mapped_column(default=0)
    pages_colour: Mapped[int] = mapped_column(default=0)
    counter_replaced: Mapped[bool] = mapped_column(default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChecklistStep(db.Model):
    """A troubleshooting step shown before a fault reaches the back office.

    For one model (``model_key``) or, with an empty key, for every machine of ``asset_type``.
    """

    __tablename__ = "equipment_checklist_step"
    __table_args__ = (Index("ix_equipment_checklist_scope", "asset_type", "model_key", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_type: Mapped[str] = mapped_column(String(20))
    model_key: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    solved_count: Mapped[int] = mapped_column(default=0)


class Fault(db.Model):
    __tablename__ = "equipment_fault"
    __table_args__ = (
        Index("ix_equipment_fault_asset_at", "asset_id", "created_at"),
        Index("ix_equipment_fault_status_at", "status", "created_at"),
        Index("ix_equipment_fault_reporter_at", "reporter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None until back office picks the machine (a fault filed as a staff request).
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_asset.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    description: Mapped[str] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=FAULT_OPEN)
    solved_by_step_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_checklist_step.id"))
    staff_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("frontdesk_request.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    asset: Mapped[Asset | None] = relationship(lazy="joined")
    reporter: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    photos: Mapped[list[FaultPhoto]] = relationship(
        lazy="selectin", order_by="FaultPhoto.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"#{self.id}"


class FaultPhoto(db.Model):
    """A photo of a fault, re-encoded as JPEG (metadata dropped) before it is stored."""

    __tablename__ = "equipment_fault_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("equipment_fault.id"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Repair(db.Model):
    __tablename__ = "equipment_repair"
    __table_args__ = (
        CheckConstraint("status <> 'closed' OR cost IS NOT NULL", name="closed_with_cost"),
        Index("ix_equipment_repair_asset_at", "asset_id", "requested_at"),
        Index("ix_equipment_repair_status_due", "status", "response_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    fault_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_fault.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=REPAIR_REQUESTED)
    vendor_email: Mapped[str] = mapped_column(String(254))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_message.id"))
    vendor_reference: Mapped[str | None] = mapped_column(String(80))
    promised_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cost: Mapped[Decimal | None] = mapped_column(Money)
    parts: Mapped[str | None] = mapped_column(String(500))
    work_done: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    asset: Mapped[Asset] = relationship(lazy="joined", innerjoin=True)
    fault: Mapped[Fault | None] = relationship()

    def __str__(self) -> str:
        return f"#{self.id}"


class Downtime(db.Model):
    """One period out of order or in repair (out of order -> back in use)."""

    __tablename__ = "equipment_downtime"
    __table_args__ = (Index("ix_equipment_downtime_asset_start", "asset_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[int | None]


class Consumable(db.Model):
    """A supply item (toner, drum, staples, paper) used by a make and model."""

    __tablename__ = "equipment_consumable"
    __table_args__ = (
        UniqueConstraint("model_key", "item_id"),
        Index("ix_equipment_consumable_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_key: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id"))
    yield_pages: Mapped[int | None]


class ConsumableUse(db.Model):
    """A consumable issued to a machine: the stock ledger row and the machine's history."""

    __tablename__ = "equipment_consumable_use"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_equipment_consumable_use_asset_at", "asset_id", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id"))
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movement.id"))
    quantity: Mapped[int]
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    issued_on: Mapped[date] = mapped_column(Date)
    # Total pages on the counter when it was fitted (for yield vs pages printed).
    counter_at_issue: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Plan(db.Model):
    """Preventive maintenance: every N months and/or every N pages."""

    __tablename__ = "equipment_plan"
    __table_args__ = (
        CheckConstraint("every_months IS NOT NULL OR every_pages IS NOT NULL", name="has_interval"),
        Index("ix_equipment_plan_asset", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    title: Mapped[str] = mapped_column(String(160))
    every_months: Mapped[int | None]
    every_pages: Mapped[int | None]
    last_done_on: Mapped[date | None] = mapped_column(Date)
    last_done_counter: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class Task(db.Model):
    """Upkeep due: a preventive plan came due (one open task per plan)."""

    __tablename__ = "equipment_task"
    __table_args__ = (Index("ix_equipment_task_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("equipment_plan.id"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    plan: Mapped[Plan] = relationship(lazy="joined", innerjoin=True)


class Event(db.Model):
    """The machine's timeline: faults, repairs, readings, consumables, moves, holder changes."""

    __tablename__ = "equipment_event"
    __table_args__ = (Index("ix_equipment_event_asset_at", "asset_id", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("equipment_asset.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict | None] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    actor: Mapped[User | None] = relationship(lazy="joined")
