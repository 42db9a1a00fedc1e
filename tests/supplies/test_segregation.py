"""Segregation of duties on purchase orders (issue 10, item 2).

Whoever created or changed an order's lines counts as a requester: they never approve (or reject)
it, not even as a delegate, and nobody approves on behalf of them.  Only the requester or an
office manager may cancel an order.  The database refuses the same writes on its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal.errors import NotAllowed
from portal.extensions import db
from portal.models import AuditEntry, User
from portal.models.base import utcnow
from portal.models.supplies import Delegation, PurchaseOrder, local_today
from portal.services import supplies


def _status(order_id: int) -> str:
    db.session.expire_all()
    return db.session.get(PurchaseOrder, order_id).status


def _away(manager, delegate):
    today = local_today()
    db.session.add(
        Delegation(
            manager_id=manager.id,
            delegate_id=delegate.id,
            starts_on=today,
            ends_on=today + timedelta(days=2),
        )
    )
    db.session.commit()


# --- approving what you composed --------------------------------------------------------------


def test_approver_who_added_a_line_cannot_approve(
    app, manager, back_office, make_user, make_order, catalogue
):
    order = make_order(back_office)
    supplies.add_line(order, item=catalogue["pens"], quantity=50, actor=manager)
    supplies.submit_order(order, actor=manager)
    db.session.commit()
    with pytest.raises(NotAllowed) as err:
        supplies.approve_order(order, approver=manager)
    assert "changed its lines" in err.value.message
    db.session.rollback()
    with pytest.raises(NotAllowed):
        supplies.reject_order(order, approver=manager, reason="no")
    db.session.rollback()
    assert _status(order.id) == "pending_approval"
    # Someone who took no part in it approves.
    other = make_user(roles=["office_manager"], name="Paula Rocha")
    order = db.session.get(PurchaseOrder, order.id)
    supplies.approve_order(order, approver=other)
    db.session.commit()
    assert order.status == "approved" and order.approver_id == other.id


def test_removing_a_line_counts_as_composing(app, manager, back_office, make_order, catalogue):
    order = make_order(back_office, lines=[(catalogue["a4"], 10), (catalogue["pens"], 50)])
    pens = next(ln for ln in order.lines if ln.item.sku == "PEN-BLU")
    supplies.remove_line(order, line_id=pens.id, actor=manager)
    supplies.submit_order(order, actor=back_office)
    db.session.commit()
    with pytest.raises(NotAllowed):
        supplies.approve_order(order, approver=manager)


def test_approver_composes_submits_and_approves_over_http(
    app, client, login_as, manager, back_office, make_order, catalogue
):
    order = make_order(back_office)
    login_as(manager)
    resp = client.post(
        f"/supplies/orders/{order.id}/lines",
        data={"item_id": catalogue["pens"].id, "quantity": "50", "version": order.version},
    )
    assert resp.status_code == 303
    db.session.expire_all()
    order = db.session.get(PurchaseOrder, order.id)
    resp = client.post(f"/supplies/orders/{order.id}/submit", data={"version": order.version})
    assert resp.status_code == 303
    db.session.expire_all()
    order = db.session.get(PurchaseOrder, order.id)
    assert order.status == "pending_approval"
    # The order page offers no approval to someone who composed it; the queue says why.
    page = client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    assert f'action="/supplies/orders/{order.id}/approve"' not in page
    assert "Lines changed by" in page and "Marcos Oliveira" in page
    queue = client.get("/supplies/approvals").get_data(as_text=True)
    assert f'id="approve-{order.id}"' not in queue
    assert "you changed its lines" in queue
    resp = client.post(f"/supplies/orders/{order.id}/approve", data={"version": order.version})
    assert resp.status_code == 403
    assert "changed its lines" in resp.get_data(as_text=True)
    resp = client.post("/supplies/approvals/bulk", data={"orders": [f"{order.id}:{order.version}"]})
    assert resp.status_code == 303
    assert _status(order.id) == "pending_approval"


def test_delegate_who_composed_cannot_approve_on_behalf(
    app, manager, back_office, make_user, make_order, catalogue
):
    requester = make_user(roles=["back_office"], name="Natália Cardoso")
    _away(manager, back_office)
    order = make_order(requester)
    supplies.add_line(order, item=catalogue["pens"], quantity=50, actor=back_office)
    supplies.submit_order(order, actor=requester)
    db.session.commit()
    with pytest.raises(NotAllowed) as err:
        supplies.approve_order(order, approver=back_office)
    assert "changed its lines" in err.value.message


def test_nobody_approves_on_behalf_of_a_manager_who_composed(
    app, manager, back_office, make_user, make_order, catalogue
):
    requester = make_user(roles=["back_office"], name="Natália Cardoso")
    order = make_order(requester)
    supplies.add_line(order, item=catalogue["pens"], quantity=50, actor=manager)
    supplies.submit_order(order, actor=requester)
    db.session.commit()
    _away(manager, back_office)
    with pytest.raises(NotAllowed) as err:
        supplies.approve_order(order, approver=back_office)
    assert "on behalf of someone who changed its lines" in err.value.message


def test_approving_someone_elses_untouched_order_still_works(app, manager, back_office, make_order):
    order = make_order(back_office, status="pending_approval")
    supplies.approve_order(order, approver=manager)
    db.session.commit()
    assert order.status == "approved"


# --- cancelling -------------------------------------------------------------------------------


def test_third_party_cannot_cancel_someone_elses_order(
    app, client, login_as, back_office, make_user, make_order, catalogue
):
    colleague = make_user(roles=["back_office"], name="Rafael Lima")
    order = make_order(back_office, status="pending_approval")
    with pytest.raises(NotAllowed) as err:
        supplies.cancel_order(order, actor=colleague, reason="mine now")
    assert "Only the requester or an office manager" in err.value.message
    db.session.rollback()
    # A colleague who changed the lines of a draft is still not its requester.
    draft = make_order(back_office)
    supplies.add_line(draft, item=catalogue["pens"], quantity=50, actor=colleague)
    db.session.commit()
    with pytest.raises(NotAllowed):
        supplies.cancel_order(draft, actor=colleague)
    db.session.rollback()
    login_as(colleague)
    page = client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    assert f'action="/supplies/orders/{order.id}/cancel"' not in page
    resp = client.post(f"/supplies/orders/{order.id}/cancel", data={"version": order.version})
    assert resp.status_code == 403
    assert _status(order.id) == "pending_approval" and _status(draft.id) == "draft"


@pytest.mark.parametrize("who", ["requester", "office_manager"])
def test_requester_and_office_manager_may_cancel(
    app, client, login_as, who, manager, back_office, make_order
):
    order = make_order(back_office, status="pending_approval")
    actor = back_office if who == "requester" else manager
    login_as(actor)
    page = client.get(f"/supplies/orders/{order.id}").get_data(as_text=True)
    assert f'action="/supplies/orders/{order.id}/cancel"' in page
    resp = client.post(
        f"/supplies/orders/{order.id}/cancel", data={"version": order.version, "reason": "dup"}
    )
    assert resp.status_code == 303
    db.session.expire_all()
    order = db.session.get(PurchaseOrder, order.id)
    assert order.status == "cancelled"
    assert order.cancelled_by_id == actor.id


def test_office_manager_cancels_an_approved_order(app, manager, back_office, make_user, make_order):
    other = make_user(roles=["office_manager"], name="Paula Rocha")
    order = make_order(back_office, status="approved", approver=manager)
    supplies.cancel_order(order, actor=other)
    db.session.commit()
    assert order.status == "cancelled"


# --- the database refuses the same writes -----------------------------------------------------


def _approve_directly(order_id: int, approver_id: int, on_behalf_of_id: int | None = None):
    db.session.execute(
        text(
            "UPDATE purchase_order SET status = 'approved', approver_id = :a, "
            "on_behalf_of_id = :b, approved_at = :at WHERE id = :id"
        ),
        {"a": approver_id, "b": on_behalf_of_id, "at": utcnow(), "id": order_id},
    )
    db.session.flush()


def test_database_refuses_approval_by_the_requester(app, back_office, make_order):
    order = make_order(back_office, status="pending_approval")
    with pytest.raises(IntegrityError):
        _approve_directly(order.id, back_office.id)
    db.session.rollback()
    assert _status(order.id) == "pending_approval"


def test_database_refuses_approval_by_a_contributor(
    app, manager, back_office, make_user, make_order, catalogue
):
    order = make_order(back_office)
    supplies.add_line(order, item=catalogue["pens"], quantity=50, actor=manager)
    supplies.submit_order(order, actor=back_office)
    db.session.commit()
    order_id, manager_id = order.id, manager.id
    with pytest.raises(IntegrityError):
        _approve_directly(order_id, manager_id)
    db.session.rollback()
    # ... nor on behalf of a contributor.
    delegate = make_user(roles=["back_office"])
    with pytest.raises(IntegrityError):
        _approve_directly(order_id, delegate.id, on_behalf_of_id=manager_id)
    db.session.rollback()
    other = make_user(roles=["office_manager"])
    _approve_directly(order_id, other.id)
    db.session.commit()
    assert _status(order_id) == "approved"


def test_database_refuses_making_the_approver_a_contributor(app, manager, back_office, make_order):
    order = make_order(back_office, status="approved", approver=manager)
    with pytest.raises(IntegrityError):
        db.session.execute(
            text(
                "INSERT INTO purchase_order_contributor (order_id, user_id, first_at) "
                "VALUES (:o, :u, :at)"
            ),
            {"o": order.id, "u": manager.id, "at": utcnow()},
        )
        db.session.flush()
    db.session.rollback()


def test_database_refuses_a_cancel_by_a_third_party(
    app, manager, back_office, make_user, make_order
):
    colleague = make_user(roles=["back_office"])
    order = make_order(back_office, status="pending_approval")
    cancel = text(
        "UPDATE purchase_order SET status = 'cancelled', cancelled_by_id = :by WHERE id = :id"
    )
    for who in (colleague.id, None):
        with pytest.raises(IntegrityError):
            db.session.execute(cancel, {"by": who, "id": order.id})
            db.session.flush()
        db.session.rollback()
    assert _status(order.id) == "pending_approval"
    db.session.execute(cancel, {"by": manager.id, "id": order.id})
    db.session.commit()
    assert _status(order.id) == "cancelled"


def test_contributors_are_recorded_once_and_audited(
    app, manager, back_office, make_order, catalogue
):
    order = make_order(back_office)
    for qty in (1, 2):
        supplies.add_line(order, item=catalogue["pens"], quantity=qty, actor=manager)
    db.session.commit()
    rows = db.session.execute(
        text("SELECT user_id FROM purchase_order_contributor WHERE order_id = :o ORDER BY 1"),
        {"o": order.id},
    ).scalars()
    assert sorted(rows) == sorted({back_office.id, manager.id})
    assert [u.name for u in supplies.order_contributors(order)] == ["Marcos Oliveira"]
    adds = db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "supplies.order.line_add", AuditEntry.actor_id == manager.id
        )
    )
    assert adds == 2
    assert db.session.get(User, manager.id) is not None


# --- the migrated database enforces the same rules ----------------------------------------------


@pytest.fixture
def migrated_app(base_config, database_url, tmp_path):
    """An app on a fresh database built by the migrations (not create_all)."""
    import uuid

    from flask_migrate import upgrade
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from portal import create_app

    url = make_url(database_url)
    admin = None
    if url.get_backend_name() == "postgresql":
        name = f"sodtest_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        fresh = url.set(database=name).render_as_string(hide_password=False)
    else:
        fresh = f"sqlite:///{tmp_path / 'sod.db'}"
    app = create_app({**base_config, "SQLALCHEMY_DATABASE_URI": fresh})
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrated_database_refuses_the_same_writes(migrated_app):
    from portal.models.supplies import PurchaseOrderContributor, Supplier

    people = {}
    for key, roles in (
        ("requester", []),
        ("composer", []),
        ("other", []),
        ("om", ["office_manager"]),
    ):
        people[key] = User(email=f"{key}@example.com", name=key, password_hash="x")
        people[key].roles = roles
    supplier = Supplier(name="Kalunga", order_email="k@example.com")
    db.session.add_all([*people.values(), supplier])
    db.session.flush()
    ids = {k: u.id for k, u in people.items()}
    order = PurchaseOrder(
        supplier_id=supplier.id,
        requester_id=ids["requester"],
        status="pending_approval",
        updated_at=utcnow(),
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(PurchaseOrderContributor(order_id=order.id, user_id=ids["composer"]))
    db.session.commit()
    order_id = order.id

    for approver in (ids["requester"], ids["composer"]):
        with pytest.raises(IntegrityError):
            _approve_directly(order_id, approver)
        db.session.rollback()
    cancel = text(
        "UPDATE purchase_order SET status = 'cancelled', cancelled_by_id = :by WHERE id = :id"
    )
    with pytest.raises(IntegrityError):
        db.session.execute(cancel, {"by": ids["other"], "id": order_id})
        db.session.flush()
    db.session.rollback()
    _approve_directly(order_id, ids["other"])
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.add(PurchaseOrderContributor(order_id=order_id, user_id=ids["other"]))
        db.session.flush()
    db.session.rollback()
    db.session.execute(cancel, {"by": ids["om"], "id": order_id})
    db.session.commit()
    assert db.session.get(PurchaseOrder, order_id).status == "cancelled"
