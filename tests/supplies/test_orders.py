"""Purchase orders: every transition, approval rules, delegation, escalation, sending once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict, InvalidTransition, NotAllowed, ValidationError
from portal.extensions import db
from portal.models import AuditEntry, Notification
from portal.models.base import utcnow
from portal.models.outbox import OutboundMessage
from portal.models.supplies import ApprovalRule, Delegation, StockMovement, local_today
from portal.services import supplies


def _to_supplier(sink):
    return [m for m in sink.messages if "pedidos@kalunga.test" in m["X-Sink-Rcpts"]]


def _notes(user, kind):
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.kind == kind
        )
    )


def test_lifecycle_draft_to_closed(
    app, manager, back_office, make_order, catalogue, smtp_sink, run_jobs
):
    order = make_order(back_office, lines=[(catalogue["a4"], 10), (catalogue["pens"], 50)])
    assert order.status == "draft"
    assert order.total == Decimal("319.00")  # 10 x 25.90 + 50 x 1.20
    approvers = supplies.submit_order(order, actor=back_office)
    db.session.commit()
    assert order.status == "pending_approval"
    assert [u.id for u in approvers] == [manager.id]
    assert _notes(manager, "supplies.approval_needed") == 1

    supplies.approve_order(order, approver=manager, seen_version=order.version)
    db.session.commit()
    assert order.status == "approved"
    assert order.approver_id == manager.id and order.on_behalf_of_id is None
    assert order.submission.kind == "supplier_order"
    assert _notes(back_office, "supplies.order_decided") == 1

    order_id, a4_id, bo_id = order.id, catalogue["a4"].id, back_office.id
    run_jobs()  # the session is reset: reload what we use
    back_office = db.session.get(type(manager), bo_id)
    smtp_sink.wait_for(1)
    assert supplies.sync_sent_orders() == 1
    db.session.commit()
    order = supplies.get_order_or_404(order_id)
    assert order.status == "sent"
    a4 = supplies.get_item_or_404(a4_id)

    lines = {ln.item.sku: ln for ln in order.lines}
    supplies.receive_order(order, actor=back_office, quantities={lines["PAP-A4"].id: 4})
    db.session.commit()
    assert order.status == "partly_received"
    assert a4.on_hand == 4
    supplies.receive_order(
        order,
        actor=back_office,
        quantities={lines["PAP-A4"].id: 6, lines["PEN-BLU"].id: 50},
    )
    db.session.commit()
    assert order.status == "received"
    moves = db.session.scalars(
        select(StockMovement).where(StockMovement.order_line_id.is_not(None))
    ).all()
    assert sorted(m.quantity for m in moves) == [4, 6, 50]
    supplies.close_order(order, actor=back_office)
    db.session.commit()
    assert order.status == "closed"
    with pytest.raises(InvalidTransition):
        supplies.cancel_order(order, actor=back_office)


def test_over_receipt_is_refused(app, manager, back_office, make_order, catalogue):
    order = make_order(back_office, status="approved", approver=manager)
    line = order.lines[0]
    with pytest.raises(ValidationError) as err:
        supplies.receive_order(order, actor=back_office, quantities={line.id: 11})
    assert "too many" in err.value.message
    db.session.rollback()
    assert catalogue["a4"].on_hand == 0


def test_receiving_before_approval_is_refused(app, back_office, make_order):
    order = make_order(back_office)
    with pytest.raises(InvalidTransition):
        supplies.receive_order(order, actor=back_office, quantities={order.lines[0].id: 1})


def test_reject_needs_reason_and_returns_to_draft(app, manager, back_office, make_order):
    order = make_order(back_office, status="pending_approval")
    with pytest.raises(ValidationError):
        supplies.reject_order(order, approver=manager, reason="  ")
    db.session.rollback()
    supplies.reject_order(order, approver=manager, reason="Too many reams")
    db.session.commit()
    assert order.status == "draft"
    assert order.rejected_reason == "Too many reams"
    # The requester fixes and resubmits.
    supplies.submit_order(order, actor=back_office)
    db.session.commit()
    assert order.status == "pending_approval" and order.rejected_reason is None


def test_cancel_from_each_open_state(app, manager, back_office, make_order):
    for status in ("draft", "pending_approval", "approved"):
        order = make_order(back_office, status=status, approver=manager)
        supplies.cancel_order(order, actor=back_office, reason="not needed")
        db.session.commit()
        assert order.status == "cancelled"
        if status == "approved":
            assert order.submission.status == "cancelled"  # never sent


def test_invalid_transitions(app, manager, back_office, make_order, catalogue):
    order = make_order(back_office)
    with pytest.raises(InvalidTransition):
        supplies.approve_order(order, approver=manager)
    db.session.rollback()
    empty = supplies.create_order(supplier=catalogue["kalunga"], actor=back_office)
    with pytest.raises(ValidationError):
        supplies.submit_order(empty, actor=back_office)
    db.session.rollback()
    pending = make_order(back_office, status="pending_approval")
    with pytest.raises(InvalidTransition):
        supplies.add_line(pending, item=catalogue["a4"], quantity=1, actor=back_office)
    with pytest.raises(InvalidTransition):
        supplies.submit_order(pending, actor=back_office)
    with pytest.raises(InvalidTransition):
        supplies.close_order(pending, actor=back_office)


def test_requester_never_approves_own_order(app, client, login_as, manager, make_order):
    order = make_order(manager, status="pending_approval")
    with pytest.raises(NotAllowed):
        supplies.approve_order(order, approver=manager)
    db.session.rollback()
    login_as(manager)
    resp = client.post(f"/supplies/orders/{order.id}/approve", data={"version": order.version})
    assert resp.status_code == 403
    assert "your own order" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert supplies.get_order_or_404(order.id).status == "pending_approval"


def test_stale_version_gets_409_naming_who_and_when(
    app, client, login_as, manager, make_user, back_office, make_order
):
    other = make_user(roles=["office_manager"], name="Paula Rocha")
    order = make_order(back_office, status="pending_approval")
    seen = order.version
    supplies.approve_order(order, approver=other, seen_version=seen)
    db.session.commit()
    login_as(manager)
    resp = client.post(
        f"/supplies/orders/{order.id}/approve",
        data={"version": seen},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 409
    from urllib.parse import unquote

    message = unquote(resp.headers["X-Portal-Error"])
    assert message.startswith("This order was changed by Paula Rocha at ")
    assert "(now: Approved). Reload to see the current version." in message
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "supplies.order.approve")
        )
        == 1
    )


def test_queue_approve_and_reject_inline(app, client, login_as, manager, back_office, make_order):
    a = make_order(back_office, status="pending_approval")
    b = make_order(back_office, status="pending_approval")
    login_as(manager)
    page = client.get("/supplies/approvals").get_data(as_text=True)
    assert page.index(a.number) < page.index(b.number)  # oldest first
    resp = client.post(
        f"/supplies/orders/{a.id}/approve",
        data={"version": a.version},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200 and f'id="queue-{a.id}"' in resp.get_data(as_text=True)
    resp = client.post(
        f"/supplies/orders/{b.id}/reject",
        data={"version": b.version, "reason": ""},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 422
    assert resp.headers["HX-Retarget"] == f"#reject-{b.id}"
    resp = client.post(
        f"/supplies/orders/{b.id}/reject",
        data={"version": b.version, "reason": "Wrong supplier"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200 and "Sent back" in resp.get_data(as_text=True)


def test_bulk_approve_skips_what_cannot_be_approved(
    app, client, login_as, manager, back_office, make_order
):
    mine = make_order(manager, status="pending_approval")
    theirs = make_order(back_office, status="pending_approval")
    other = make_order(back_office, status="pending_approval")
    login_as(manager)
    resp = client.post(
        "/supplies/approvals/bulk",
        data={
            "orders": [
                f"{mine.id}:{mine.version}",
                f"{theirs.id}:{theirs.version}",
                f"{other.id}:{other.version}",
            ]
        },
    )
    assert resp.status_code == 303
    db.session.expire_all()
    assert supplies.get_order_or_404(theirs.id).status == "approved"
    assert supplies.get_order_or_404(other.id).status == "approved"
    assert supplies.get_order_or_404(mine.id).status == "pending_approval"


# --- bands and delegation ---------------------------------------------------------------------


@pytest.fixture
def bands(app):
    db.session.add_all(
        [
            ApprovalRule(category_id=None, max_amount=Decimal("500.00"), allow_delegate=True),
            ApprovalRule(category_id=None, max_amount=None, allow_delegate=False),
        ]
    )
    db.session.commit()


def _delegate(manager, delegate, start, end, limit=None):
    d = Delegation(
        manager_id=manager.id,
        delegate_id=delegate.id,
        starts_on=start,
        ends_on=end,
        amount_limit=limit,
    )
    db.session.add(d)
    db.session.commit()
    return d


def test_bands_decide_whether_a_delegate_may_approve(
    app, bands, manager, back_office, make_user, make_order, catalogue
):
    requester = make_user(roles=["back_office"], name="Natália Cardoso")
    today = local_today()
    _delegate(manager, back_office, today, today + timedelta(days=3))
    small = make_order(requester, status="pending_approval", lines=[(catalogue["a4"], 10)])
    big = make_order(requester, status="pending_approval", lines=[(catalogue["a4"], 30)])
    assert small.total == Decimal("259.00") and big.total == Decimal("777.00")
    with pytest.raises(NotAllowed) as err:
        supplies.approve_order(big, approver=back_office)
    assert "office manager" in err.value.message
    db.session.rollback()
    supplies.approve_order(small, approver=back_office)
    db.session.commit()
    assert small.approver_id == back_office.id and small.on_behalf_of_id == manager.id
    # The manager approves any band (beyond the month's budget, with a reason).
    supplies.approve_order(big, approver=manager, budget_reason="Quarterly stock-up")
    db.session.commit()
    assert big.status == "approved"


def test_category_band_beats_the_general_one(app, bands, manager, make_order, make_user, catalogue):
    db.session.add(
        ApprovalRule(
            category_id=catalogue["coffee"].category_id,
            max_amount=Decimal("100.00"),
            allow_delegate=False,
        )
    )
    db.session.commit()
    requester = make_user(roles=["back_office"])
    order = make_order(requester, status="pending_approval", lines=[(catalogue["coffee"], 1)])
    assert supplies.rule_for(order).category_id == catalogue["coffee"].category_id
    assert not supplies.delegate_allowed(order)


def test_delegation_limit(app, manager, back_office, make_user, make_order, catalogue):
    requester = make_user(roles=["back_office"])
    today = local_today()
    _delegate(manager, back_office, today, today, limit=Decimal("200.00"))
    order = make_order(requester, status="pending_approval")  # 259.00
    with pytest.raises(NotAllowed) as err:
        supplies.approve_order(order, approver=back_office)
    assert "delegated limit" in err.value.message


def test_delegation_window_start_and_end(app, manager, back_office, make_user, make_order):
    requester = make_user(roles=["back_office"])
    today = local_today()
    start, end = today + timedelta(days=1), today + timedelta(days=3)
    _delegate(manager, back_office, start, end)
    order = make_order(requester, status="pending_approval")
    for day, allowed in [
        (start - timedelta(days=1), False),
        (start, True),
        (end, True),
        (end + timedelta(days=1), False),
    ]:
        if allowed:
            assert supplies.approval_authority(order, back_office, today=day).id == manager.id
        else:
            with pytest.raises(NotAllowed):
                supplies.approval_authority(order, back_office, today=day)
    # The route permission follows the same window (today is before the start).
    db.session.expire_all()
    fresh = db.session.get(type(back_office), back_office.id)
    assert not fresh.can("purchase.approve")


def test_delegate_passes_the_route_and_records_on_behalf(
    app, client, login_as, manager, back_office, make_user, make_order
):
    requester = make_user(roles=["back_office"])
    today = local_today()
    _delegate(manager, back_office, today, today)
    order = make_order(requester, status="pending_approval")
    login_as(back_office)
    assert client.get("/supplies/approvals").status_code == 200
    resp = client.post(f"/supplies/orders/{order.id}/approve", data={"version": order.version})
    assert resp.status_code == 303
    page = client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    assert "approved by Juliana Costa on behalf of Marcos Oliveira" in page
    # Back from the absence, the manager sees what was approved for them.
    login_as(manager)
    queue = client.get("/supplies/approvals").get_data(as_text=True)
    assert "Approved on your behalf" in queue and order.number in queue


def test_delegate_cannot_approve_own_order(app, manager, back_office, make_order):
    today = local_today()
    _delegate(manager, back_office, today, today)
    order = make_order(back_office, status="pending_approval")
    with pytest.raises(NotAllowed):
        supplies.approve_order(order, approver=back_office)


def test_submit_routes_to_delegate_while_manager_is_away(
    app, manager, back_office, make_user, make_order, bands, catalogue
):
    requester = make_user(roles=["back_office"])
    today = local_today()
    _delegate(manager, back_office, today, today)
    make_order(requester, status="pending_approval")  # 259: delegate band
    assert _notes(back_office, "supplies.approval_needed") == 1
    assert _notes(manager, "supplies.approval_needed") == 0
    make_order(requester, status="pending_approval", lines=[(catalogue["a4"], 30)])  # 777
    assert _notes(manager, "supplies.approval_needed") == 1


def test_creating_an_absence_notifies_the_delegate(app, client, login_as, manager, back_office):
    login_as(manager)
    today = local_today()
    resp = client.post(
        "/supplies/absences",
        data={
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=2)).isoformat(),
            "delegate_id": back_office.id,
            "amount_limit": "500,00",
        },
    )
    assert resp.status_code == 303
    assert _notes(back_office, "supplies.delegation") == 1
    bad = client.post(
        "/supplies/absences",
        data={"starts_on": today.isoformat(), "ends_on": "", "delegate_id": back_office.id},
    )
    assert bad.status_code == 422 and "last day" in bad.get_data(as_text=True)


def test_escalation_happens_once_per_order(app, manager, back_office, make_user, make_order):
    admin = make_user(roles=["admin"])
    order = make_order(back_office, status="pending_approval")
    fresh = make_order(back_office, status="pending_approval")
    order.submitted_at = utcnow() - timedelta(days=5)
    db.session.commit()
    from worker.jobs.supplies import escalate_waiting_orders

    assert escalate_waiting_orders() == 1
    assert escalate_waiting_orders() == 0
    assert _notes(manager, "supplies.escalated") == 1
    assert _notes(admin, "supplies.escalated") == 1
    assert supplies.get_order_or_404(fresh.id).escalated_at is None


# --- sending to the supplier ------------------------------------------------------------------


def test_supplier_email_sent_once_with_pdf_and_csv(
    app, manager, back_office, make_order, smtp_sink, run_jobs, client, login_as
):
    from portal.enqueue import enqueue_now
    from worker.jobs.mail import send_message

    order = make_order(back_office, status="approved", approver=manager)
    message_id, order_id, number = order.submission_id, order.id, order.number
    bo_id = back_office.id
    run_jobs()
    enqueue_now(send_message, message_id, queue="mail")  # a second nudge: harmless
    run_jobs()
    smtp_sink.wait_for(1)
    supplier_mail = _to_supplier(smtp_sink)
    assert len(supplier_mail) == 1
    msg = supplier_mail[0]
    assert number in msg["Subject"]
    names = {
        part.get_filename(): part.get_content_type() for part in msg.walk() if part.get_filename()
    }
    assert names == {f"{number}.pdf": "application/pdf", f"{number}.csv": "text/csv"}
    login_as(db.session.get(type(manager), bo_id))
    page = client.get(f"/supplies/orders/{order_id}").get_data(as_text=True)
    assert "by e-mail to pedidos@kalunga.test" in page
    db.session.expire_all()
    assert supplies.get_order_or_404(order_id).status == "sent"


def test_worker_killed_after_accept_makes_submission_uncertain(
    app, manager, back_office, make_order, client, login_as, smtp_sink, run_jobs
):
    """The sender died between the server's 250 and marking the row: a person decides."""
    from worker.jobs.mail import sweep_outbox

    order = make_order(back_office, status="approved", approver=manager)
    order_id, message_id, bo_id = order.id, order.submission_id, back_office.id
    message = db.session.get(OutboundMessage, message_id)
    message.status = "sending"  # what a SIGKILL after "250" leaves behind
    message.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    get_redis = __import__("portal.enqueue", fromlist=["get_redis"]).get_redis
    get_redis().flushdb()
    sweep_outbox()
    run_jobs()
    assert _to_supplier(smtp_sink) == []  # never resent automatically
    assert db.session.get(OutboundMessage, message_id).status == "uncertain"
    login_as(db.session.get(type(manager), bo_id))
    fragment = client.get(
        f"/supplies/orders/{order_id}/submission", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Submission uncertain" in fragment and "Confirm sent" in fragment
    assert 'hx-trigger="every 3s"' not in fragment  # no polling once it is settled

    # A person resends it: it goes out exactly once more.
    assert client.post(f"/supplies/orders/{order_id}/submission/resend").status_code == 303
    run_jobs()
    smtp_sink.wait_for(1)
    assert len(_to_supplier(smtp_sink)) == 1
    assert supplies.get_order_or_404(order_id).status in ("approved", "sent")


def test_confirm_sent_after_uncertain(app, manager, back_office, make_order, client, login_as):
    order = make_order(back_office, status="approved", approver=manager)
    message = db.session.get(OutboundMessage, order.submission_id)
    message.status = "uncertain"
    db.session.commit()
    login_as(back_office)
    pending = client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    assert "Submission uncertain" in pending
    assert client.post(f"/supplies/orders/{order.id}/submission/confirm").status_code == 303
    db.session.expire_all()
    assert supplies.get_order_or_404(order.id).status == "sent"
    assert db.session.get(OutboundMessage, order.submission_id).status == "sent"
    with pytest.raises(InvalidTransition):
        supplies.confirm_submission(supplies.get_order_or_404(order.id), actor=back_office)


def test_pending_submission_polls(app, manager, back_office, make_order, client, login_as):
    order = make_order(back_office, status="approved", approver=manager)
    login_as(back_office)
    fragment = client.get(
        f"/supplies/orders/{order.id}/submission", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'hx-trigger="every 3s"' in fragment and "Sending" in fragment
    assert "<html" not in fragment


def test_conflict_raised_on_stale_edit(app, back_office, make_order, catalogue):
    order = make_order(back_office)
    seen = order.version
    supplies.add_line(order, item=catalogue["pens"], quantity=50, actor=back_office)
    db.session.commit()
    with pytest.raises(Conflict):
        supplies.submit_order(order, actor=back_office, seen_version=seen)


def test_approve_never_redirects_off_site(app, client, login_as, manager, back_office, make_order):
    order = make_order(back_office, status="pending_approval")
    login_as(manager)
    resp = client.post(
        f"/supplies/orders/{order.id}/approve",
        data={"version": order.version, "next": "//evil.example/x"},
    )
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/supplies/orders/{order.id}")
