"""The supplies catalogue: categories, suppliers and items (lists, forms, CSV export and import)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select

from portal.errors import NotFound, ValidationError
from portal.exports import sniff_delimiter
from portal.extensions import db
from portal.models import User
from portal.models.supplies import (
    Supplier,
    SupplyCategory,
    SupplyItem,
)
from portal.pagination import RowPage, paged, read_rows, row_page
from portal.routing import parse_int
from portal.services import audit
from portal.services.supplies import units
from portal.services.supplies.common import _decimal, _int
from portal.services.supplies.order_pdf import SUPPLIER_LANGUAGES


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
            SupplyItem.unit_kind,
            SupplyItem.unit,
            SupplyItem.unit_plural,
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
    "unit_kind",
    "unit",
    "unit_plural",
    "pack_size",
    "supplier_id",
    "unit_cost",
    "reorder_point",
    "par_level",
    "location",
    "active",
]


def _unit_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The unit as the form (a kind, or "other" with its two words) or a CSV (words) gives it."""
    kind = str(data.get("unit_kind") or "").strip()
    singular = str(data.get("unit") or "").strip()
    plural = str(data.get("unit_plural") or "").strip()
    if kind and kind != units.OTHER:
        if kind not in units.KINDS:
            raise ValidationError(_("Choose a unit."), field="unit_kind")
        return {"unit_kind": kind, "unit": kind, "unit_plural": None}
    if kind == units.OTHER and not singular:
        raise ValidationError(_("Enter the unit's name in the singular."), field="unit")
    if len(singular) > 20 or len(plural) > 20:
        raise ValidationError(_("A unit's name has 20 characters at most."), field="unit")
    kind, singular, plural = units.from_text(singular, plural)
    return {
        "unit_kind": kind,
        "unit": singular,
        "unit_plural": plural if kind == units.OTHER else None,
    }


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
        **_unit_fields(data),
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


def clean_supplier_fields(supplier: Supplier | None, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a supplier's fields (shared by the form and the CSV import); writes nothing."""
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
    # Issue 16: the language orders reach them in, who receives them, the payment terms.  Only
    # the keys the form sends change (a CSV import or an older form leaves them as they are).
    if "language" in data:
        language = str(data.get("language") or "").strip() or "pt_BR"
        if language not in SUPPLIER_LANGUAGES:
            raise ValidationError(_("Choose a language."), field="language")
        fields["language"] = language
    for key, limit in (("contact_name", 120), ("payment_terms", 200)):
        if key in data:
            fields[key] = str(data.get(key) or "").strip()[:limit] or None
    return fields


def save_supplier(supplier: Supplier | None, *, actor: User, data: dict[str, Any]) -> Supplier:
    fields = clean_supplier_fields(supplier, data)
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
    "unit_plural",
    "pack_size",
    "supplier",
    "unit_cost",
    "reorder_point",
    "par_level",
    "location",
    "active",
    "on_hand",
]
# What the import reads as "not active" (the export writes the reader's "No").
_INACTIVE = {"no", "0", "false", "n", "nao", "não"}


def export_items_csv(stmt) -> Iterator[list[Any]]:
    """The selected items' rows for an export (portal.exports.export_response), header first.

    The header is the import's column names, so an exported file imports back unchanged; the
    unit is written as its singular and plural words in the reader's language.
    """

    def rows() -> Iterator[list[Any]]:
        yield CSV_COLUMNS
        yes, no = _("Yes"), _("No")
        for item in db.session.scalars(stmt):
            yield [
                item.sku,
                item.name,
                item.category.name,
                units.item_unit_word(item, 1),
                units.item_unit_word(item, 2),
                item.pack_size,
                item.supplier.name if item.supplier else "",
                item.unit_cost,
                item.reorder_point,
                item.par_level,
                item.location,
                yes if item.active else no,
                item.on_hand,
            ]

    return rows()


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
    reader = csv.DictReader(io.StringIO(text), delimiter=sniff_delimiter(text))
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
                    "active": row.get("active", "yes").lower() not in _INACTIVE,
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
