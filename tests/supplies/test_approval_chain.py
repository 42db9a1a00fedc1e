"""Issue 16: the approval chain — bands with a director above the limit, automatic approval of
small orders within budget, covering for an absent manager, escalation, and "who can approve it
now and why"; budget overruns need a reason; absences never overlap."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.errors import NotAllowed, ValidationError
from portal.extensions import db
from portal.models import AuditEntry, Notification
from portal.models.base import utcnow
from portal.models.supplies import ApprovalRule, Delegation, local_today
from portal.services import supplies


@pytest.fixture
def director(make_user):
    return make_user(roles=["director", "staff"], name="Helena Prado", email="director@example.com")


@pytest.fixture
def chain_bands(app):
    """Office managers up to R$ 1.000 (delegates allowed), a director above."""
    db.session.add_all(
        [
            ApprovalRule(max_amount=Decimal("1000.00"), allow_delegate=True),
            ApprovalRule(max_amount=None, allow_delegate=False, approver_role="director"),
        ]
    )
    db.session.commit()


def _away(manager, delegate, *, days=3, limit=None):
    today = local_today()
    d = Delegation(
        manager_id=manager.id,
        delegate_id=delegate.id,
        starts_on=today,
        ends_on=today + timedelta(days=days),
        amount_limit=limit,
    )
    db.session.add(d)
    db.session.commit()
    return d


def _notes(user, kind):
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.kind == kind
        )
    )


def _names(order):
    return [a.user.name for a in supplies.chain_for(order).approvers]


def test_director_role_and_permission_exist(director, manager):
    assert director.can("purchase.approve") and director.can("purchase.approve_above_limit")
    assert not manager.can("purchase.approve_above_limit")
    from portal.security import ROLE_LABELS

    assert str(ROLE_LABELS["director"]) == "Director / owner"


def test_every_office_manager_composing_leaves_the_director(
    app, manager, make_user, director, make_order, catalogue
):
    other = make_user(roles=["office_manager"], name="Otávio Lima")
    order = make_order(manager, status="draft")
    supplies.add_line(order, item=catalogue["pens"], quantity=50, actor=other)  # composes too
    db.session.commit()
    supplies.submit_order(order, actor=manager)
    db.session.commit()
    assert _names(order) == ["Helena Prado"]
    explained = supplies.approval_explanation(order)
    assert "No office manager can approve it" in explained["notes"][0]
    with pytest.raises(NotAllowed):
        supplies.approve_order(order, approver=other)
    db.session.rollback()
    supplies.approve_order(order, approver=director)
    db.session.commit()
    assert order.status == "approved" and order.approver_id == director.id


def test_above_the_limit_only_a_director_approves(
    app, chain_bands, manager, back_office, director, make_order, catalogue
):
    catalogue["paper"].monthly_budget = None
    db.session.commit()
    big = make_order(back_office, status="pending_approval", lines=[(catalogue["a4"], 50)])
    assert big.total == Decimal("1295.00")
    assert _names(big) == ["Helena Prado"]
    assert _notes(director, "supplies.approval_needed") == 1
    assert _notes(manager, "supplies.approval_needed") == 0
    with pytest.raises(NotAllowed) as err:
        supplies.approve_order(big, approver=manager)
    assert "director" in err.value.message
    db.session.rollback()
    supplies.approve_order(big, approver=director)
    db.session.commit()
    assert big.status == "approved"


def test_delegate_approves_a_colleagues_order_on_behalf_and_own_goes_up(
    app, chain_bands, manager, back_office, director, make_user, make_order, catalogue
):
    """Old behaviour: the delegate's own order waited with nobody able to approve it."""
    colleague = make_user(roles=["back_office"], name="Natália Cardoso")
    _away(manager, back_office)
    theirs = make_order(colleague, status="pending_approval")
    mine = make_order(back_office, status="pending_approval", lines=[(catalogue["pens"], 50)])
    chain = supplies.chain_for(theirs)
    assert [(a.user.name, a.on_behalf_of.name) for a in chain.approvers] == [
        ("Juliana Costa", "Marcos Oliveira")
    ]
    assert "away until" in chain.approvers[0].reason
    supplies.approve_order(theirs, approver=back_office)
    db.session.commit()
    assert theirs.on_behalf_of_id == manager.id
    # The delegate's own order goes to the next approver: the director, who is told.
    assert _names(mine) == ["Helena Prado"]
    note = supplies.approval_explanation(mine)["notes"][0]
    assert "stands in for Marcos Oliveira" in note
    assert _notes(director, "supplies.approval_needed") == 1
    supplies.approve_order(mine, approver=director)
    db.session.commit()
    assert mine.status == "approved"


def test_the_absent_managers_own_order_goes_to_the_director(
    app, chain_bands, manager, back_office, director, make_order
):
    order = make_order(manager, status="pending_approval")
    _away(manager, back_office)
    assert _names(order) == ["Helena Prado"]
    with pytest.raises(NotAllowed):
        supplies.approve_order(order, approver=back_office)


def test_queue_says_who_can_decide_each_row(
    app, chain_bands, manager, back_office, director, make_user, make_order
):
    colleague = make_user(roles=["back_office"], name="Natália Cardoso")
    _away(manager, back_office)
    theirs = make_order(colleague, status="pending_approval")
    mine = make_order(back_office, status="pending_approval")
    page = supplies.pending_queue(page=1, per_page=20, viewer=back_office)
    rows = {e.id: e for e in page.items}
    assert rows[theirs.id].can_decide and rows[theirs.id].on_behalf_of == "Marcos Oliveira"
    assert not rows[mine.id].can_decide and "your own order" in rows[mine.id].why_not
    assert rows[mine.id].approvers == ["Helena Prado"]


def test_automatic_approval_under_a_small_amount_within_budget(
    app, manager, back_office, make_order, catalogue
):
    db.session.add_all(
        [
            ApprovalRule(max_amount=Decimal("100.00"), auto_approve=True),
            ApprovalRule(max_amount=None),
        ]
    )
    db.session.commit()
    small = make_order(back_office, status="pending_approval", lines=[(catalogue["pens"], 50)])
    assert small.total == Decimal("60.00")
    assert small.status == "approved" and small.auto_approved and small.approver_id is None
    assert small.submission is not None  # on its way to the supplier
    # Over the category's budget: a person decides, even for a small amount.
    catalogue["paper"].monthly_budget = Decimal("50.00")
    db.session.commit()
    other = make_order(back_office, status="pending_approval", lines=[(catalogue["pens"], 10)])
    assert other.status == "pending_approval" and not other.auto_approved


def test_escalation_reaches_the_next_approver(
    app, manager, back_office, director, make_user, make_order
):
    admin = make_user(roles=["admin"])
    order = make_order(back_office, status="pending_approval")
    assert _names(order) == ["Marcos Oliveira"]
    order.submitted_at = utcnow() - timedelta(days=5)
    db.session.commit()
    from worker.jobs.supplies import escalate_waiting_orders

    assert escalate_waiting_orders() == 1
    order = db.session.get(supplies.PurchaseOrder, order.id)
    chain = supplies.chain_for(order)
    assert [a.user.name for a in chain.approvers] == ["Marcos Oliveira", "Helena Prado"]
    assert "Escalated" in chain.approvers[1].reason
    assert _notes(director, "supplies.escalated") == 1
    assert _notes(manager, "supplies.escalated") == 1
    assert _notes(admin, "supplies.escalated") == 1


def test_beyond_the_budget_the_approver_gives_a_reason(
    app, manager, back_office, make_order, catalogue
):
    catalogue["coffee"].category.monthly_budget = Decimal("100.00")
    db.session.commit()
    order = make_order(back_office, status="pending_approval", lines=[(catalogue["coffee"], 3)])
    with pytest.raises(ValidationError) as err:
        supplies.approve_order(order, approver=manager)
    assert err.value.field == "budget_reason"
    assert "over its budget" in err.value.message
    db.session.rollback()
    supplies.approve_order(order, approver=manager, budget_reason="  Visit of the board  ")
    db.session.commit()
    assert order.over_budget_reason == "Visit of the board"
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "supplies.order.approve")
    )
    assert entry.changes["over_budget_reason"] == "Visit of the board"


def test_bulk_reject_with_one_reason(app, manager, back_office, make_order):
    a = make_order(back_office, status="pending_approval")
    b = make_order(back_office, status="pending_approval")
    with pytest.raises(ValidationError) as err:
        supplies.bulk_reject([f"{a.id}:{a.version}"], approver=manager, reason=" ")
    assert err.value.field == "reason"
    done, refused = supplies.bulk_reject(
        [f"{a.id}:{a.version}", f"{b.id}:{b.version}"], approver=manager, reason="Wrong supplier"
    )
    db.session.commit()
    assert {o.id for o in done} == {a.id, b.id} and refused == []
    assert {a.status, b.status} == {"draft"}
    assert a.rejected_reason == b.rejected_reason == "Wrong supplier"


def test_overlapping_absences_are_refused(app, manager, back_office):
    today = local_today()
    supplies.create_delegation(
        manager=manager,
        delegate_id=back_office.id,
        starts_on=today,
        ends_on=today + timedelta(days=5),
    )
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        supplies.create_delegation(
            manager=manager,
            delegate_id=back_office.id,
            starts_on=today + timedelta(days=3),
            ends_on=today + timedelta(days=9),
        )
    assert err.value.field == "starts_on"
    assert "already away" in err.value.message
    db.session.rollback()
    # Right after the first one ends is fine.
    supplies.create_delegation(
        manager=manager,
        delegate_id=back_office.id,
        starts_on=today + timedelta(days=6),
        ends_on=today + timedelta(days=9),
    )


def test_absence_statuses_agree_in_portuguese(app, manager, back_office):
    from flask_babel import force_locale

    today = local_today()
    d = _away(manager, back_office)
    with app.test_request_context(), force_locale("pt_BR"):
        assert supplies.absence_status(d, today)[0] == "Ativa"
        assert supplies.absence_status(d, today + timedelta(days=10))[0] == "Encerrada"
        assert supplies.absence_status(d, today - timedelta(days=1))[0] == "Planejada"
        d.cancelled_at = utcnow()
        assert supplies.absence_status(d, today)[0] == "Cancelada"
