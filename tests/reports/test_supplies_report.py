"""Supplies report figures against a small data set computed by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.models.base import utcnow
from portal.models.supplies import (
    PurchaseOrder,
    Receipt,
    StockMovement,
    Supplier,
    SupplyCategory,
    SupplyItem,
)
from portal.services import reports
from tests.reports.conftest import NOVEMBER, local


@pytest.fixture
def store(people):
    requester = people["back"]
    paper = SupplyCategory(
        name="Material de escritório e papelaria", monthly_budget=Decimal("1000")
    )
    cleaning = SupplyCategory(name="Limpeza", monthly_budget=Decimal("500"))
    acme = Supplier(name="Acme Papéis", order_email="acme@example.com", lead_time_days=3)
    db.session.add_all([paper, cleaning, acme])
    db.session.flush()
    a4 = SupplyItem(
        sku="A4", name="Papel A4", category_id=paper.id, unit_cost=Decimal("2.50"), on_hand=10
    )
    soap = SupplyItem(
        sku="SB", name="Sabonete", category_id=cleaning.id, unit_cost=Decimal("10"), on_hand=4
    )
    pen = SupplyItem(
        sku="PEN", name="Caneta", category_id=paper.id, unit_cost=Decimal("1"), on_hand=0
    )
    old = SupplyItem(
        sku="OLD",
        name="Antigo",
        category_id=paper.id,
        unit_cost=Decimal("99"),
        on_hand=5,
        active=False,
    )
    db.session.add_all([a4, soap, pen, old])
    db.session.flush()

    def order(category, total, status, approved=None, **extra):
        row = PurchaseOrder(
            supplier_id=acme.id,
            category_id=category.id,
            total=Decimal(total),
            status=status,
            requester_id=requester.id,
            approved_at=approved,
            **extra,
        )
        db.session.add(row)
        return row

    big = order(
        paper,
        "600",
        "approved",
        local(2026, 11, 10, 9),
        created_at=local(2026, 11, 9),
        submitted_at=local(2026, 11, 9, 9),
    )
    order(
        cleaning,
        "200",
        "received",
        local(2026, 11, 20, 9),
        created_at=local(2026, 11, 18),
        submitted_at=local(2026, 11, 19, 9),
    )
    order(paper, "300", "closed", local(2026, 10, 15, 9), created_at=local(2026, 10, 14))
    order(paper, "999", "draft", created_at=local(2026, 11, 12))
    sent = order(
        paper,
        "50",
        "received",
        local(2026, 11, 2, 9),
        created_at=local(2026, 11, 1, 10),
        submitted_at=local(2026, 11, 1, 21),
        sent_at=local(2026, 11, 10, 12),
    )
    order(
        cleaning,
        "80",
        "pending_approval",
        created_at=local(2026, 11, 25),
        submitted_at=utcnow() - timedelta(days=2),
    )
    db.session.flush()
    db.session.add_all(
        [
            Receipt(order_id=sent.id, received_by_id=requester.id, at=local(2026, 11, 14, 12)),
            Receipt(order_id=sent.id, received_by_id=requester.id, at=local(2026, 11, 16, 12)),
            StockMovement(item_id=a4.id, kind="issue", quantity=-3, at=local(2026, 11, 3)),
            StockMovement(item_id=a4.id, kind="issue", quantity=-4, at=local(2026, 11, 23)),
            StockMovement(item_id=soap.id, kind="issue", quantity=-1, at=local(2026, 11, 5)),
            StockMovement(item_id=soap.id, kind="issue", quantity=-9, at=local(2026, 10, 5)),
            StockMovement(item_id=a4.id, kind="receipt", quantity=20, at=local(2026, 11, 4)),
            AuditEntry(
                action="supplies.order.create",
                target_type="PurchaseOrder",
                target_id=big.id,
                changes={"from": "suggestions"},
                at=local(2026, 11, 9),
            ),
        ]
    )
    db.session.commit()
    return {"paper": paper, "cleaning": cleaning}


def test_spend_per_month_against_budget(app, store):
    report = reports.build_report("supplies", {**NOVEMBER, "compare": "1"})
    spend = report.section("spend")
    assert spend.table.rows == [
        ["Nov 2026", "Limpeza", Decimal("200"), Decimal("500"), Decimal("0.4")],
        [
            "Nov 2026",
            "Material de escritório e papelaria",
            Decimal("650"),
            Decimal("1000"),
            Decimal("0.65"),
        ],
    ]
    figure = spend.figures[0]
    assert (figure.value, figure.previous) == (Decimal("850"), Decimal("300"))
    assert spend.chart.series == [("Spend", [850.0]), ("Budget", [1500.0])]


def test_category_filter(app, store):
    report = reports.build_report("supplies", {**NOVEMBER, "category": str(store["cleaning"].id)})
    assert [r[2] for r in report.section("spend").table.rows] == [Decimal("200")]
    assert report.section("stock").table.rows == [["Limpeza", 1, Decimal("40")]]


def test_stock_value_and_moving_items(app, store):
    report = reports.build_report("supplies", NOVEMBER)
    assert report.section("stock").table.rows == [
        ["Limpeza", 1, Decimal("40")],
        ["Material de escritório e papelaria", 2, Decimal("25")],
    ]
    moving = report.section("moving").table.rows
    assert [r[:4] for r in moving if r[0] == "Most used"] == [
        ["Most used", "Papel A4", "A4", 7],
        ["Most used", "Sabonete", "SB", 1],
    ]
    assert [r[1] for r in moving if r[0] == "Least used"] == ["Caneta", "Sabonete", "Papel A4"]


def test_lead_time_waiting_orders_and_suggestions(app, store):
    report = reports.build_report("supplies", {**NOVEMBER, "compare": "1"})
    assert report.section("lead").table.rows == [["Acme Papéis", 1, 3, 4.0]]
    approvals = report.section("approvals")
    (row,) = approvals.table.rows
    assert row[:3] == ["Limpeza", 1, Decimal("80")]
    assert row[3] == pytest.approx(2.0, abs=0.05)
    # approved in November: 600 (1 day), 200 (1 day), 50 (12 hours) -> mean 0.8 days
    assert approvals.figures[1].value == pytest.approx(0.8, abs=0.05)
    suggestions = report.section("suggestions")
    # created in November: 600, 200, draft 999, 50, 80 pending -> 5 orders, one from suggestions
    assert suggestions.table.rows == [[1, Decimal("600"), 5, 0.2]]
