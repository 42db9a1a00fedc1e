"""The register as CSV: export of the filtered list (formula-safe) and the all-or-nothing import
(matched by asset tag; one bad row imports nothing, and every bad row is named)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.errors import ValidationError
from portal.exports import write_csv
from portal.extensions import db
from portal.models import Department, User
from portal.models.base import utcnow
from portal.models.equipment import IN_USE, Asset, model_key
from portal.models.supplies import Supplier
from portal.services import audit
from portal.services.equipment.common import record_event
from portal.services.equipment.register import Filters, _register_select, clean_fields

CSV_COLUMNS = [
    "asset_tag",
    "type",
    "make",
    "model",
    "serial",
    "floor",
    "room",
    "department",
    "holder_email",
    "purchase_date",
    "purchase_cost",
    "vendor",
    "repair_email",
    "repair_phone",
    "contract_number",
    "contract_start",
    "contract_end",
    "contract_covers",
    "response_hours",
    "price_mono",
    "price_colour",
    "warranty_end",
    "status",
]


def export_csv(filters: Filters, *, typed: bool = False) -> Any:
    """The filtered register as CSV (formula-safe, portal.exports); one query.

    ``typed``: the rows themselves (dates and numbers as values) for an XLSX export instead.
    """
    stmt, holder = _register_select(filters)
    stmt = stmt.outerjoin(Supplier, Supplier.id == Asset.vendor_id).add_columns(
        Asset.asset_tag,
        Asset.type,
        Asset.make,
        Asset.model,
        Asset.serial,
        Asset.floor,
        Asset.room,
        Department.name,
        holder.c.email,
        Asset.purchase_date,
        Asset.purchase_cost,
        Supplier.name,
        Asset.repair_email,
        Asset.repair_phone,
        Asset.contract_number,
        Asset.contract_start,
        Asset.contract_end,
        Asset.contract_covers,
        Asset.response_hours,
        Asset.price_mono,
        Asset.price_colour,
        Asset.warranty_end,
        Asset.status,
    )

    def rows() -> Iterator[list[Any]]:
        yield CSV_COLUMNS
        for row in db.session.execute(stmt.order_by(Asset.asset_tag)):
            if typed:
                yield list(row)
                continue
            yield [
                v.isoformat() if isinstance(v, date) else ("" if v is None else str(v)) for v in row
            ]

    return rows() if typed else write_csv(rows(), bom=True)


class ImportRejected(ValidationError):
    """A CSV import with bad rows: nothing was imported; ``rows`` names each line to fix."""

    def __init__(self, rows: list[tuple[int, str]]) -> None:
        super().__init__(
            _("Nothing was imported: %(n)d row(s) need fixing.", n=len(rows)), field="file"
        )
        self.rows = rows


MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000


class _Lookups:
    """Names in a CSV row turned into ids, and the duplicates seen so far in the file."""

    def __init__(self) -> None:
        self.departments = {
            n.lower(): i for i, n in db.session.execute(select(Department.id, Department.name))
        }
        self.vendors = {
            n.lower(): i for i, n in db.session.execute(select(Supplier.id, Supplier.name))
        }
        self.people = {
            e.lower(): i
            for i, e in db.session.execute(select(User.id, User.email).where(User.active.is_(True)))
        }
        self.existing = {
            tag.upper(): (i, serial)
            for i, tag, serial in db.session.execute(
                select(Asset.id, Asset.asset_tag, Asset.serial)
            )
        }
        self.serial_owner = {s.lower(): tag for tag, (_i, s) in self.existing.items() if s}
        self.seen_tags: set[str] = set()
        self.seen_serials: set[str] = set()

    def _id(self, table: dict[str, int], name: str, message: str) -> int | None:
        if not name:
            return None
        if name.lower() not in table:
            raise ValidationError(message)
        return table[name.lower()]

    def fields(self, row: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = dict(row)
        dept, vendor, holder = (
            row.get("department", ""),
            row.get("vendor", ""),
            row.get("holder_email", ""),
        )
        values["department_id"] = self._id(
            self.departments, dept, _("Unknown department “%(name)s”.", name=dept)
        )
        values["vendor_id"] = self._id(
            self.vendors, vendor, _("Unknown vendor “%(name)s”.", name=vendor)
        )
        values["holder_id"] = self._id(
            self.people,
            holder,
            _("No current member of staff has the e-mail “%(email)s”.", email=holder),
        )
        fields = clean_fields(values)
        tag = fields["asset_tag"]
        if tag in self.seen_tags:
            raise ValidationError(_("This asset tag appears twice in the file."))
        self.seen_tags.add(tag)
        if fields["serial"]:
            key = fields["serial"].lower()
            if key in self.seen_serials:
                raise ValidationError(_("This serial number appears twice in the file."))
            self.seen_serials.add(key)
            owner = self.serial_owner.get(key)
            if owner is not None and owner != tag:
                raise ValidationError(
                    _(
                        "Serial number %(serial)s already belongs to %(tag)s.",
                        serial=fields["serial"],
                        tag=owner,
                    )
                )
        return fields


def _reader(data: bytes) -> csv.DictReader:
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is larger than 2 MB."), field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file must be UTF-8 encoded CSV."), field="file") from None
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = {(h or "").strip().lower() for h in (reader.fieldnames or [])}
    missing = {"asset_tag", "type", "make", "model"} - header
    if missing:
        raise ValidationError(
            _("Missing columns: %(cols)s.", cols=", ".join(sorted(missing))), field="file"
        )
    return reader


def import_csv(data: bytes, *, actor: User) -> tuple[int, int]:
    """Create or update assets from CSV, matched by tag; one bad row imports nothing."""
    reader = _reader(data)
    lookups = _Lookups()
    errors: list[tuple[int, str]] = []
    cleaned: list[dict[str, Any]] = []
    for number, raw in enumerate(reader, start=2):
        if number > MAX_IMPORT_ROWS + 1:
            errors.append((number, _("Too many rows; import at most %(n)d.", n=MAX_IMPORT_ROWS)))
            break
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        try:
            cleaned.append(lookups.fields(row))
        except ValidationError as error:
            errors.append((number, error.message))
    if errors:
        raise ImportRejected(errors)
    if not cleaned:
        raise ValidationError(_("The file has no rows."), field="file")
    created = updated = 0
    for fields in cleaned:
        fields["model_key"] = model_key(fields["make"], fields["model"])
        match = lookups.existing.get(fields["asset_tag"])
        if match is None:
            asset = Asset(**fields, status=IN_USE)
            db.session.add(asset)
            db.session.flush()
            record_event(asset, "created", asset.asset_tag, actor=actor)
            created += 1
        else:
            asset = db.session.get(Asset, match[0])
            for key, value in fields.items():
                setattr(asset, key, value)
            asset.updated_at = utcnow()
            updated += 1
    db.session.flush()
    audit.record(actor, "equipment.asset.import", None, {"created": created, "updated": updated})
    return created, updated
