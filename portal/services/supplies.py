"""Supplies and purchasing rules: stock ledger, counts, suggestions, orders, approvals, delegation.

Services flush, never commit.  Every change to an order is a conditional UPDATE on its version
(optimistic lock), so two people acting on the same order at once get exactly one winner; stock
leaves only through ``UPDATE ... WHERE on_hand >= :qty`` so it can never go negative.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import format_currency, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from portal.config import base_origin
from portal.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.exports import write_csv
from portal.extensions import db
from portal.models import User, UserRole
from portal.models.base import utcnow
from portal.models.frontdesk import DONE as REQUEST_DONE
from portal.models.frontdesk import IN_PROGRESS as REQUEST_IN_PROGRESS
from portal.models.frontdesk import NEW as REQUEST_NEW
from portal.models.frontdesk import StaffRequest
from portal.models.outbox import PENDING as OUTBOX_PENDING
from portal.models.outbox import SENT as OUTBOX_SENT
from portal.models.outbox import UNCERTAIN as OUTBOX_UNCERTAIN
from portal.models.outbox import OutboundMessage
from portal.models.supplies import (
    ADJUSTMENT,
    APPROVED,
    CANCELLED,
    CLOSED,
    DRAFT,
    ISSUE,
    OPEN_STATUSES,
    PARTLY_RECEIVED,
    PENDING_APPROVAL,
    RECEIPT,
    RECEIVABLE_STATUSES,
    RECEIVED,
    SENT,
    STATUS_LABELS,
    ApprovalRule,
    Delegation,
    PurchaseOrder,
    PurchaseOrderContributor,
    PurchaseOrderLine,
    Receipt,
    StockCount,
    StockCountLine,
    StockMovement,
    Supplier,
    SupplyAlert,
    SupplyCategory,
    SupplyItem,
    local_today,
    order_number,
)
from portal.pagination import RowPage, paged, read_rows, row_page
from portal.routing import parse_int
from portal.services import audit, frontdesk, notifications, outbox

log = logging.getLogger(__name__)

notifications.register_kind("supplies.approval_needed", _l("Purchase orders waiting for approval"))
notifications.register_kind("supplies.order_decided", _l("My purchase orders approved or rejected"))
notifications.register_kind("supplies.escalated", _l("Purchase orders waiting too long"))
notifications.register_kind("supplies.low_stock", _l("Supplies running low"))
notifications.register_kind("supplies.delegation", _l("Approval delegations"))

SPENT_STATUSES = (APPROVED, SENT, PARTLY_RECEIVED, RECEIVED, CLOSED)
CENT = Decimal("0.01")


# --- helpers ----------------------------------------------------------------------------------


def _url(endpoint: str, **values: Any) -> str:
    """url_for that also works in the worker (no request there)."""
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        with current_app.test_request_context(base_url=base_origin(current_app.config)):
            return url_for(endpoint, **values)


def money(value: Decimal | int | float | None) -> str:
    return format_currency(value or 0, "BRL")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "America/Sao_Paulo")


def month_bounds(today: date | None = None) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the local calendar month containing ``today``."""
    today = today or local_today()
    start = date(today.year, today.month, 1)
    end = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    zone = _zone()
    return (
        datetime.combine(start, time(), zone).astimezone(UTC),
        datetime.combine(end, time(), zone).astimezone(UTC),
    )


MAX_QUANTITY = 1_000_000  # no office counts further; keeps sums inside INTEGER columns


def _int(value: Any, field: str, *, minimum: int = 0, maximum: int = MAX_QUANTITY) -> int:
    number = parse_int(value, minimum=None, maximum=None)
    if number is None:
        raise ValidationError(_("Enter a whole number."), field=field)
    if number < minimum:
        raise ValidationError(_("Enter a number of at least %(min)d.", min=minimum), field=field)
    if number > maximum:
        raise ValidationError(_("Enter a number of at most %(max)d.", max=maximum), field=field)
    return number


def _decimal(value: Any, field: str, *, required: bool = True) -> Decimal | None:
    text = str(value if value is not None else "").strip().replace("R$", "").strip()
    if not text:
        if required:
            raise ValidationError(_("Enter an amount."), field=field)
        return None
    if "," in text:  # Brazilian notation: 1.234,56
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter an amount such as 12.50."), field=field) from None
    if amount < 0 or not amount.is_finite():
        raise ValidationError(_("The amount cannot be negative."), field=field)
    return amount.quantize(CENT)


def users_with_role(role: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.active.is_(True))
            .order_by(User.name)
        )
    )


# --- catalogue --------------------------------------------------------------------------------


def list_categories() -> list[SupplyCategory]:
    return list(db.session.scalars(select(SupplyCategory).order_by(SupplyCategory.name)))


def list_suppliers_all(*, active_only: bool = True) -> list[Supplier]:
    stmt = select(Supplier).order_by(Supplier.name)
    if active_only:
        stmt = stmt.where(Supplier.active.is_(True))
    return list(db.session.scalars(stmt))


@lru_cache(maxsize=1)
def _supplier_choices_statement():
    return (
        select(Supplier.id, Supplier.name).where(Supplier.active.is_(True)).order_by(Supplier.name)
    )


def supplier_choices() -> list[Any]:
    """(id, name) of the active suppliers, for filters."""
    return read_rows(_supplier_choices_statement()).all()


def list_suppliers(*, q: str = ""):
    stmt = select(Supplier).order_by(Supplier.name)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Supplier.name.ilike(like), Supplier.order_email.ilike(like)))
    return stmt


def _item_filters(stmt, *, q: str = "", category_id: int | None = None, status: str = ""):
    """The catalogue filters (search, category, status), shared by the page, CSV and forms."""
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(SupplyItem.name.ilike(like), SupplyItem.sku.ilike(like)))
    if category_id:
        stmt = stmt.where(SupplyItem.category_id == category_id)
    if status == "active":
        stmt = stmt.where(SupplyItem.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(SupplyItem.active.is_(False))
    elif status == "low":
        stmt = stmt.where(
            SupplyItem.active.is_(True), SupplyItem.on_hand <= SupplyItem.reorder_point
        )
    return stmt


def list_items(*, q: str = "", category_id: int | None = None, status: str = ""):
    """Select items (ORM, category and supplier joined) for exports and forms."""
    stmt = select(SupplyItem).order_by(SupplyItem.name, SupplyItem.id)
    return _item_filters(stmt, q=q, category_id=category_id, status=status)


@lru_cache(maxsize=32)
def _item_page_statements(has_q: bool, has_category: bool, status: str):
    """The item list's row and count statements for one filter shape, built once (building a
    statement costs more than running it); the values are bound per request."""
    stmt = (
        select(
            SupplyItem.id,
            SupplyItem.name,
            SupplyItem.sku,
            SupplyCategory.name.label("category"),
            Supplier.name.label("supplier"),
            SupplyItem.unit,
            SupplyItem.on_hand,
            SupplyItem.reorder_point,
            SupplyItem.unit_cost,
            SupplyItem.location,
            SupplyItem.active,
            (SupplyItem.active & (SupplyItem.on_hand <= SupplyItem.reorder_point)).label("low"),
        )
        .join(SupplyCategory, SupplyCategory.id == SupplyItem.category_id)
        .outerjoin(Supplier, Supplier.id == SupplyItem.supplier_id)
        .order_by(SupplyItem.name, SupplyItem.id)
    )
    count = select(func.count(SupplyItem.id))
    out = []
    for base in (stmt, count):
        if has_q:
            like = bindparam("like")
            base = base.where(or_(SupplyItem.name.ilike(like), SupplyItem.sku.ilike(like)))
        if has_category:
            base = base.where(SupplyItem.category_id == bindparam("category_id"))
        out.append(_item_filters(base, status=status))
    return paged(out[0]), out[1]


def item_page(
    *, q: str = "", category_id: int | None = None, status: str = "", page: int, per_page: int
) -> RowPage:
    """One page of the catalogue as plain rows (id, name, sku, category, supplier, unit,
    on_hand, reorder_point, unit_cost, location, active, low): two queries whatever the size."""
    q = q.strip()
    if status not in ("active", "inactive", "low"):
        status = ""
    stmt, count = _item_page_statements(bool(q), bool(category_id), status)
    params = {"like": f"%{q}%", "category_id": category_id}
    return row_page(stmt, count, list, page=page, per_page=per_page, params=params)


def get_item_or_404(item_id: int) -> SupplyItem:
    item = db.session.get(SupplyItem, item_id)
    if item is None:
        raise NotFound(_("This item does not exist."))
    return item


def get_supplier_or_404(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(_("This supplier does not exist."))
    return supplier


ITEM_FIELDS = [
    "sku",
    "name",
    "category_id",
    "unit",
    "pack_size",
    "supplier_id",
    "unit_cost",
    "reorder_point",
    "par_level",
    "location",
    "active",
]


def clean_item_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Validate item fields (shared by the form and the CSV import)."""
    sku = str(data.get("sku") or "").strip()
    name = str(data.get("name") or "").strip()
    if not sku:
        raise ValidationError(_("Enter a SKU."), field="sku")
    if len(sku) > 40:
        raise ValidationError(_("The SKU is too long (40 characters at most)."), field="sku")
    if not name:
        raise ValidationError(_("Enter a name."), field="name")
    pack = _int(data.get("pack_size") or 1, "pack_size", minimum=1)
    reorder = _int(data.get("reorder_point") or 0, "reorder_point")
    par = _int(data.get("par_level") or 0, "par_level")
    if par < reorder:
        raise ValidationError(
            _("The par level must be at least the reorder point."), field="par_level"
        )
    category_id = parse_int(data.get("category_id"), minimum=1)
    if not category_id or db.session.get(SupplyCategory, category_id) is None:
        raise ValidationError(_("Choose a category."), field="category_id")
    supplier_id = data.get("supplier_id") or None
    if supplier_id and (supplier_id := parse_int(supplier_id, minimum=1)) is None:
        raise ValidationError(_("Choose a supplier."), field="supplier_id")
    if supplier_id and db.session.get(Supplier, supplier_id) is None:
        raise ValidationError(_("Choose a supplier."), field="supplier_id")
    return {
        "sku": sku,
        "name": name[:160],
        "category_id": category_id,
        "unit": (str(data.get("unit") or "un").strip() or "un")[:20],
        "pack_size": pack,
        "supplier_id": supplier_id,
        "unit_cost": _decimal(data.get("unit_cost") or "0", "unit_cost"),
        "reorder_point": reorder,
        "par_level": par,
        "location": (str(data.get("location") or "").strip() or None),
        "active": bool(data.get("active", True)),
    }


def save_item(item: SupplyItem | None, *, actor: User, data: dict[str, Any]) -> SupplyItem:
    fields = clean_item_fields(data)
    clash = db.session.scalar(select(SupplyItem.id).where(SupplyItem.sku == fields["sku"]))
    if clash is not None and (item is None or clash != item.id):
        raise ValidationError(_("Another item already uses this SKU."), field="sku")
    if item is None:
        item = SupplyItem(**fields)
        db.session.add(item)
        db.session.flush()
        audit.record(actor, "supplies.item.create", item, {"sku": fields["sku"]})
    else:
        changes = audit.diff(item, ITEM_FIELDS, fields)
        for key, value in fields.items():
            setattr(item, key, value)
        db.session.flush()
        if changes:
            audit.record(actor, "supplies.item.update", item, changes)
    return item


def save_supplier(supplier: Supplier | None, *, actor: User, data: dict[str, Any]) -> Supplier:
    name = str(data.get("name") or "").strip()
    email = str(data.get("order_email") or "").strip()
    if not name:
        raise ValidationError(_("Enter a name."), field="name")
    if "@" not in email or " " in email:
        raise ValidationError(_("Enter the e-mail address orders go to."), field="order_email")
    clash = db.session.scalar(select(Supplier.id).where(Supplier.name == name))
    if clash is not None and (supplier is None or clash != supplier.id):
        raise ValidationError(_("Another supplier already has this name."), field="name")
    fields = {
        "name": name[:160],
        "order_email": email[:254],
        "phone": (str(data.get("phone") or "").strip() or None),
        "lead_time_days": _int(data.get("lead_time_days") or 0, "lead_time_days"),
        "min_order_value": _decimal(data.get("min_order_value") or "0", "min_order_value"),
        "active": bool(data.get("active", True)),
    }
    if supplier is None:
        supplier = Supplier(**fields)
        db.session.add(supplier)
        db.session.flush()
        audit.record(actor, "supplies.supplier.create", supplier)
    else:
        changes = audit.diff(supplier, list(fields), fields)
        for key, value in fields.items():
            setattr(supplier, key, value)
        db.session.flush()
        if changes:
            audit.record(actor, "supplies.supplier.update", supplier, changes)
    return supplier


CSV_COLUMNS = [
    "sku",
    "name",
    "category",
    "unit",
    "pack_size",
    "supplier",
    "unit_cost",
    "reorder_point",
    "par_level",
    "location",
    "active",
    "on_hand",
]


def export_items_csv(stmt) -> str:
    """Write the selected items as CSV (formula-safe, portal.exports); one query."""

    def rows() -> Iterator[list[Any]]:
        yield CSV_COLUMNS
        for item in db.session.scalars(stmt):
            yield [
                item.sku,
                item.name,
                item.category.name,
                item.unit,
                item.pack_size,
                item.supplier.name if item.supplier else "",
                f"{item.unit_cost:.2f}",
                item.reorder_point,
                item.par_level,
                item.location,
                "yes" if item.active else "no",
                item.on_hand,
            ]

    return write_csv(rows())


class ImportRejected(ValidationError):
    """A CSV import with bad rows: nothing was imported; ``rows`` says what to fix."""

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        super().__init__(
            _("Nothing was imported: %(n)d row(s) need fixing.", n=len(rows)), field="file"
        )
        self.rows = rows


def import_items_csv(data: bytes, *, actor: User) -> tuple[int, int]:
    """Create or update items from CSV (matched by SKU); any bad row imports nothing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file must be UTF-8 encoded CSV."), field="file") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = {"sku", "name", "category"} - set(header)
    if missing:
        raise ValidationError(
            _("Missing columns: %(cols)s.", cols=", ".join(sorted(missing))), field="file"
        )
    categories = {c.name.lower(): c.id for c in list_categories()}
    suppliers = {s.name.lower(): s.id for s in list_suppliers_all(active_only=False)}
    existing = {sku: i for sku, i in db.session.execute(select(SupplyItem.sku, SupplyItem.id))}
    errors: list[tuple[int, str]] = []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            category_id = categories.get(row.get("category", "").lower())
            if category_id is None:
                raise ValidationError(
                    _("Unknown category “%(name)s”.", name=row.get("category", "")),
                    field="category",
                )
            supplier_id = None
            if row.get("supplier"):
                supplier_id = suppliers.get(row["supplier"].lower())
                if supplier_id is None:
                    raise ValidationError(
                        _("Unknown supplier “%(name)s”.", name=row["supplier"]), field="supplier"
                    )
            fields = clean_item_fields(
                {
                    **row,
                    "category_id": category_id,
                    "supplier_id": supplier_id,
                    "active": row.get("active", "yes").lower() not in ("no", "0", "false", "n"),
                }
            )
            if fields["sku"] in seen:
                raise ValidationError(_("This SKU appears twice in the file."), field="sku")
            seen.add(fields["sku"])
            cleaned.append(fields)
        except ValidationError as error:
            errors.append((number, error.message))
    if errors:
        raise ImportRejected(errors)
    if not cleaned:
        raise ValidationError(_("The file has no rows."), field="file")
    created = updated = 0
    for fields in cleaned:
        item_id = existing.get(fields["sku"])
        if item_id is None:
            db.session.add(SupplyItem(**fields))
            created += 1
        else:
            item = db.session.get(SupplyItem, item_id)
            for key, value in fields.items():
                setattr(item, key, value)
            updated += 1
    db.session.flush()
    audit.record(actor, "supplies.item.import", None, {"created": created, "updated": updated})
    return created, updated


# --- stock ledger -----------------------------------------------------------------------------


def _move(
    item: SupplyItem,
    delta: int,
    kind: str,
    *,
    actor: User | None,
    reason: str | None = None,
    issued_to: User | None = None,
    department_id: int | None = None,
    order_line_id: int | None = None,
    count_id: int | None = None,
) -> StockMovement:
    """Change on-hand by ``delta`` and write the ledger row, atomically; never below zero."""
    stmt = update(SupplyItem).where(SupplyItem.id == item.id)
    if delta < 0:
        stmt = stmt.where(SupplyItem.on_hand >= -delta)
    result = db.session.execute(
        stmt.values(on_hand=SupplyItem.on_hand + delta).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(item)
        raise ValidationError(
            _(
                "Only %(n)d %(unit)s of %(item)s on hand; you cannot take %(qty)d.",
                n=item.on_hand,
                unit=item.unit,
                item=item.name,
                qty=-delta,
            ),
            field="quantity",
        )
    movement = StockMovement(
        item_id=item.id,
        kind=kind,
        quantity=delta,
        reason=(reason or None) and reason[:300],
        issued_to_id=issued_to.id if issued_to else None,
        department_id=department_id,
        actor_id=actor.id if actor else None,
        order_line_id=order_line_id,
        count_id=count_id,
    )
    db.session.add(movement)
    db.session.flush()
    db.session.refresh(item, ["on_hand"])
    return movement


def issue_stock(
    item: SupplyItem,
    *,
    quantity: Any,
    actor: User,
    issued_to: User | None = None,
    department_id: int | None = None,
    reason: str | None = None,
) -> StockMovement:
    qty = _int(quantity, "quantity", minimum=1)
    movement = _move(
        item,
        -qty,
        ISSUE,
        actor=actor,
        reason=reason,
        issued_to=issued_to,
        department_id=department_id,
    )
    audit.record(actor, "supplies.stock.issue", item, {"quantity": qty})
    return movement


def receive_stock(
    item: SupplyItem, *, quantity: Any, actor: User, reason: str | None = None
) -> StockMovement:
    qty = _int(quantity, "quantity", minimum=1)
    movement = _move(item, qty, RECEIPT, actor=actor, reason=reason)
    audit.record(actor, "supplies.stock.receipt", item, {"quantity": qty})
    return movement


def list_movements(item: SupplyItem):
    return (
        select(StockMovement)
        .where(StockMovement.item_id == item.id)
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())
    )


# --- stock counts -----------------------------------------------------------------------------


def list_counts():
    return select(StockCount).order_by(StockCount.started_at.desc(), StockCount.id.desc())


def get_count_or_404(count_id: int) -> StockCount:
    count = db.session.get(StockCount, count_id)
    if count is None:
        raise NotFound(_("This stock count does not exist."))
    return count


def start_count(*, actor: User, category_id: int | None = None) -> StockCount:
    """Snapshot on-hand of every active item (or one category) into a new count."""
    if category_id and db.session.get(SupplyCategory, category_id) is None:
        raise ValidationError(_("Choose a category."), field="category_id")
    count = StockCount(category_id=category_id or None, started_by_id=actor.id)
    db.session.add(count)
    db.session.flush()
    stmt = select(SupplyItem.id, SupplyItem.on_hand).where(SupplyItem.active.is_(True))
    if category_id:
        stmt = stmt.where(SupplyItem.category_id == category_id)
    rows = [
        {"count_id": count.id, "item_id": i, "expected": q, "counted": None}
        for i, q in db.session.execute(stmt)
    ]
    if not rows:
        raise ValidationError(_("There are no active items to count."), field="category_id")
    db.session.execute(StockCountLine.__table__.insert(), rows)
    audit.record(actor, "supplies.count.start", count, {"items": len(rows)})
    return count


def count_lines(count: StockCount) -> list[StockCountLine]:
    return list(
        db.session.scalars(
            select(StockCountLine)
            .join(SupplyItem, SupplyItem.id == StockCountLine.item_id)
            .where(StockCountLine.count_id == count.id)
            .order_by(SupplyItem.location, SupplyItem.name)
        )
    )


def get_count_line_or_404(count: StockCount, line_id: int) -> StockCountLine:
    line = db.session.get(StockCountLine, line_id)
    if line is None or line.count_id != count.id:
        raise NotFound(_("This line does not exist."))
    return line


def set_counted(line: StockCountLine, *, counted: Any, actor: User) -> StockCountLine:
    """Record what was found on the shelf; every change is audited, old → new (a count decides
    the stock adjustments, so who typed which number must be traceable)."""
    if line.count.status != "open":
        raise InvalidTransition(_("This count was already posted."))
    text = str(counted if counted is not None else "").strip()
    new = None if text == "" else _int(text, "counted")
    changes = audit.diff(line, ["counted"], {"counted": new})
    if changes:
        line.counted = new
        db.session.flush()
        audit.record(actor, "supplies.count.line", line.count, {"item": line.item.sku, **changes})
    return line


def post_count(count: StockCount, *, actor: User) -> int:
    """Write every variance to the ledger in one transaction; return how many adjustments."""
    if count.status != "open":
        raise InvalidTransition(_("This count was already posted."))
    lines = count_lines(count)
    uncounted = [ln for ln in lines if ln.counted is None]
    if uncounted:
        raise ValidationError(
            _("%(n)d item(s) have no counted quantity yet.", n=len(uncounted)), field="counted"
        )
    claimed = db.session.execute(
        update(StockCount)
        .where(StockCount.id == count.id, StockCount.status == "open")
        .values(status="posted", posted_at=utcnow(), posted_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("This count was posted by someone else. Reload to see it."))
    adjustments = 0
    for line in lines:
        variance = line.variance or 0
        if variance:
            _move(
                line.item,
                variance,
                ADJUSTMENT,
                actor=actor,
                reason=_("Stock count #%(id)d", id=count.id),
                count_id=count.id,
            )
            adjustments += 1
    db.session.refresh(count)
    audit.record(actor, "supplies.count.post", count, {"adjustments": adjustments})
    return adjustments


# --- reorder suggestions ----------------------------------------------------------------------

# Average daily use is measured over this many days of issue movements.
USAGE_WINDOW_DAYS = 90


@dataclass(slots=True)
class Suggestion:
    """One item to reorder, with the numbers that explain it (a read model, not the ORM row).

    ``extra`` is the lead-time allowance: what the item is expected to use while an order is on
    its way (average daily use × the supplier's lead time, rounded up); it raises both the
    reorder point and the par level the suggestion fills up to.
    """

    item_id: int
    name: str
    sku: str
    unit: str
    pack_size: int
    unit_cost: Decimal
    reorder_point: int
    par_level: int
    supplier_id: int | None
    supplier: str | None
    on_hand: int
    on_order: int
    daily_use: Decimal | None
    lead_time: int
    low_alerted_on: date | None
    extra: int = 0
    need: int = 0
    packs: int = 0

    @property
    def quantity(self) -> int:
        return self.packs * self.pack_size

    @property
    def amount(self) -> Decimal:
        return (self.unit_cost * self.quantity).quantize(CENT)

    def explain(self, plain: str, with_lead: str, decimal_sign: str = ".") -> str:
        """Fill the translated explanation (``plain``, or ``with_lead`` when lead time adds
        something); pages translate the two texts once and call this per row."""
        values = {
            "on_hand": self.on_hand,
            "on_order": self.on_order,
            "rp": self.reorder_point,
            "par": self.par_level,
            "need": self.need,
            "packs": self.packs,
            "pack": self.pack_size,
        }
        if not self.extra:
            return plain % values
        use = self.daily_use or Decimal("0")
        if use >= 1:
            text = str(int(use.to_integral_value()))
        else:  # small rates keep a significant digit: 0.4, 0.03
            text = f"{use:.1f}" if use >= Decimal("0.1") else f"{use:.2f}"
        return with_lead % {
            **values,
            "use": text.replace(".", decimal_sign),
            "days": self.lead_time,
            "extra": self.extra,
        }

    @property
    def explanation(self) -> str:
        from babel.numbers import get_decimal_symbol
        from flask_babel import get_locale

        return self.explain(*explanation_texts(), get_decimal_symbol(get_locale() or "en"))


def explanation_texts() -> tuple[str, str]:
    """The two explanation texts, translated (placeholders left for ``Suggestion.explain``)."""
    return (
        _(
            "on hand %(on_hand)d, on order %(on_order)d, reorder point %(rp)d, par %(par)d "
            "→ %(need)d → %(packs)d packs of %(pack)d"
        ),
        _(
            "uses ~%(use)s/day, lead time %(days)d days → +%(extra)d; on hand %(on_hand)d, "
            "on order %(on_order)d, reorder point %(rp)d + %(extra)d, par %(par)d + %(extra)d "
            "→ %(need)d → %(packs)d packs of %(pack)d"
        ),
    )


def _on_order_subquery():
    """Outstanding quantity per item on open orders.

    Written as ``order_id IN (open orders)`` so the planner starts from the few open orders
    (status index) instead of scanning every line ever ordered.
    """
    open_orders = select(PurchaseOrder.id).where(PurchaseOrder.status.in_(OPEN_STATUSES))
    return (
        select(
            PurchaseOrderLine.item_id.label("item_id"),
            func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_qty).label("qty"),
        )
        .where(PurchaseOrderLine.order_id.in_(open_orders))
        .group_by(PurchaseOrderLine.item_id)
        .subquery()
    )


def _suggestion_select(*columns: Any, supplier_id: int | None = None):
    """Items at or below their (lead-time-raised) reorder point counting what is on order,
    and below their par level: ONE set-based statement over all items.

    With ``use`` = daily use × lead time (the unrounded allowance) and ``have`` = on hand + on
    order, the conditions ``have <= reorder_point + ceil(use)`` and ``have < par + ceil(use)``
    are written without CEIL (which SQLite lacks): for whole numbers, ``n <= ceil(u)`` is
    ``n - 1 < u`` and ``n < ceil(u)`` is ``n < u``.
    """
    on_order = _on_order_subquery()
    have = SupplyItem.on_hand + func.coalesce(on_order.c.qty, 0)
    use = func.coalesce(SupplyItem.daily_use, 0) * func.coalesce(Supplier.lead_time_days, 0)
    # A necessary condition on the item's own columns (on order >= 0, lead time <= the longest
    # any supplier has), checked before the joins: most items drop out of the scan here.
    longest_lead = select(func.coalesce(func.max(Supplier.lead_time_days), 0)).scalar_subquery()
    plausible = (
        SupplyItem.on_hand - SupplyItem.reorder_point - 1
        < func.coalesce(SupplyItem.daily_use, 0) * longest_lead
    )
    # The same with the largest daily use of any item: a bound on on_hand - reorder_point
    # alone, read as a range of ix_supply_item_margin (the largest use comes from the
    # end of ix_supply_item_daily_use), so only the items near their reorder point are read.
    # "<=" and "+ 1" rather than "- 1 <": rounding of a float bound cannot drop an item.
    every_item = aliased(SupplyItem)  # never correlated with the outer items
    largest_use = select(func.coalesce(func.max(every_item.daily_use), 0)).scalar_subquery()
    near = SupplyItem.on_hand - SupplyItem.reorder_point <= largest_use * longest_lead + 1
    stmt = (
        select(*columns, func.coalesce(on_order.c.qty, 0).label("on_order"))
        .select_from(SupplyItem)
        .outerjoin(on_order, on_order.c.item_id == SupplyItem.id)
        .outerjoin(Supplier, Supplier.id == SupplyItem.supplier_id)
        .where(
            # "active" inside coalesce: SQLite (without statistics) would otherwise prefer
            # ix_supply_item_active_name (active = ?, most items) to the range of the margin.
            func.coalesce(SupplyItem.active, False).is_(True),
            near,
            plausible,
            have - SupplyItem.reorder_point - 1 < use,
            have - SupplyItem.par_level < use,
        )
    )
    if supplier_id:
        stmt = stmt.where(SupplyItem.supplier_id == supplier_id)
    return stmt


# In the order of Suggestion's first fields (rows are unpacked positionally).
_SUGGESTION_COLUMNS = (
    SupplyItem.id.label("item_id"),
    SupplyItem.name,
    SupplyItem.sku,
    SupplyItem.unit,
    SupplyItem.pack_size,
    SupplyItem.unit_cost,
    SupplyItem.reorder_point,
    SupplyItem.par_level,
    SupplyItem.supplier_id,
    Supplier.name.label("supplier"),
    SupplyItem.on_hand,
    SupplyItem.daily_use,
    func.coalesce(Supplier.lead_time_days, 0).label("lead_time"),
)


def _suggestion(row: Any) -> Suggestion:
    """Build from a row of ``_SUGGESTION_COLUMNS`` + one extra column + on_order (last);
    positional, as this runs for every row of the page."""
    daily_use = row[11]
    s = Suggestion(
        *row[:11],
        int(row[-1] or 0),  # on_order
        daily_use if daily_use is None or isinstance(daily_use, Decimal) else Decimal(daily_use),
        int(row[12] or 0),  # lead_time
        None,  # low_alerted_on: set by suggestions() for the daily job
    )
    if s.daily_use and s.lead_time:
        s.extra = math.ceil(s.daily_use * s.lead_time)
    s.need = s.par_level + s.extra - (s.on_hand + s.on_order)
    s.packs = math.ceil(s.need / s.pack_size)
    return s


def suggestions(*, item_ids: Iterable[int] | None = None) -> list[Suggestion]:
    """Every suggestion (or those of ``item_ids``), by supplier and name: one query."""
    stmt = _suggestion_select(*_SUGGESTION_COLUMNS, SupplyItem.low_alerted_on).order_by(
        SupplyItem.supplier_id, SupplyItem.name, SupplyItem.id
    )
    if item_ids is not None:
        stmt = stmt.where(SupplyItem.id.in_(list(item_ids)))
    out = []
    for row in db.session.execute(stmt):
        s = _suggestion(row)
        s.low_alerted_on = row.low_alerted_on
        out.append(s)
    return out


@lru_cache(maxsize=4)
def _suggestion_page_statements(by_supplier: bool):
    """The suggestions page's statement (rows plus ``COUNT(*) OVER ()``) and its fallback
    count, built once; the supplier is bound per request."""
    supplier = bindparam("supplier_id") if by_supplier else None
    stmt = _suggestion_select(
        *_SUGGESTION_COLUMNS, func.count().over().label("total_rows")
    ).order_by(SupplyItem.supplier_id, SupplyItem.name, SupplyItem.id)
    count = select(func.count()).select_from(_suggestion_select(SupplyItem.id).subquery())
    if supplier is not None:
        stmt = stmt.where(SupplyItem.supplier_id == supplier)
        count = select(func.count()).select_from(
            _suggestion_select(SupplyItem.id).where(SupplyItem.supplier_id == supplier).subquery()
        )
    return paged(stmt), count


def suggestion_page(*, supplier_id: int | None = None, page: int, per_page: int) -> RowPage:
    """One page of suggestions (optionally one supplier's), by supplier and name."""
    stmt, count = _suggestion_page_statements(bool(supplier_id))
    return row_page(
        stmt,
        count,
        lambda rows: [_suggestion(row) for row in rows],
        page=page,
        per_page=per_page,
        params={"supplier_id": supplier_id},
        windowed=True,
    )


def low_stock_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(_suggestion_select(SupplyItem.id).subquery())
        )
        or 0
    )


def refresh_daily_use(*, now: datetime | None = None) -> int:
    """Recompute every item's average daily use over the last ``USAGE_WINDOW_DAYS`` days from
    its issue movements: one set-based UPDATE (index on item and time); returns rows updated."""
    now = now or utcnow()
    since = now - timedelta(days=USAGE_WINDOW_DAYS)
    issued = (
        select(func.coalesce(func.sum(-StockMovement.quantity), 0))
        .where(
            StockMovement.item_id == SupplyItem.id,
            StockMovement.kind == ISSUE,
            StockMovement.at >= since,
        )
        .correlate(SupplyItem)
        .scalar_subquery()
    )
    result = db.session.execute(
        update(SupplyItem)
        # "1.0" as a literal: numeric on PostgreSQL (round(numeric, int)), real on SQLite.
        .values(daily_use=func.round(issued * literal_column("1.0") / USAGE_WINDOW_DAYS, 3))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def drafts_from_suggestions(item_ids: Sequence[int], *, actor: User) -> list[PurchaseOrder]:
    """Turn the selected suggestions into draft orders, one per supplier.

    Suggestions are recomputed here and drafts count as "on order", so submitting the same
    selection twice (double click, two tabs) creates nothing the second time.
    """
    if not item_ids:
        raise ValidationError(_("Select at least one suggestion."), field="items")
    chosen = suggestions(item_ids=[int(i) for i in item_ids])
    by_supplier: dict[int, list[Suggestion]] = {}
    for s in chosen:
        if s.supplier_id is None:
            continue
        by_supplier.setdefault(s.supplier_id, []).append(s)
    orders = []
    for supplier_id, rows in by_supplier.items():
        order = PurchaseOrder(
            supplier_id=supplier_id, requester_id=actor.id, updated_by_id=actor.id
        )
        order.lines = [
            PurchaseOrderLine(item_id=s.item_id, quantity=s.quantity, unit_cost=s.unit_cost)
            for s in rows
        ]
        db.session.add(order)
        db.session.flush()
        _recompute(order)
        _record_contributor(order, actor)
        audit.record(actor, "supplies.order.create", order, {"from": "suggestions"})
        orders.append(order)
    if not orders:
        raise ValidationError(
            _("Nothing to order: these items are already on order or have no supplier."),
            field="items",
        )
    return orders


# --- purchase orders --------------------------------------------------------------------------


def _order_filters(stmt, *, status: str = "", q: str = ""):
    """The purchase-order list's filters (status or "open", number or supplier name)."""
    if status == "open":
        stmt = stmt.where(PurchaseOrder.status.in_(OPEN_STATUSES))
    elif status:
        stmt = stmt.where(PurchaseOrder.status == status)
    if q:
        q = q.strip().upper().removeprefix("PO-")
        if (number := parse_int(q)) is not None:
            stmt = stmt.where(PurchaseOrder.id == number)
        else:
            stmt = stmt.where(
                PurchaseOrder.supplier_id.in_(
                    select(Supplier.id).where(Supplier.name.ilike(f"%{q}%"))
                )
            )
    return stmt


@lru_cache(maxsize=16)
def _order_page_statements(status_kind: str, q_kind: str):
    """The order list's row and count statements for one filter shape, built once.

    ``status_kind``: "" (all), "open" or "one"; ``q_kind``: "" , "number" or "supplier".
    """
    requester = aliased(User)
    stmt = (
        select(
            PurchaseOrder.id,
            Supplier.name.label("supplier"),
            requester.name.label("requester"),
            PurchaseOrder.created_at,
            PurchaseOrder.total,
            PurchaseOrder.status,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(requester, requester.id == PurchaseOrder.requester_id)
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
    )
    count = select(func.count(PurchaseOrder.id))
    out = []
    for base in (stmt, count):
        if status_kind == "open":
            base = base.where(PurchaseOrder.status.in_(OPEN_STATUSES))
        elif status_kind == "one":
            base = base.where(PurchaseOrder.status == bindparam("status"))
        if q_kind == "number":
            base = base.where(PurchaseOrder.id == bindparam("order_id"))
        elif q_kind == "supplier":
            base = base.where(
                PurchaseOrder.supplier_id.in_(
                    select(Supplier.id).where(Supplier.name.ilike(bindparam("like")))
                )
            )
        out.append(base)
    return paged(out[0]), out[1]


def order_page(*, status: str = "", q: str = "", page: int, per_page: int) -> RowPage:
    """One page of the purchase-order list as rows (id, supplier, requester, created_at, total,
    status), newest first, with the same filters as the CSV export: two queries."""
    status_kind = "open" if status == "open" else ("one" if status else "")
    term = q.strip().upper().removeprefix("PO-")
    number = parse_int(term)
    q_kind = "" if not term else ("number" if number is not None else "supplier")
    stmt, count = _order_page_statements(status_kind, q_kind)
    params = {
        "status": status,
        "order_id": number,
        "like": f"%{term}%",
    }
    return row_page(stmt, count, list, page=page, per_page=per_page, params=params)


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


def export_orders_csv(*, status: str = "", q: str = "") -> str:
    """The purchase-order list as CSV with the list's filters, newest first (formula-safe).

    One query over plain rows (no ORM objects), so exporting years of orders stays cheap; times
    are in the portal's time zone.
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
    zone = _zone()

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    def rows() -> Iterator[list[Any]]:
        yield ORDER_CSV_COLUMNS
        for row in db.session.execute(stmt.execution_options(yield_per=1000)):
            (oid, st, supplier, category, req, created, submitted, approved, by, for_, n, total) = (
                row
            )
            yield [
                order_number(oid),
                st,
                supplier,
                category,
                req,
                when(created),
                when(submitted),
                when(approved),
                by,
                for_,
                n,
                f"{Decimal(total or 0):.2f}",
            ]

    return write_csv(rows())


def get_order_or_404(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound(_("This purchase order does not exist."))
    return order


def _recompute(order: PurchaseOrder) -> None:
    """Set the total and the category (the one with the largest share of the total)."""
    total = Decimal("0")
    share: dict[int, Decimal] = {}
    for line in order.lines:
        total += line.line_total
        cid = line.item.category_id if line.item else None
        if cid is not None:
            share[cid] = share.get(cid, Decimal("0")) + line.line_total
    order.total = total
    order.category_id = max(share, key=lambda c: share[c]) if share else None
    db.session.flush()


def changed_message(order: PurchaseOrder) -> str:
    who = order.updated_by.name if order.updated_by else _("the system")
    return _(
        "This order was changed by %(name)s at %(time)s (now: %(status)s). "
        "Reload to see the current version.",
        name=who,
        time=format_datetime(order.updated_at, "short"),
        status=order.status_label,
    )


def _check_version(order: PurchaseOrder, seen_version: int | None) -> None:
    if seen_version is not None and int(seen_version) != order.version:
        raise Conflict(changed_message(order))


def _transition(
    order: PurchaseOrder,
    *,
    seen_version: int | None,
    allowed_from: Iterable[str],
    actor: User | None,
    **values: Any,
) -> None:
    """Change the order with UPDATE ... WHERE version = :seen AND status IN (...).

    Zero rows means someone else changed it first: the loser gets a 409 naming who and when.
    """
    seen = order.version if seen_version is None else int(seen_version)
    allowed = tuple(allowed_from)
    result = db.session.execute(
        update(PurchaseOrder)
        .where(
            PurchaseOrder.id == order.id,
            PurchaseOrder.version == seen,
            PurchaseOrder.status.in_(allowed),
        )
        .values(
            version=PurchaseOrder.version + 1,
            updated_at=utcnow(),
            updated_by_id=actor.id if actor else None,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order)
    if result.rowcount != 1:
        if order.version != seen:
            raise Conflict(changed_message(order))
        raise InvalidTransition(
            _("This order is %(status)s; that is not possible now.", status=order.status_label)
        )


def create_order(*, supplier: Supplier, actor: User, notes: str | None = None) -> PurchaseOrder:
    order = PurchaseOrder(
        supplier_id=supplier.id, requester_id=actor.id, updated_by_id=actor.id, notes=notes or None
    )
    db.session.add(order)
    db.session.flush()
    audit.record(actor, "supplies.order.create", order)
    return order


# --- who composed an order (segregation of duties) -------------------------------------------


def _record_contributor(order: PurchaseOrder, actor: User) -> None:
    """Remember that ``actor`` created or changed the order's lines (once per person).

    INSERT ... ON CONFLICT DO NOTHING: two changes by the same person at once never collide.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(PurchaseOrderContributor)
        .values(order_id=order.id, user_id=actor.id, first_at=utcnow())
        .on_conflict_do_nothing()
    )


def composed_by(order: PurchaseOrder, user: User) -> bool:
    """Whether ``user`` requested the order or created or changed any of its lines: then they
    count as a requester and may neither approve nor reject it."""
    if order.requester_id == user.id:
        return True
    return _composer_ids(order, [user.id]) != set()


def _composer_ids(order: PurchaseOrder, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` created or changed the order's lines."""
    wanted = [i for i in user_ids if i is not None]
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            select(PurchaseOrderContributor.user_id).where(
                PurchaseOrderContributor.order_id == order.id,
                PurchaseOrderContributor.user_id.in_(wanted),
            )
        )
    )


def order_contributors(order: PurchaseOrder) -> list[User]:
    """Who changed the order's lines besides its requester, in the order they first did."""
    return list(
        db.session.scalars(
            select(User)
            .join(PurchaseOrderContributor, PurchaseOrderContributor.user_id == User.id)
            .where(
                PurchaseOrderContributor.order_id == order.id,
                PurchaseOrderContributor.user_id != order.requester_id,
            )
            .order_by(PurchaseOrderContributor.first_at, User.name)
        )
    )


def may_cancel(order: PurchaseOrder, user: User) -> bool:
    """The requester or an office manager (the portal has no per-person manager: departments
    carry none, and office managers manage purchasing for everyone)."""
    return order.requester_id == user.id or user.has_role("office_manager")


@dataclass(slots=True)
class OrderRights:
    """What the order page offers ``user``; the services refuse the rest anyway."""

    decide: bool  # approve or reject
    cancel: bool
    contributors: list[User]


def order_rights(order: PurchaseOrder, user: User) -> OrderRights:
    contributors = order_contributors(order)
    composed = order.requester_id == user.id or any(u.id == user.id for u in contributors)
    return OrderRights(
        decide=order.status == PENDING_APPROVAL and user.can("purchase.approve") and not composed,
        cancel=order.status in (DRAFT, PENDING_APPROVAL, APPROVED)
        and user.can("purchase.create")
        and may_cancel(order, user),
        contributors=contributors,
    )


def _require_draft_editor(order: PurchaseOrder, actor: User) -> None:
    if order.status != DRAFT:
        raise InvalidTransition(_("Only draft orders can be edited."))


def add_line(
    order: PurchaseOrder,
    *,
    item: SupplyItem | None,
    quantity: Any,
    actor: User,
    seen_version: int | None = None,
) -> PurchaseOrderLine:
    _check_version(order, seen_version)
    _require_draft_editor(order, actor)
    if item is None:
        raise ValidationError(_("Choose an item."), field="item_id")
    qty = _int(quantity, "quantity", minimum=1)
    existing = next((ln for ln in order.lines if ln.item_id == item.id), None)
    if existing is not None:
        existing.quantity += qty
        line = existing
    else:
        line = PurchaseOrderLine(item=item, quantity=qty, unit_cost=item.unit_cost)
        order.lines.append(line)
    db.session.flush()
    _recompute(order)
    _transition(order, seen_version=order.version, allowed_from=(DRAFT,), actor=actor)
    _record_contributor(order, actor)
    audit.record(actor, "supplies.order.line_add", order, {"item": item.sku, "quantity": qty})
    return line


def remove_line(
    order: PurchaseOrder, *, line_id: int, actor: User, seen_version: int | None = None
) -> None:
    _check_version(order, seen_version)
    _require_draft_editor(order, actor)
    line = next((ln for ln in order.lines if ln.id == line_id), None)
    if line is None:
        raise NotFound(_("This line does not exist."))
    order.lines.remove(line)
    db.session.flush()
    _recompute(order)
    _transition(order, seen_version=order.version, allowed_from=(DRAFT,), actor=actor)
    _record_contributor(order, actor)
    audit.record(actor, "supplies.order.line_remove", order, {"item": line.item.sku})


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
    approvers = approvers_for(order)
    url = _url("supplies.order", order_id=order.id)
    for user in approvers:
        notifications.notify(
            user,
            "supplies.approval_needed",
            order,
            text=lambda: _l(
                "%(number)s from %(requester)s (%(supplier)s, %(total)s) waits for your approval.",
                number=order.number,
                requester=order.requester.name,
                supplier=order.supplier.name,
                total=money(order.total),
            ),
            url=url,
            dedupe_key=f"po:{order.id}:v{order.version}:approve:{user.id}",
        )
    return approvers


# --- approval rules and delegation ------------------------------------------------------------


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


def active_delegations(today: date | None = None) -> list[Delegation]:
    today = today or local_today()
    return list(
        db.session.scalars(
            select(Delegation).where(
                Delegation.cancelled_at.is_(None),
                Delegation.starts_on <= today,
                Delegation.ends_on >= today,
            )
        )
    )


def approval_authority(
    order: PurchaseOrder, user: User, *, today: date | None = None
) -> User | None:
    """Return who ``user`` approves on behalf of (None: in their own right) or refuse.

    Whoever created or changed the order's lines counts as a requester: they never approve or
    reject it, and nobody does so on their behalf (the database refuses it too).
    """
    if order.requester_id == user.id:
        raise NotAllowed(_("You cannot approve or reject your own order."))
    if composed_by(order, user):
        raise NotAllowed(_("You cannot approve or reject this order: you changed its lines."))
    if user.has_role("office_manager"):
        return None
    mine = [d for d in active_delegations(today) if d.delegate_id == user.id]
    if not mine:
        raise NotAllowed(_("You may not approve purchase orders."))
    usable = [d for d in mine if d.manager_id != order.requester_id]
    if not usable:
        raise NotAllowed(_("You cannot approve an order on behalf of the person who requested it."))
    composers = _composer_ids(order, [d.manager_id for d in usable])
    usable = [d for d in usable if d.manager_id not in composers]
    if not usable:
        raise NotAllowed(
            _("You cannot approve this order on behalf of someone who changed its lines.")
        )
    if not delegate_allowed(order):
        raise NotAllowed(
            _("Orders of %(total)s need an office manager's approval.", total=money(order.total))
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


def approvers_for(order: PurchaseOrder, *, today: date | None = None) -> list[User]:
    """Who is told an order waits: present managers, and delegates of absent ones."""
    absent = {d.manager_id: d for d in active_delegations(today)}
    allow_delegate = delegate_allowed(order)
    managers = users_with_role("office_manager")
    composers = _composer_ids(
        order, [m.id for m in managers] + [d.delegate_id for d in absent.values()]
    )
    composers.add(order.requester_id)
    out: dict[int, User] = {}
    for manager in managers:
        if manager.id in composers:
            continue  # neither they nor a delegate on their behalf may approve it
        d = absent.get(manager.id)
        if (
            d is not None
            and allow_delegate
            and d.delegate.active
            and d.delegate_id not in composers
            and (d.amount_limit is None or order.total <= d.amount_limit)
        ):
            out[d.delegate.id] = d.delegate
        else:
            out[manager.id] = manager
    return list(out.values())


def approve_order(
    order: PurchaseOrder,
    *,
    approver: User,
    seen_version: int | None = None,
    today: date | None = None,
) -> PurchaseOrder:
    """Approve a pending order and write its submission to the supplier to the outbox."""
    _check_version(order, seen_version)
    if order.status != PENDING_APPROVAL:
        raise InvalidTransition(
            _(
                "This order is %(status)s; only pending orders can be approved.",
                status=order.status_label,
            )
        )
    on_behalf = approval_authority(order, approver, today=today)
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
    )
    audit.record(
        approver,
        "supplies.order.approve",
        order,
        {"on_behalf_of": on_behalf.name if on_behalf else None, "total": str(order.total)},
    )
    _queue_submission(order)
    notifications.notify(
        order.requester,
        "supplies.order_decided",
        order,
        text=lambda: (
            _l(
                "%(number)s was approved by %(name)s on behalf of %(manager)s.",
                number=order.number,
                name=approver.name,
                manager=on_behalf.name,
            )
            if on_behalf
            else _l("%(number)s was approved by %(name)s.", number=order.number, name=approver.name)
        ),
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
        text=lambda: _l(
            "%(number)s was sent back by %(name)s: %(reason)s",
            number=order.number,
            name=approver.name,
            reason=reason,
        ),
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
        except (Conflict, NotAllowed, InvalidTransition) as error:
            refused.append((order.number, error.message))
        else:
            done.append(order)
    if not done and not refused:
        raise ValidationError(_("Select at least one order."), field="orders")
    return done, refused


def cancel_order(
    order: PurchaseOrder, *, actor: User, reason: str = "", seen_version: int | None = None
) -> None:
    """Cancel an order not yet sent; only its requester or an office manager may (the database
    refuses anyone else too)."""
    _check_version(order, seen_version)
    if not may_cancel(order, actor):
        raise NotAllowed(_("Only the requester or an office manager can cancel this order."))
    if order.status not in (DRAFT, PENDING_APPROVAL, APPROVED):
        raise InvalidTransition(
            _("This order is %(status)s and can no longer be cancelled.", status=order.status_label)
        )
    if (
        order.status == APPROVED
        and order.submission is not None
        and order.submission.status
        in (
            OUTBOX_SENT,
            "sending",
            OUTBOX_UNCERTAIN,
        )
    ):
        raise InvalidTransition(
            _("The order already went to the supplier; it cannot be cancelled.")
        )
    _transition(
        order,
        seen_version=order.version,
        allowed_from=(DRAFT, PENDING_APPROVAL, APPROVED),
        actor=actor,
        status=CANCELLED,
        cancelled_reason=(reason or "").strip()[:500] or None,
        cancelled_by_id=actor.id,
    )
    if order.submission is not None and order.submission.status == OUTBOX_PENDING:
        order.submission.status = "cancelled"
    audit.record(actor, "supplies.order.cancel", order, {"reason": reason or None})


def close_order(order: PurchaseOrder, *, actor: User, seen_version: int | None = None) -> None:
    _check_version(order, seen_version)
    _transition(
        order,
        seen_version=order.version,
        allowed_from=(RECEIVED, PARTLY_RECEIVED),
        actor=actor,
        status=CLOSED,
    )
    audit.record(actor, "supplies.order.close", order)


def receive_order(
    order: PurchaseOrder,
    *,
    actor: User,
    quantities: dict[int, Any],
    note: str | None = None,
    seen_version: int | None = None,
) -> Receipt:
    """Record a delivery against the lines (partial allowed, over-receipt refused)."""
    _check_version(order, seen_version)
    if order.status not in RECEIVABLE_STATUSES:
        raise InvalidTransition(
            _("This order is %(status)s; nothing can be received.", status=order.status_label)
        )
    wanted: dict[int, int] = {}
    lines = {ln.id: ln for ln in order.lines}
    for line_id, raw in quantities.items():
        if str(raw or "").strip() in ("", "0"):
            continue
        qty = _int(raw, f"qty-{line_id}", minimum=0)
        line = lines.get(int(line_id))
        if line is None:
            continue
        if qty > line.outstanding:
            raise ValidationError(
                _(
                    "Only %(n)d of %(item)s are still expected; %(qty)d is too many.",
                    n=line.outstanding,
                    item=line.item.name,
                    qty=qty,
                ),
                field=f"qty-{line.id}",
            )
        wanted[line.id] = qty
    if not wanted:
        raise ValidationError(_("Enter what arrived."), field="quantities")
    receipt = Receipt(order_id=order.id, received_by_id=actor.id, note=(note or None))
    db.session.add(receipt)
    for line_id, qty in wanted.items():
        line = lines[line_id]
        result = db.session.execute(
            update(PurchaseOrderLine)
            .where(
                PurchaseOrderLine.id == line_id,
                PurchaseOrderLine.received_qty + qty <= PurchaseOrderLine.quantity,
            )
            .values(received_qty=PurchaseOrderLine.received_qty + qty)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(_("Someone else recorded a delivery for this order. Reload."))
        _move(
            line.item,
            qty,
            RECEIPT,
            actor=actor,
            reason=_("Received on %(number)s", number=order.number),
            order_line_id=line.id,
        )
    for line in order.lines:
        db.session.refresh(line, ["received_qty"])
    complete = all(ln.received_qty >= ln.quantity for ln in order.lines)
    _transition(
        order,
        seen_version=order.version,
        allowed_from=RECEIVABLE_STATUSES,
        actor=actor,
        status=RECEIVED if complete else PARTLY_RECEIVED,
    )
    audit.record(actor, "supplies.order.receive", order, {str(k): v for k, v in wanted.items()})
    return receipt


def list_receipts(order: PurchaseOrder) -> list[Receipt]:
    return list(
        db.session.scalars(select(Receipt).where(Receipt.order_id == order.id).order_by(Receipt.at))
    )


# --- sending to the supplier (outbox, at most once) -------------------------------------------


def order_pdf(order: PurchaseOrder) -> bytes:
    from fpdf import FPDF

    def t(value: Any) -> str:
        return str(value).encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(
        0, 10, t(_("Purchase order %(number)s", number=order.number)), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, t(current_app.config["PORTAL_NAME"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 6, t(_("Supplier: %(name)s", name=order.supplier.name)), new_x="LMARGIN", new_y="NEXT"
    )
    when = order.approved_at or utcnow()
    pdf.cell(
        0,
        6,
        t(_("Date: %(date)s", date=format_datetime(when, "short"))),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(
        0,
        6,
        t(_("Please quote %(number)s on the invoice and delivery note.", number=order.number)),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    widths = (30, 80, 20, 30, 30)
    for w, head in zip(
        widths, (_("SKU"), _("Item"), _("Qty"), _("Unit cost"), _("Total")), strict=True
    ):
        pdf.cell(w, 7, t(head), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for line in order.lines:
        cells = (
            line.item.sku,
            line.item.name[:45],
            str(line.quantity),
            money(line.unit_cost),
            money(line.line_total),
        )
        for w, value in zip(widths, cells, strict=True):
            pdf.cell(w, 7, t(value), border=1)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(widths[:4]), 7, t(_("Total")), border=1)
    pdf.cell(widths[4], 7, t(money(order.total)), border=1)
    return bytes(pdf.output())


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
    message = outbox.queue_email(
        order.supplier.order_email,
        "supplies/supplier_order",
        {"order": order, "lines": list(order.lines), "total": money(order.total)},
        kind="supplier_order",
        attachments=[
            outbox.Attachment(f"{order.number}.pdf", "application/pdf", order_pdf(order)),
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


# --- approval queue, budgets ------------------------------------------------------------------


@lru_cache(maxsize=1)
def _budget_statement():
    return (
        select(PurchaseOrder.category_id, func.sum(PurchaseOrder.total))
        .where(
            PurchaseOrder.category_id.in_(bindparam("ids", expanding=True)),
            PurchaseOrder.status.in_(SPENT_STATUSES),
            PurchaseOrder.approved_at >= bindparam("start"),
            PurchaseOrder.approved_at < bindparam("end"),
        )
        .group_by(PurchaseOrder.category_id)
    )


def budget_used(category_ids: Iterable[int], today: date | None = None) -> dict[int, Decimal]:
    """Spend this month per category (approved orders onwards), in one grouped query that
    reads only the index (category_id, approved_at, status, total)."""
    ids = sorted({c for c in category_ids if c is not None})
    if not ids:
        return {}
    start, end = month_bounds(today)
    rows = read_rows(_budget_statement(), {"ids": ids, "start": start, "end": end})
    return {cid: Decimal(total or 0) for cid, total in rows}


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


def _queue_entries(rows: Sequence[Any]) -> list[QueueEntry]:
    """Build the page's entries; this month's budget use comes from one grouped query for
    the whole page (never one per order).  The lines load when a row is expanded."""
    used = budget_used(r.category_id for r in rows)
    return [
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
        _queue_entries,
        page=page,
        per_page=per_page,
        params={"viewer_id": viewer.id if viewer is not None else None},
        windowed=True,
    )


@lru_cache(maxsize=1)
def _on_behalf_statement():
    approver = aliased(User)
    return (
        select(
            PurchaseOrder.id,
            Supplier.name.label("supplier"),
            PurchaseOrder.total,
            approver.name.label("approver"),
            PurchaseOrder.approved_at,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .outerjoin(approver, approver.id == PurchaseOrder.approver_id)
        .where(
            PurchaseOrder.on_behalf_of_id == bindparam("manager_id"),
            PurchaseOrder.approved_at >= bindparam("since"),
        )
        .order_by(PurchaseOrder.approved_at.desc())
        .limit(50)
    )


def approved_on_behalf_of(manager: User, *, days: int = 30) -> list[Any]:
    """Orders a delegate approved for ``manager`` lately: rows (id, supplier, total, approver,
    approved_at), newest first; index (on_behalf_of_id, approved_at)."""
    since = utcnow() - timedelta(days=days)
    return list(read_rows(_on_behalf_statement(), {"manager_id": manager.id, "since": since}))


def spend_by_category(today: date | None = None) -> list[tuple[SupplyCategory, Decimal]]:
    cats = list_categories()
    used = budget_used([c.id for c in cats], today)
    return [(c, used.get(c.id, Decimal("0"))) for c in cats]


def set_budget(category: SupplyCategory, *, amount: Any, actor: User) -> None:
    value = _decimal(amount, "amount", required=False)
    changes = audit.diff(category, ["monthly_budget"], {"monthly_budget": value})
    category.monthly_budget = value
    db.session.flush()
    if changes:
        audit.record(actor, "supplies.budget.update", category, changes)


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


def list_delegations(manager: User) -> list[Delegation]:
    return list(
        db.session.scalars(
            select(Delegation)
            .where(Delegation.manager_id == manager.id)
            .order_by(Delegation.starts_on.desc())
        )
    )


def delegate_choices(manager: User) -> list[User]:
    """People who may stand in: back office and other office managers."""
    people = {u.id: u for u in users_with_role("back_office") + users_with_role("office_manager")}
    people.pop(manager.id, None)
    return sorted(people.values(), key=lambda u: u.name)


def create_delegation(
    *,
    manager: User,
    delegate_id: Any,
    starts_on: date | None,
    ends_on: date | None,
    amount_limit: Any = None,
    note: str | None = None,
) -> Delegation:
    delegate_id = parse_int(delegate_id, minimum=1)
    delegate = db.session.get(User, delegate_id) if delegate_id else None
    if delegate is None or delegate.id not in {u.id for u in delegate_choices(manager)}:
        raise ValidationError(_("Choose who approves while you are away."), field="delegate_id")
    if starts_on is None:
        raise ValidationError(_("Enter the first day of your absence."), field="starts_on")
    if ends_on is None or ends_on < starts_on:
        raise ValidationError(_("The last day must be on or after the first."), field="ends_on")
    if ends_on < local_today():
        raise ValidationError(_("This absence is already over."), field="ends_on")
    delegation = Delegation(
        manager_id=manager.id,
        delegate_id=delegate.id,
        starts_on=starts_on,
        ends_on=ends_on,
        amount_limit=_decimal(amount_limit, "amount_limit", required=False),
        note=(note or "").strip()[:300] or None,
    )
    db.session.add(delegation)
    db.session.flush()
    audit.record(
        manager,
        "supplies.delegation.create",
        ("Delegation", delegation.id),
        {"delegate": delegate.name, "from": str(starts_on), "to": str(ends_on)},
    )
    notifications.notify(
        delegate,
        "supplies.delegation",
        None,
        text=lambda: _l(
            "%(manager)s is away from %(start)s to %(end)s: you approve purchase orders on "
            "their behalf.",
            manager=manager.name,
            start=starts_on.isoformat(),
            end=ends_on.isoformat(),
        ),
        url=_url("supplies.queue"),
        dedupe_key=f"delegation:{delegation.id}:delegate",
    )
    return delegation


def cancel_delegation(delegation_id: int, *, manager: User) -> None:
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or delegation.manager_id != manager.id:
        raise NotFound(_("This absence does not exist."))
    delegation.cancelled_at = utcnow()
    db.session.flush()
    audit.record(manager, "supplies.delegation.cancel", ("Delegation", delegation.id))


# --- periodic jobs (called from worker/jobs/supplies.py) ---------------------------------------


def escalate_waiting_orders(*, now: datetime | None = None) -> int:
    """Tell managers and admins about orders pending longer than the limit; once per order."""
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
    people = {u.id: u for u in users_with_role("office_manager") + users_with_role("admin")}
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
        for user in people.values():
            notifications.notify(
                user,
                "supplies.escalated",
                order,
                text=lambda o=order: _l(
                    "%(number)s (%(supplier)s, %(total)s) has waited for approval since %(date)s.",
                    number=o.number,
                    supplier=o.supplier.name,
                    total=money(o.total),
                    date=format_datetime(o.submitted_at, "short"),
                ),
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
            text=lambda: _l("%(n)s item(s) now run low: %(names)s", n=len(new), names=names),
            url=_url("supplies.suggestions"),
            dedupe_key=f"low-stock:{today.isoformat()}:{user.id}",
        )
    return len(new)


# --- dashboard numbers ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _count_orders_statement():
    return select(func.count(PurchaseOrder.id)).where(
        PurchaseOrder.status.in_(bindparam("statuses", expanding=True))
    )


def count_orders(statuses: Sequence[str]) -> int:
    """Orders in these states (index on status); the nav badge runs this on every page."""
    return read_rows(_count_orders_statement(), {"statuses": list(statuses)}).scalar() or 0


def open_counts() -> int:
    return (
        db.session.scalar(select(func.count(StockCount.id)).where(StockCount.status == "open")) or 0
    )


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# --- supply requests from the front desk (type "supplies") ------------------------------------


def list_supply_requests():
    """Open staff requests of type "supplies", oldest first (front-desk area)."""
    return (
        select(StaffRequest)
        .where(
            StaffRequest.type == "supplies",
            StaffRequest.status.in_((REQUEST_NEW, REQUEST_IN_PROGRESS)),
        )
        .options(selectinload(StaffRequest.requester))
        .order_by(StaffRequest.created_at, StaffRequest.id)
    )


def get_supply_request_or_404(request_id: int):
    req = db.session.get(StaffRequest, request_id)
    if req is None or req.type != "supplies":
        raise NotFound(_("This supply request does not exist."))
    return req


def _draft_for(supplier_id: int, actor: User) -> PurchaseOrder:
    """The actor's newest draft for this supplier, or a new one (shortfalls gather there)."""
    order = db.session.scalar(
        select(PurchaseOrder)
        .where(
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrder.status == DRAFT,
            PurchaseOrder.requester_id == actor.id,
        )
        .order_by(PurchaseOrder.id.desc())
        .limit(1)
    )
    if order is None:
        order = PurchaseOrder(
            supplier_id=supplier_id, requester_id=actor.id, updated_by_id=actor.id
        )
        db.session.add(order)
        db.session.flush()
        audit.record(actor, "supplies.order.create", order, {"from": "supply request"})
    return order


def fulfil_supply_request(
    req: Any, *, actor: User, lines: Sequence[tuple[Any, Any]]
) -> tuple[list[tuple[SupplyItem, int]], list[tuple[SupplyItem, int, PurchaseOrder | None]]]:
    """Issue what is on hand to the requester; turn each shortfall into a draft order line.

    Returns (issued, shortfalls); the request gets a comment saying what happened and moves to
    "done" when everything was issued, else "in progress".
    """
    if req.status not in (REQUEST_NEW, REQUEST_IN_PROGRESS):
        raise InvalidTransition(_("This request is already closed."))
    wanted: list[tuple[SupplyItem, int]] = []
    for index, (item_id, raw_qty) in enumerate(lines):
        if not item_id and not str(raw_qty or "").strip():
            continue
        item = db.session.get(SupplyItem, int(item_id)) if str(item_id).isdigit() else None
        if item is None:
            raise ValidationError(_("Choose an item."), field=f"item-{index}")
        wanted.append((item, _int(raw_qty, f"qty-{index}", minimum=1)))
    if not wanted:
        raise ValidationError(_("Add at least one item."), field="item-0")
    issued: list[tuple[SupplyItem, int]] = []
    short: list[tuple[SupplyItem, int, PurchaseOrder | None]] = []
    requester = req.requester
    for item, qty in wanted:
        db.session.refresh(item, ["on_hand"])
        give = min(qty, item.on_hand)
        if give:
            _move(
                item,
                -give,
                ISSUE,
                actor=actor,
                issued_to=requester,
                department_id=requester.department_id,
                reason=_("Request #%(id)s", id=req.id),
            )
            issued.append((item, give))
        missing = qty - give
        if missing:
            order = None
            if item.supplier_id is not None:
                order = _draft_for(item.supplier_id, actor)
                packs = math.ceil(missing / item.pack_size)
                existing = next((ln for ln in order.lines if ln.item_id == item.id), None)
                if existing is not None:
                    existing.quantity += packs * item.pack_size
                else:
                    order.lines.append(
                        PurchaseOrderLine(
                            item=item, quantity=packs * item.pack_size, unit_cost=item.unit_cost
                        )
                    )
                db.session.flush()
                _recompute(order)
                _record_contributor(order, actor)
            short.append((item, missing, order))
    parts = (
        [_("Issued: %(what)s.", what=", ".join(f"{q} {i.unit} {i.name}" for i, q in issued))]
        if issued
        else []
    )
    if short:
        parts.append(
            _(
                "To be ordered: %(what)s.",
                what=", ".join(
                    f"{q} {i.unit} {i.name}" + (f" ({o.number})" if o else "") for i, q, o in short
                ),
            )
        )
    frontdesk.add_request_comment(req, author=actor, body=" ".join(parts))
    target = REQUEST_DONE if not short else REQUEST_IN_PROGRESS
    if req.status != target and req.can_move_to(target):
        frontdesk.change_request_status(req, actor=actor, status=target)
    audit.record(
        actor, "supplies.request.fulfil", req, {"issued": len(issued), "short": len(short)}
    )
    return issued, short
