"""Two approvers press "Approve" on the same order at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import AuditEntry, Notification, User
from portal.models.outbox import OutboundMessage
from portal.models.supplies import PurchaseOrder
from portal.services import supplies

pytestmark = pytest.mark.postgres


def test_concurrent_approvals_have_one_winner(app, make_user, back_office, make_order):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level races are only meaningful on PostgreSQL")
    first = make_user(roles=["office_manager"], name="Marcos Oliveira")
    second = make_user(roles=["office_manager"], name="Paula Rocha")
    approver_ids = [first.id, second.id]
    requester_id = back_office.id
    for _round in range(20):
        order = make_order(back_office, status="pending_approval")
        order_id, version = order.id, order.version
        db.session.remove()
        barrier = threading.Barrier(2, timeout=20)
        results: dict[int, str] = {}

        def approve(
            user_id: int, order_id=order_id, version=version, barrier=barrier, results=results
        ) -> None:
            with app.app_context(), app.test_request_context():
                try:
                    user = db.session.get(User, user_id)
                    target = db.session.get(PurchaseOrder, order_id)
                    _ = target.lines, target.supplier, target.requester
                    barrier.wait()
                    supplies.approve_order(
                        target, approver=user, seen_version=version, budget_reason="race"
                    )
                    db.session.commit()
                    results[user_id] = "won"
                except Conflict as error:
                    db.session.rollback()
                    results[user_id] = error.message
                except Exception as error:  # pragma: no cover - reported below
                    db.session.rollback()
                    results[user_id] = f"error: {type(error).__name__}: {error}"
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=approve, args=(uid,)) for uid in approver_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcomes = sorted(results.values())
        assert outcomes.count("won") == 1, outcomes
        loser = next(v for v in outcomes if v != "won")
        assert loser.startswith("This order was changed by ") and "(now: Approved)" in loser
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "supplies.order.approve", AuditEntry.target_id == order_id
                )
            )
            == 1
        )
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.kind == "supplies.order_decided",
                    Notification.target_id == order_id,
                    Notification.user_id == requester_id,
                )
            )
            == 1
        )
        assert (
            db.session.scalar(
                select(func.count(OutboundMessage.id)).where(
                    OutboundMessage.kind == "supplier_order", OutboundMessage.target_id == order_id
                )
            )
            == 1
        )
        back_office = db.session.get(User, requester_id)
