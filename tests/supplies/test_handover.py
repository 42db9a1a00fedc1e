"""Supplies' part of an exit hand-over: the leaver's open orders and the absences they cover go
to the colleague HR names (portal.services.supplies.handover, registered as a hand-over
provider); what the colleague may not take stays or is called off."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import ui
from portal.extensions import db
from portal.models import AuditEntry
from portal.models.supplies import Delegation, PurchaseOrder, local_today
from portal.services.supplies.handover import hand_over


def test_the_area_registers_its_handover(app):
    with app.app_context():
        names = [p.name for p in ui.current().handover_providers]
    assert "supplies" in names


def test_open_orders_and_absences_go_to_the_colleague(
    app, make_user, make_order, manager, back_office
):
    leaver = make_user(roles=["back_office", "staff"], name="Saindo", email="saindo@example.com")
    draft = make_order(leaver)
    pending = make_order(leaver, status="pending_approval")
    approved = make_order(leaver, status="approved", approver=manager)
    someone_elses = make_order(manager)
    today = local_today()
    covering = Delegation(
        manager_id=manager.id,
        delegate_id=leaver.id,
        starts_on=today,
        ends_on=today + timedelta(days=5),
    )
    past = Delegation(
        manager_id=manager.id,
        delegate_id=leaver.id,
        starts_on=today - timedelta(days=10),
        ends_on=today - timedelta(days=5),
    )
    db.session.add_all([covering, past])
    db.session.commit()
    versions = {o.id: db.session.get(PurchaseOrder, o.id).version for o in (draft, pending)}

    with app.test_request_context():
        moved = hand_over(leaver, back_office, actor=None)
        db.session.commit()
    assert moved == 4  # three orders, one absence

    db.session.expire_all()
    for order in (draft, pending, approved):
        assert db.session.get(PurchaseOrder, order.id).requester_id == back_office.id
    assert db.session.get(PurchaseOrder, someone_elses.id).requester_id == manager.id
    for order_id, version in versions.items():  # an open edit form sees the change
        assert db.session.get(PurchaseOrder, order_id).version == version + 1
    assert db.session.get(Delegation, covering.id).delegate_id == back_office.id
    assert db.session.get(Delegation, past.id).delegate_id == leaver.id  # history untouched
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "supplies.handover"))
    assert entry.changes["to"] == back_office.id
    assert sorted(entry.changes["orders"]) == sorted([draft.id, pending.id, approved.id])
    assert entry.changes["absences"] == [covering.id]

    with app.test_request_context():  # a second run finds nothing left
        assert hand_over(leaver, back_office, actor=None) == 0


def test_a_colleague_who_cannot_order_or_stand_in(app, make_user, make_order, manager):
    leaver = make_user(roles=["back_office", "staff"], name="Saindo", email="saindo@example.com")
    staff = make_user(roles=["staff"], name="Colega", email="colega@example.com")
    order = make_order(leaver, status="pending_approval")
    today = local_today()
    absence = Delegation(
        manager_id=manager.id,
        delegate_id=leaver.id,
        starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=3),
    )
    db.session.add(absence)
    db.session.commit()

    with app.test_request_context():
        assert hand_over(leaver, staff, actor=None) == 1
        db.session.commit()
    db.session.expire_all()
    # staff may not draft orders: the order keeps its requester (the approval chain still
    # offers it to the approvers); the absence is called off so approvals go up the chain
    assert db.session.get(PurchaseOrder, order.id).requester_id == leaver.id
    called_off = db.session.get(Delegation, absence.id)
    assert called_off.delegate_id == leaver.id and called_off.cancelled_at is not None


def test_the_approver_of_an_order_never_becomes_its_requester(app, make_user, make_order, manager):
    leaver = make_user(roles=["back_office", "staff"], name="Saindo", email="saindo@example.com")
    manager_and_buyer = make_user(
        roles=["office_manager", "back_office", "staff"], name="Gerente", email="g@example.com"
    )
    approved = make_order(leaver, status="approved", approver=manager_and_buyer)
    draft = make_order(leaver)
    with app.test_request_context():
        assert hand_over(leaver, manager_and_buyer, actor=None) == 1
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, approved.id).requester_id == leaver.id
    assert db.session.get(PurchaseOrder, draft.id).requester_id == manager_and_buyer.id
