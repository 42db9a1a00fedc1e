"""Equipment fixtures: a back-office person, a staff member, a department, machines, toner."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from portal.extensions import db

HX = {"HX-Request": "true"}


@pytest.fixture
def office(make_user):
    return make_user(roles=["back_office"], name="Juliana Costa", email="desk@example.com")


@pytest.fixture
def manager(make_user):
    return make_user(roles=["office_manager"], name="Marta Lima", email="marta@example.com")


@pytest.fixture
def department(app):
    from portal.models import Department

    dept = Department(name="Financeiro")
    db.session.add(dept)
    db.session.commit()
    return dept


@pytest.fixture
def staff(make_user, department):
    return make_user(
        roles=["staff"], name="Ana Santos", email="ana@example.com", department_id=department.id
    )


@pytest.fixture
def make_asset(app, office):
    from portal.services import equipment

    counter = {"n": 0}

    def make(**overrides: Any):
        counter["n"] += 1
        data = {
            "asset_tag": f"PRN-{counter['n']:04d}",
            "type": "printer",
            "make": "Brother",
            "model": "HL-L5102",
            "serial": f"SN{counter['n']:06d}",
            "floor": "2º andar",
            "room": "Sala 201",
            **overrides,
        }
        asset = equipment.save_asset(None, actor=office, data=data)
        db.session.commit()
        return asset

    return make


@pytest.fixture
def toner(app):
    from portal.models.supplies import SupplyCategory, SupplyItem

    cat = SupplyCategory(name="Toner")
    db.session.add(cat)
    db.session.flush()
    item = SupplyItem(
        sku="TON-BR-3442",
        name="Toner Brother TN-3442",
        category_id=cat.id,
        unit_cost=Decimal("300.00"),
        reorder_point=1,
        on_hand=5,
    )
    db.session.add(item)
    db.session.flush()
    from portal.models.supplies import StockMovement

    db.session.add(StockMovement(item_id=item.id, kind="receipt", quantity=5))
    db.session.commit()
    return item


def reading(asset, actor, day: date, mono: int, colour: int = 0, replaced: bool = False):
    from portal.services import equipment

    r = equipment.add_reading(
        asset, actor=actor, read_on=day, mono=mono, colour=colour, counter_replaced=replaced
    )
    db.session.commit()
    return r
