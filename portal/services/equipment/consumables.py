"""Consumables: supply items (toner, drums, staples, paper) linked to the makes and models that
use them; what a machine takes and what is in stock; issuing one "to" a machine records it in
the stock ledger (through the supplies service) and in the machine's history.

The supplies side asks :func:`machines_for_items` which machines depend on a consumable (the
reorder suggestion names them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal import routing
from portal.errors import InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.equipment import RETIRED, Asset, Consumable, ConsumableUse, model_key
from portal.models.supplies import SupplyItem
from portal.services import audit, supplies
from portal.services.equipment.common import clean, parse_int, record_event, today_local
from portal.services.equipment.readings import current_counter


@dataclass(frozen=True)
class Need:
    """One consumable a machine takes, with the stock the supplies area holds."""

    link_id: int
    item_id: int
    sku: str
    name: str
    on_hand: int
    reorder_point: int
    unit: str
    yield_pages: int | None
    unit_kind: str = "unit"  # with unit and unit_plural: the qty_unit filter ("3 caixas")
    unit_plural: str | None = None

    @property
    def low(self) -> bool:
        return self.on_hand <= self.reorder_point


def needs_for(asset: Asset) -> list[Need]:
    """What this machine takes and what is in stock: one query."""
    rows = db.session.execute(
        select(
            Consumable.id,
            SupplyItem.id,
            SupplyItem.sku,
            SupplyItem.name,
            SupplyItem.on_hand,
            SupplyItem.reorder_point,
            SupplyItem.unit,
            Consumable.yield_pages,
            SupplyItem.unit_kind,
            SupplyItem.unit_plural,
        )
        .join(SupplyItem, SupplyItem.id == Consumable.item_id)
        .where(Consumable.model_key == asset.model_key, SupplyItem.active.is_(True))
        .order_by(SupplyItem.name)
    )
    return [Need(*row) for row in rows]


def link_item(asset: Asset, *, actor: User, item_id: Any, yield_pages: Any = None) -> Consumable:
    """Link a supply item to this machine's make and model (every machine of it)."""
    item = (
        db.session.get(SupplyItem, routing.parse_int(item_id))
        if routing.parse_int(item_id)
        else None
    )
    if item is None or not item.active:
        raise ValidationError(_("Choose a supply item."), field="item_id")
    key = model_key(asset.make, asset.model)
    existing = db.session.scalar(
        select(Consumable).where(Consumable.model_key == key, Consumable.item_id == item.id)
    )
    if existing is not None:
        raise ValidationError(_("This item is already linked to this model."), field="item_id")
    link = Consumable(
        model_key=key,
        item_id=item.id,
        yield_pages=parse_int(yield_pages, "yield_pages", minimum=1, maximum=10_000_000),
    )
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "equipment.consumable.linked", asset, {"item": item.sku, "model": key})
    return link


def unlink_item(link_id: int, *, actor: User) -> None:
    link = db.session.get(Consumable, link_id)
    if link is None:
        raise NotFound(_("This link does not exist."))
    audit.record(
        actor,
        "equipment.consumable.unlinked",
        None,
        {"item": link.item_id, "model": link.model_key},
    )
    db.session.delete(link)  # a link is configuration, not history: the uses stay
    db.session.flush()


def item_choices() -> list[Any]:
    return list(
        db.session.execute(
            select(SupplyItem.id, SupplyItem.sku, SupplyItem.name)
            .where(SupplyItem.active.is_(True))
            .order_by(SupplyItem.name)
        )
    )


def issue_to_machine(
    asset: Asset,
    *,
    actor: User,
    item_id: Any,
    quantity: Any = 1,
    issued_to: User | None = None,
    reason: str | None = None,
) -> ConsumableUse:
    """Take a consumable out of stock for this machine: ledger row and machine history at once.

    ``issued_to``: the person it was handed to, if any (the ledger names them too); ``reason``
    adds to the ledger line, which always names the machine."""
    if asset.status == RETIRED:
        raise InvalidTransition(_("This asset is retired."))
    item = (
        db.session.get(SupplyItem, routing.parse_int(item_id))
        if routing.parse_int(item_id)
        else None
    )
    if item is None or not item.active:
        raise ValidationError(_("Choose a supply item."), field="item_id")
    qty = parse_int(quantity, "quantity", minimum=1, maximum=1000, required=True) or 1
    machine = f"{asset.asset_tag} {asset.make} {asset.model}"
    movement = supplies.issue_stock(
        item,
        quantity=qty,
        actor=actor,
        issued_to=issued_to,
        department_id=asset.department_id,
        reason=clean(f"{machine} · {reason}" if clean(reason, 300) else machine, 300),
    )
    use = ConsumableUse(
        asset_id=asset.id,
        item_id=item.id,
        movement_id=movement.id,
        quantity=qty,
        unit_cost=item.unit_cost,
        issued_on=today_local(),
        counter_at_issue=current_counter(asset.id),
        actor_id=actor.id,
    )
    db.session.add(use)
    db.session.flush()
    audit.record(actor, "equipment.consumable.issued", asset, {"item": item.sku, "quantity": qty})
    record_event(asset, "consumable", f"{item.name} × {qty}", actor=actor)
    return use


@dataclass(frozen=True)
class UseRow:
    """A consumable fitted to a machine, with the pages printed on it (yield vs actual)."""

    id: int
    issued_on: Any
    name: str
    quantity: int
    unit_cost: Any
    counter_at_issue: int | None
    pages_since: int | None
    yield_pages: int | None


_UNREAD = object()


def uses_for(asset: Asset, limit: int = 10, *, counter: Any = _UNREAD) -> list[UseRow]:
    """Consumables fitted, newest first; pages printed until the next of the same item (or now).

    ``counter``: the machine's total counter now, when the caller has already read it."""
    rows = list(
        db.session.execute(
            select(
                ConsumableUse.id,
                ConsumableUse.issued_on,
                SupplyItem.name,
                ConsumableUse.quantity,
                ConsumableUse.unit_cost,
                ConsumableUse.counter_at_issue,
                ConsumableUse.item_id,
                Consumable.yield_pages,
            )
            .join(SupplyItem, SupplyItem.id == ConsumableUse.item_id)
            .outerjoin(
                Consumable,
                (Consumable.item_id == ConsumableUse.item_id)
                & (Consumable.model_key == asset.model_key),
            )
            .where(ConsumableUse.asset_id == asset.id)
            .order_by(ConsumableUse.issued_on.desc(), ConsumableUse.id.desc())
            .limit(limit)
        )
    )
    now = current_counter(asset.id) if counter is _UNREAD else counter
    later: dict[int, int | None] = {}
    out = []
    for r in rows:
        end = later.get(r.item_id, now)
        pages = (
            end - r.counter_at_issue if end is not None and r.counter_at_issue is not None else None
        )
        out.append(
            UseRow(
                r.id,
                r.issued_on,
                r.name,
                r.quantity,
                r.unit_cost,
                r.counter_at_issue,
                pages,
                r.yield_pages,
            )
        )
        later[r.item_id] = r.counter_at_issue
    return out


def machines_for_items(item_ids: list[int]) -> dict[int, list[Any]]:
    """Which machines in service depend on each supply item: ``{item_id: [rows]}``, one query.

    Each row has ``id, asset_tag, make, model, floor, room`` — for the reorder suggestion
    ("used by PRN-0201, PRN-0202") and the item's page.
    """
    ids = sorted({int(i) for i in item_ids})
    out: dict[int, list[Any]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(
            Consumable.item_id,
            Asset.id,
            Asset.asset_tag,
            Asset.make,
            Asset.model,
            Asset.floor,
            Asset.room,
        )
        .join(Asset, Asset.model_key == Consumable.model_key)
        .where(Consumable.item_id.in_(ids), Asset.status != RETIRED)
        .order_by(Consumable.item_id, Asset.asset_tag)
    )
    for row in rows:
        out[row.item_id].append(row)
    return out


def issue_to_machine_id(
    machine_id: Any,
    *,
    actor: User,
    item_id: Any,
    quantity: Any = 1,
    issued_to: User | None = None,
    reason: str | None = None,
) -> ConsumableUse:
    """:func:`issue_to_machine` for a machine chosen by id on another area's form (the supply
    item's stock form): an unknown or retired machine is a field error there."""
    asset_id = routing.parse_int(machine_id)
    asset = db.session.get(Asset, asset_id) if asset_id else None
    if asset is None or asset.status == RETIRED:
        raise ValidationError(_("Choose a machine in service."), field="machine_id")
    return issue_to_machine(
        asset,
        actor=actor,
        item_id=item_id,
        quantity=quantity,
        issued_to=issued_to,
        reason=reason,
    )
