"""Lists issue a constant number of queries, whatever the number of rows."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.supplies import PurchaseOrder, PurchaseOrderLine, SupplyItem


@contextmanager
def count_queries():
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _grow(catalogue, requester, n: int) -> None:
    """Bring the data to ``n`` low items and ``n`` pending orders (bulk, fast)."""
    have = db.session.query(SupplyItem).count()
    for i in range(have, n):
        sup = catalogue["kalunga"] if i % 2 else catalogue["cafe"]
        cat = catalogue["paper"] if i % 2 else catalogue["coffee"].category
        db.session.add(
            SupplyItem(
                sku=f"GEN-{i}",
                name=f"Item {i:03d}",
                category_id=cat.id,
                supplier_id=sup.id,
                unit_cost=Decimal("2.50"),
                pack_size=5,
                reorder_point=5,
                par_level=12,
                on_hand=1,
            )
        )
    db.session.flush()
    items = db.session.query(SupplyItem).order_by(SupplyItem.id).all()
    pending = db.session.query(PurchaseOrder).count()
    for i in range(pending, n):
        order = PurchaseOrder(
            supplier_id=items[i].supplier_id,
            requester_id=requester.id,
            category_id=items[i].category_id,
            status="pending_approval",
            submitted_at=utcnow(),
            total=Decimal("10.00"),
        )
        order.lines = [
            PurchaseOrderLine(item_id=items[i].id, quantity=1, unit_cost=Decimal("5")),
            PurchaseOrderLine(item_id=items[(i + 1) % n].id, quantity=1, unit_cost=Decimal("5")),
        ]
        db.session.add(order)
    db.session.commit()


URLS = (
    "/supplies/approvals",
    "/supplies/items",
    "/supplies/suggestions",
    "/supplies/orders",
    "/supplies/orders?status=pending_approval",
)


def test_constant_queries_on_queue_items_and_suggestions(
    app, client, login_as, manager, back_office, catalogue
):
    login_as(manager)
    counts = {}
    for n in (5, 50):
        _grow(catalogue, back_office, n)
        for url in URLS:
            with count_queries() as seen:
                resp = client.get(url)
            assert resp.status_code == 200
            counts[(url, n)] = len(seen)
        # Real rows are on the page.
        assert client.get("/supplies/approvals").get_data(as_text=True).count(
            'class="queue-row"'
        ) == min(n, 25)
    for url in URLS:
        assert counts[(url, 5)] == counts[(url, 50)], (url, counts)


def test_suggestions_read_a_range_and_the_item_list_its_own_index(app, catalogue):
    """SQLite's plans (no statistics): the suggestions read a range of ix_supply_item_margin
    instead of every item, and the item list walks its (active, name) index without sorting."""
    from portal.services import supplies

    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans from statistics; a test database is too small to pin them
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with app.test_request_context():
            supplies.suggestion_page(page=1, per_page=50)
            supplies.item_page(status="active", page=1, per_page=50)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    raw = db.engine.raw_connection()
    try:
        plans = [
            " | ".join(row[3] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + sql, params))
            for sql, params in seen
            if sql.startswith("SELECT supply_item.id")
        ]
    finally:
        raw.close()
    suggestions, items = plans[0], plans[1]
    assert "USING INDEX ix_supply_item_margin (<expr><?)" in suggestions, suggestions
    assert "SCAN supply_item" not in suggestions, suggestions
    assert "ix_supply_item_active_name" in items and "TEMP B-TREE" not in items, items
