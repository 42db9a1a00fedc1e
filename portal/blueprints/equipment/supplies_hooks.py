"""What the supplies area shows of equipment, through the registry (supplies imports nothing
of equipment): the machines that use an item, and "issue to a machine" on the stock form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from portal.services import equipment


@dataclass(frozen=True)
class MachineRef:
    """A machine as another area lists it: a label and a link."""

    id: int
    tag: str  # "PRN-0201"
    label: str  # "PRN-0201 · Brother HL-L5102"
    place: str | None  # "2º andar / Sala 201"
    url: str


def _label(row: Any) -> str:
    return f"{row.asset_tag} · {row.make} {row.model}"


def machines_for_items(item_ids: list[int]) -> dict[int, list[MachineRef]]:
    """``{item_id: [MachineRef]}`` from one query (the machines whose model takes the item)."""
    prefix = url_for("equipment.index")
    return {
        item_id: [
            MachineRef(
                r.id,
                r.asset_tag,
                _label(r),
                " / ".join(p for p in (r.floor, r.room) if p) or None,
                f"{prefix}{r.id}",
            )
            for r in rows
        ]
        for item_id, rows in equipment.machines_for_items(item_ids).items()
    }


def machine_choices() -> list[tuple[int, str]]:
    """Machines in service for the stock form's "issued to a machine"."""
    return [(r.id, _label(r)) for r in equipment.machine_choices()]


def issue_to_machine(
    item: Any,
    *,
    machine_id: Any,
    quantity: Any,
    actor: Any,
    issued_to: Any = None,
    reason: str | None = None,
) -> None:
    """Issue ``item`` to the chosen machine: stock ledger and machine history, one flush."""
    equipment.issue_to_machine_id(
        machine_id,
        actor=actor,
        item_id=item.id,
        quantity=quantity,
        issued_to=issued_to,
        reason=reason,
    )
