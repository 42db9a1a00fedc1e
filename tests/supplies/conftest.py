"""Factories for the supplies tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from portal.extensions import db
from portal.models.supplies import Supplier, SupplyCategory, SupplyItem


@pytest.fixture
def manager(make_user):
    return make_user(
        roles=["office_manager", "staff"], name="Marcos Oliveira", email="manager@example.com"
    )


@pytest.fixture
def back_office(make_user):
    return make_user(
        roles=["back_office", "staff"], name="Juliana Costa", email="backoffice@example.com"
    )


@pytest.fixture
def catalogue(app):
    """Two categories, two suppliers, a few items; returns a dict by short name."""
    paper = SupplyCategory(name="Paper", monthly_budget=Decimal("1000.00"))
    coffee = SupplyCategory(name="Coffee", monthly_budget=Decimal("300.00"))
    kalunga = Supplier(name="Kalunga", order_email="pedidos@kalunga.test", lead_time_days=2)
    cafe = Supplier(name="Café do Ponto", order_email="vendas@cafe.test", lead_time_days=5)
    db.session.add_all([paper, coffee, kalunga, cafe])
    db.session.flush()
    items = {
        "a4": SupplyItem(
            sku="PAP-A4",
            name="A4 paper ream",
            category_id=paper.id,
            unit="ream",
            pack_size=10,
            supplier_id=kalunga.id,
            unit_cost=Decimal("25.90"),
            reorder_point=5,
            par_level=20,
            on_hand=0,
            location="Shelf A",
        ),
        "pens": SupplyItem(
            sku="PEN-BLU",
            name="Blue pens",
            category_id=paper.id,
            unit="un",
            pack_size=50,
            supplier_id=kalunga.id,
            unit_cost=Decimal("1.20"),
            reorder_point=20,
            par_level=100,
            on_hand=0,
            location="Shelf B",
        ),
        "coffee": SupplyItem(
            sku="CAF-1KG",
            name="Coffee beans 1 kg",
            category_id=coffee.id,
            unit="kg",
            pack_size=1,
            supplier_id=cafe.id,
            unit_cost=Decimal("54.00"),
            reorder_point=2,
            par_level=6,
            on_hand=0,
            location="Kitchen",
        ),
    }
    db.session.add_all(items.values())
    db.session.commit()
    return {"paper": paper, "coffee": coffee, "kalunga": kalunga, "cafe": cafe, **items}


def stock(item: SupplyItem, qty: int, actor: Any) -> None:
    from portal.services import supplies

    supplies.receive_stock(item, quantity=qty, actor=actor, reason="opening stock")
    db.session.commit()


@pytest.fixture
def make_order(app, catalogue):
    """Create an order with lines [(item, qty)] and bring it to ``status`` via the services."""
    from flask import current_app

    from portal.services import supplies

    def make(requester, *, lines=None, status="draft", supplier=None, approver=None):
        from sqlalchemy import inspect

        def fresh(obj):  # objects may be detached after run_jobs() or db.session.remove()
            return db.session.get(type(obj), inspect(obj).identity[0])

        with current_app.test_request_context():
            requester = fresh(requester)
            approver = fresh(approver) if approver is not None else None
            supplier = fresh(supplier) if supplier is not None else None
            lines = [(fresh(i), q) for i, q in (lines or [(catalogue["a4"], 10)])]
            order = supplies.create_order(
                supplier=supplier or lines[0][0].supplier, actor=requester
            )
            for item, qty in lines:
                supplies.add_line(order, item=item, quantity=qty, actor=requester)
            if status in ("pending_approval", "approved"):
                supplies.submit_order(order, actor=requester)
            if status == "approved":
                supplies.approve_order(order, approver=approver)
            db.session.commit()
            return order

    return make
