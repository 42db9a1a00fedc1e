"""Suppliers to and from a spreadsheet: export with the list's search, import all-or-nothing.

The columns are the import's names (an exported file imports back unchanged).  An import
checks every row with the same rules as the form (``clean_supplier_fields``) before writing
any; if a row is refused nothing is written and every bad row is named with its problem.  Suppliers
are matched by name: an existing one is updated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.errors import ValidationError
from portal.exports import sniff_delimiter
from portal.extensions import db
from portal.models import User
from portal.models.supplies import Supplier
from portal.services import audit
from portal.services.supplies.catalogue import (
    ImportRejected,
    clean_supplier_fields,
    list_suppliers,
    save_supplier,
)

SUPPLIER_COLUMNS = [
    "name",
    "order_email",
    "phone",
    "contact_name",
    "lead_time_days",
    "min_order_value",
    "payment_terms",
    "language",
    "active",
]
_INACTIVE = {"no", "0", "false", "n", "nao", "não"}
MAX_ROWS = 5000


def export_suppliers(*, q: str = "") -> Iterator[list[Any]]:
    """The suppliers the list shows (its search), header first, typed values."""
    yield SUPPLIER_COLUMNS
    yes, no = _("Yes"), _("No")
    for s in db.session.scalars(list_suppliers(q=q)):
        yield [
            s.name,
            s.order_email,
            s.phone,
            s.contact_name,
            s.lead_time_days,
            s.min_order_value,
            s.payment_terms,
            s.language,
            yes if s.active else no,
        ]


def import_suppliers_csv(data: bytes, *, actor: User) -> tuple[int, int]:
    """Create or update suppliers from CSV (by name); any bad row imports nothing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file must be UTF-8 encoded CSV."), field="file") from None
    reader = csv.DictReader(io.StringIO(text), delimiter=sniff_delimiter(text))
    header = {(h or "").strip().lower() for h in (reader.fieldnames or [])}
    missing = {"name", "order_email"} - header
    if missing:
        raise ValidationError(
            _("Missing columns: %(cols)s.", cols=", ".join(sorted(missing))), field="file"
        )
    existing = {
        name.lower(): i for i, name in db.session.execute(select(Supplier.id, Supplier.name))
    }
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    checked: list[tuple[int | None, dict[str, Any]]] = []
    for number, raw in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise ValidationError(_("The file has more than %(n)d rows.", n=MAX_ROWS), field="file")
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        key = row.get("name", "").lower()
        if key and key in seen:
            errors.append((number, _("This supplier appears twice in the file.")))
            continue
        seen.add(key)
        values: dict[str, Any] = {k: row[k] for k in SUPPLIER_COLUMNS if k in row}
        values["active"] = row.get("active", "yes").lower() not in _INACTIVE
        supplier_id = existing.get(key)
        try:
            # Every row is checked before anything is written (all-or-nothing).
            supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
            clean_supplier_fields(supplier, values)
        except ValidationError as error:
            errors.append((number, error.message))
            continue
        checked.append((supplier_id, values))
    if errors:
        raise ImportRejected(errors)
    if not checked:
        raise ValidationError(_("The file has no rows."), field="file")
    created = updated = 0
    for supplier_id, values in checked:
        supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
        save_supplier(supplier, actor=actor, data=values)
        created, updated = (created, updated + 1) if supplier_id else (created + 1, updated)
    audit.record(actor, "supplies.supplier.import", None, {"created": created, "updated": updated})
    return created, updated
