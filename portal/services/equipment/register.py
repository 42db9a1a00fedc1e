"""The register: assets, their search and filters, CSV export and all-or-nothing import,
status changes (out of order / back in use, with downtime), retirement, who holds what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from portal import routing
from portal.errors import InvalidTransition, ValidationError
from portal.extensions import db
from portal.models import Department, User
from portal.models.base import utcnow
from portal.models.equipment import (
    DOWN_STATUSES,
    IN_USE,
    METERED_TYPES,
    OUT_OF_ORDER,
    RETIRED,
    STATUSES,
    TYPES,
    Asset,
    Downtime,
    Event,
    model_key,
)
from portal.models.supplies import Supplier
from portal.pagination import RowPage, paged, row_page
from portal.services import audit
from portal.services.equipment.common import (
    clean,
    parse_date,
    parse_decimal,
    parse_int,
    path,
    record_event,
    text_block,
    today_local,
)
from portal.services.notifications import notify

EXPIRING_DAYS = 60
LOCALES = ("pt_BR", "en")

# --- reading the register ---------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    q: str = ""
    type: str = ""
    status: str = ""  # "" = everything but retired; "all"; or one status
    floor: str = ""
    holder_id: int | None = None
    expiring: bool = False

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        holder = str(args.get("holder", "")).strip()
        status = str(args.get("status", "")).strip()
        kind = str(args.get("type", "")).strip()
        return cls(
            q=" ".join(str(args.get("q", "")).split())[:80],
            type=kind if kind in TYPES else "",
            status=status if status in STATUSES or status == "all" else "",
            floor=str(args.get("floor", "")).strip()[:40],
            holder_id=routing.parse_int(holder),
            expiring=args.get("expiring") in ("1", "on", "true"),
        )

    def as_args(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "q": self.q,
            "type": self.type,
            "status": self.status,
            "floor": self.floor,
            "holder": self.holder_id,
            "expiring": "1" if self.expiring else "",
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class AssetRow:
    """One line of the register, as the list and the CSV export show it."""

    id: int
    asset_tag: str
    type: str
    make: str
    model: str
    serial: str | None
    floor: str | None
    room: str | None
    status: str
    department: str | None
    holder: str | None
    contract_end: date | None
    warranty_end: date | None

    @property
    def location(self) -> str:
        return " / ".join(p for p in (self.floor, self.room) if p)


def _register_select(filters: Filters, *columns: Any, joins: bool = True):
    """The register's filters; ``joins=False`` (the count) joins the holder only to search by
    name, so counting reads one covering index of the assets."""
    holder = User.__table__.alias("holder")
    stmt = select(*columns).select_from(Asset)
    if joins:
        stmt = stmt.outerjoin(Department, Department.id == Asset.department_id)
    if joins or filters.q:
        stmt = stmt.outerjoin(holder, holder.c.id == Asset.holder_id)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Asset.asset_tag).like(like),
                func.lower(Asset.serial).like(like),
                Asset.model_key.like(like),
                func.lower(holder.c.name).like(like),
                func.lower(Asset.room).like(like),
            )
        )
    if filters.type:
        stmt = stmt.where(Asset.type == filters.type)
    if filters.status == "":
        stmt = stmt.where(Asset.status != RETIRED)
    elif filters.status != "all":
        stmt = stmt.where(Asset.status == filters.status)
    if filters.floor:
        stmt = stmt.where(Asset.floor == filters.floor)
    if filters.holder_id:
        stmt = stmt.where(Asset.holder_id == filters.holder_id)
    if filters.expiring:
        today = today_local()
        stmt = stmt.where(
            Asset.contract_end.is_not(None),
            Asset.contract_end >= today,
            Asset.contract_end <= today + timedelta(days=EXPIRING_DAYS),
        )
    return stmt, holder


def _row_columns(holder: Any) -> tuple[Any, ...]:
    return (
        Asset.id,
        Asset.asset_tag,
        Asset.type,
        Asset.make,
        Asset.model,
        Asset.serial,
        Asset.floor,
        Asset.room,
        Asset.status,
        Department.name.label("department"),
        holder.c.name.label("holder"),
        Asset.contract_end,
        Asset.warranty_end,
    )


def _rows(rows: list[Any]) -> list[AssetRow]:
    return [AssetRow(*row) for row in rows]


def _page_statements(filters: Filters) -> tuple[Any, Any]:
    stmt, holder = _register_select(filters)
    stmt = stmt.add_columns(*_row_columns(holder)).order_by(Asset.asset_tag, Asset.id)
    count, _h = _register_select(filters, func.count(Asset.id), joins=False)
    return paged(stmt), count


# Statements built once per set of filters (and their cache keys computed once); the
# "expiring" filter depends on today's date, so it is built each time.
_cached_page_statements = lru_cache(maxsize=256)(_page_statements)


def asset_page(filters: Filters, *, page: int, per_page: int) -> RowPage:
    """A page of the register: two queries (rows + count), whatever the filters."""
    build = _page_statements if filters.expiring else _cached_page_statements
    stmt, count = build(filters)
    return row_page(stmt, count, _rows, page=page, per_page=per_page)


def floors() -> list[str]:
    return [
        f
        for f in db.session.scalars(
            select(Asset.floor).where(Asset.floor.is_not(None)).distinct().order_by(Asset.floor)
        )
        if f
    ]


def holder_choices(limit: int | None = None) -> list[Any]:
    """People who hold something (the holder filter): plain rows, at most ``limit``."""
    stmt = (
        select(User.id, User.name)
        .where(User.id.in_(select(Asset.holder_id).where(Asset.holder_id.is_not(None))))
        .order_by(User.name)
    )
    return list(db.session.execute(stmt if limit is None else stmt.limit(limit)))


def person_name(user_id: int | None) -> str | None:
    return _holder_name(user_id) or None if user_id else None


def assets_held_by(user_id: int) -> list[Any]:
    """What a person holds and must give back (offboarding): plain rows, retired excluded.

    Each row has ``id, asset_tag, type, make, model, serial``.
    """
    return list(
        db.session.execute(
            select(Asset.id, Asset.asset_tag, Asset.type, Asset.make, Asset.model, Asset.serial)
            .where(Asset.holder_id == user_id, Asset.status != RETIRED)
            .order_by(Asset.asset_tag)
        )
    )


def find_by_code(code: str) -> Asset | None:
    """The asset a label's short code (its tag) names, for the QR link."""
    code = " ".join((code or "").split()).upper()[:40]
    if not code:
        return None
    return db.session.scalar(select(Asset).where(func.upper(Asset.asset_tag) == code))


def machine_choices(*, metered_only: bool = False) -> list[Any]:
    """Assets in service for a picker (fault form, staff request): plain rows."""
    stmt = select(
        Asset.id, Asset.asset_tag, Asset.make, Asset.model, Asset.floor, Asset.room
    ).where(Asset.status != RETIRED)
    if metered_only:
        stmt = stmt.where(Asset.type.in_(METERED_TYPES))
    return list(db.session.execute(stmt.order_by(Asset.asset_tag)))


def vendor_choices() -> list[Any]:
    return list(
        db.session.execute(
            select(Supplier.id, Supplier.name)
            .where(Supplier.active.is_(True))
            .order_by(Supplier.name)
        )
    )


# --- writing the register ---------------------------------------------------------------------

FIELDS = (
    "asset_tag",
    "type",
    "make",
    "model",
    "serial",
    "floor",
    "room",
    "department_id",
    "holder_id",
    "purchase_date",
    "purchase_cost",
    "vendor_id",
    "repair_email",
    "repair_phone",
    "vendor_locale",
    "contract_number",
    "contract_start",
    "contract_end",
    "contract_covers",
    "response_hours",
    "price_mono",
    "price_colour",
    "warranty_end",
    "notes",
)


def clean_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check one asset's values (form or CSV row); raise ValidationError naming the field."""
    out: dict[str, Any] = {}
    out["asset_tag"] = clean(data.get("asset_tag"), 40)
    if not out["asset_tag"]:
        raise ValidationError(_("Give the asset a tag."), field="asset_tag")
    out["asset_tag"] = out["asset_tag"].upper()
    kind = str(data.get("type") or "").strip()
    if kind not in TYPES:
        raise ValidationError(_("Choose a type."), field="type")
    out["type"] = kind
    out["make"] = clean(data.get("make"), 80)
    if not out["make"]:
        raise ValidationError(_("Enter the make."), field="make")
    out["model"] = clean(data.get("model"), 120)
    if not out["model"]:
        raise ValidationError(_("Enter the model."), field="model")
    out["serial"] = clean(data.get("serial"), 80)
    out["floor"] = clean(data.get("floor"), 40)
    out["room"] = clean(data.get("room"), 80)
    for key in ("department_id", "holder_id", "vendor_id"):
        value = data.get(key)
        out[key] = int(value) if value not in (None, "", 0, "0") else None
    if out["holder_id"] is not None:
        holder = db.session.get(User, out["holder_id"])
        if holder is None or not holder.active:
            raise ValidationError(_("Choose a current member of staff."), field="holder_id")
    if (
        out["department_id"] is not None
        and db.session.get(Department, out["department_id"]) is None
    ):
        raise ValidationError(_("Choose a department."), field="department_id")
    if out["vendor_id"] is not None and db.session.get(Supplier, out["vendor_id"]) is None:
        raise ValidationError(_("Choose a vendor."), field="vendor_id")
    for key in ("purchase_date", "contract_start", "contract_end", "warranty_end"):
        out[key] = parse_date(data.get(key), key)
    if (
        out["contract_start"]
        and out["contract_end"]
        and out["contract_end"] < out["contract_start"]
    ):
        raise ValidationError(_("The contract cannot end before it starts."), field="contract_end")
    out["purchase_cost"] = parse_decimal(data.get("purchase_cost"), "purchase_cost")
    out["price_mono"] = parse_decimal(data.get("price_mono"), "price_mono", places=4)
    out["price_colour"] = parse_decimal(data.get("price_colour"), "price_colour", places=4)
    out["response_hours"] = parse_int(
        data.get("response_hours"), "response_hours", minimum=1, maximum=24 * 90
    )
    email = clean(data.get("repair_email"), 254)
    if email and ("@" not in email or " " in email or email.startswith("@")):
        raise ValidationError(_("Enter a valid e-mail address."), field="repair_email")
    out["repair_email"] = email
    out["repair_phone"] = clean(data.get("repair_phone"), 32)
    locale = str(data.get("vendor_locale") or "pt_BR").strip()
    out["vendor_locale"] = locale if locale in LOCALES else "pt_BR"
    out["contract_number"] = clean(data.get("contract_number"), 60)
    out["contract_covers"] = clean(data.get("contract_covers"), 300)
    out["notes"] = text_block(data.get("notes"), 4000)
    return out


def _check_unique(fields: dict[str, Any], asset_id: int | None) -> None:
    clash = select(Asset.id).where(func.upper(Asset.asset_tag) == fields["asset_tag"])
    if asset_id is not None:
        clash = clash.where(Asset.id != asset_id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise ValidationError(_("Another asset already has this tag."), field="asset_tag")
    if fields["serial"]:
        clash = select(Asset.id).where(func.lower(Asset.serial) == fields["serial"].lower())
        if asset_id is not None:
            clash = clash.where(Asset.id != asset_id)
        if db.session.scalar(clash.limit(1)) is not None:
            raise ValidationError(
                _("Another asset already has this serial number."), field="serial"
            )


def save_asset(asset: Asset | None, *, actor: User, data: dict[str, Any]) -> Asset:
    """Create or change an asset; moves and holder changes go on its timeline."""
    fields = clean_fields(data)
    _check_unique(fields, asset.id if asset else None)
    fields["model_key"] = model_key(fields["make"], fields["model"])
    if asset is None:
        asset = Asset(**fields, status=IN_USE)
        db.session.add(asset)
        db.session.flush()
        audit.record(actor, "equipment.asset.created", asset, {"asset_tag": asset.asset_tag})
        record_event(asset, "created", asset.asset_tag, actor=actor)
        if asset.holder_id:
            record_event(asset, "holder", _holder_name(asset.holder_id), actor=actor)
        return asset
    changes = audit.diff(asset, list(FIELDS), fields)
    if not changes:
        return asset
    moved = {"floor", "room", "department_id"} & set(changes)
    for key, value in fields.items():
        setattr(asset, key, value)
    asset.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "equipment.asset.changed", asset, changes)
    if moved:
        record_event(asset, "moved", asset.location, actor=actor)
    if "holder_id" in changes:
        record_event(
            asset, "holder", _holder_name(asset.holder_id) if asset.holder_id else "", actor=actor
        )
    return asset


def _holder_name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.name if user else ""


def set_status(asset: Asset, status: str, *, actor: User | None, reason: str | None = None) -> None:
    """Out of order / in repair / back in use; downtime runs from the first "down" to "in use"."""
    if asset.status == RETIRED:
        raise InvalidTransition(_("This asset is retired."))
    if status not in (IN_USE, *DOWN_STATUSES):
        raise ValidationError(_("Choose a status."), field="status")
    if status == asset.status:
        return
    previous = asset.status
    now = utcnow()
    if status in DOWN_STATUSES and previous == IN_USE:
        asset.down_since = now
        db.session.add(Downtime(asset_id=asset.id, started_at=now))
    elif status == IN_USE and previous in DOWN_STATUSES:
        open_period = db.session.scalar(
            select(Downtime)
            .where(Downtime.asset_id == asset.id, Downtime.ended_at.is_(None))
            .order_by(Downtime.started_at.desc())
            .limit(1)
        )
        if open_period is not None:
            open_period.ended_at = now
            open_period.minutes = max(0, int((now - open_period.started_at).total_seconds() // 60))
        asset.down_since = None
    asset.status = status
    asset.updated_at = now
    db.session.flush()
    audit.record(actor, "equipment.asset.status", asset, {"status": [previous, status]})
    record_event(asset, "status", status, actor=actor, details={"from": previous, "reason": reason})


def _users_of(asset: Asset) -> list[User]:
    """Who uses a machine: its holder, else the people of its department."""
    if asset.holder_id:
        return [asset.holder] if asset.holder is not None else []
    if asset.department_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.department_id == asset.department_id, User.active.is_(True))
            .order_by(User.id)
            .limit(200)
        )
    )


def _tell_users(asset: Asset, actor: User, text: Any) -> None:
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    for person in _users_of(asset):
        if person.id == actor.id:
            continue
        notify(
            person,
            "equipment.status",
            asset,
            text=text,
            url=path(f"/c/{asset.asset_tag}"),
            email=False,
            dedupe_key=f"equipment.status:{asset.id}:{person.id}:{stamp}",
        )


def mark_out_of_order(asset: Asset, *, actor: User) -> None:
    """Out of order: a banner on its page, and the people who use it are told."""
    if asset.status == OUT_OF_ORDER:
        return
    set_status(asset, OUT_OF_ORDER, actor=actor)
    _tell_users(asset, actor, _l("%(tag)s is out of order.", tag=asset.asset_tag))


def back_in_use(asset: Asset, *, actor: User) -> None:
    was_down = asset.status in DOWN_STATUSES
    set_status(asset, IN_USE, actor=actor)
    if was_down:
        _tell_users(asset, actor, _l("%(tag)s is working again.", tag=asset.asset_tag))


def retire_asset(asset: Asset, *, actor: User, reason: str | None) -> None:
    """Nothing is deleted: an asset leaves the register with a reason."""
    reason = clean(reason, 300)
    if not reason:
        raise ValidationError(_("Say why the asset is retired."), field="reason")
    if asset.status == RETIRED:
        raise InvalidTransition(_("This asset is already retired."))
    if asset.status in DOWN_STATUSES:
        set_status(asset, IN_USE, actor=actor)
    previous = asset.status
    asset.status = RETIRED
    asset.retired_reason = reason
    asset.holder_id = None
    asset.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor, "equipment.asset.retired", asset, {"status": [previous, RETIRED], "reason": reason}
    )
    record_event(asset, "retired", reason, actor=actor)


def downtime_minutes(asset_id: int) -> tuple[int, int]:
    """(minutes, periods) a machine was down; a period still open counts up to now."""
    now = utcnow()
    total = count = 0
    for started, minutes, ended in db.session.execute(
        select(Downtime.started_at, Downtime.minutes, Downtime.ended_at).where(
            Downtime.asset_id == asset_id
        )
    ):
        count += 1
        total += minutes if ended is not None else int((now - started).total_seconds() // 60)
    return total, count


def list_downtimes(asset_id: int) -> list[Downtime]:
    return list(
        db.session.scalars(
            select(Downtime)
            .where(Downtime.asset_id == asset_id)
            .order_by(Downtime.started_at.desc())
            .limit(20)
        )
    )


def dashboard_counts() -> dict[str, int]:
    """Machines down now, by status (the card and the dashboard): one query."""
    rows = db.session.execute(
        select(Asset.status, func.count(Asset.id))
        .where(Asset.status.in_(DOWN_STATUSES))
        .group_by(Asset.status)
    ).all()
    counts = {OUT_OF_ORDER: 0, "in_repair": 0}
    counts.update({status: int(n) for status, n in rows})
    return counts


def expiring(days: int = EXPIRING_DAYS) -> list[Any]:
    """Contracts and warranties ending within ``days`` (the dashboard): plain rows."""
    today = today_local()
    until = today + timedelta(days=days)
    return list(
        db.session.execute(
            select(
                Asset.id,
                Asset.asset_tag,
                Asset.make,
                Asset.model,
                Asset.contract_end,
                Asset.warranty_end,
            )
            .where(
                Asset.status != RETIRED,
                or_(
                    and_(Asset.contract_end >= today, Asset.contract_end <= until),
                    and_(Asset.warranty_end >= today, Asset.warranty_end <= until),
                ),
            )
            .order_by(func.coalesce(Asset.contract_end, Asset.warranty_end))
            .limit(50)
        )
    )


def department_choices() -> list[Any]:
    return list(
        db.session.execute(select(Department.id, Department.name).order_by(Department.name))
    )


def people_choices() -> list[Any]:
    return list(
        db.session.execute(
            select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)
        )
    )


def timeline(asset_id: int, limit: int = 30) -> list[Any]:
    """The machine's history, newest first (faults, repairs, readings, consumables, moves):
    plain rows ``id, at, kind, summary, details, actor_name``, one query."""
    return list(
        db.session.execute(
            select(
                Event.id,
                Event.at,
                Event.kind,
                Event.summary,
                Event.details,
                User.name.label("actor_name"),
            )
            .outerjoin(User, User.id == Event.actor_id)
            .where(Event.asset_id == asset_id)
            .order_by(Event.at.desc(), Event.id.desc())
            .limit(limit)
        )
    )
