"""Every kind's search reads its index: SQLite's ``search_gram`` primary key, PostgreSQL's
pg_trgm GIN indexes (``portal/models/search_indexes.py``); the triggers keep SQLite's current."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from portal.extensions import db
from portal.models.frontdesk import Call, Visit
from portal.models.search_indexes import SEARCHED, search_gram
from portal.services import search
from tests.search.test_search import world  # noqa: F401  (fixture: one "João" of every kind)

# The table each kind is found in (whose full scan the plan must not show).
TABLES = {
    "calls": "frontdesk_call",
    "messages": "frontdesk_call",
    "faxes": "frontdesk_fax",
    "visitors": "frontdesk_visit",
    "requests": "frontdesk_request",
    "supply_items": "supply_item",
    "suppliers": "supplier",
    "purchase_orders": "supplier",
    "inbox": "inbox_message",
    "candidates": "recruiting_candidate",
    "openings": "recruiting_opening",
}


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def _statements(user, typed):
    """(kind, SQL, parameters) of each provider's one query for ``typed``."""
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))

    query = search.parse_query(typed, limit=6)
    out = []
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for provider in search.ui.visible_search_providers(user):
            seen.clear()
            provider.search(query, user)
            assert len(seen) == 1, provider.kind
            out.append((provider.kind, *seen[0]))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return out


def _plan(sql, params, postgresql):
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not postgresql:
            rows = cursor.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            return " | ".join(row[3] for row in rows)
        # A test database is tiny: make a full scan the last resort, then the plan shows
        # whether the query CAN read the index (its expression is the index's, to the letter).
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        rows = cursor.execute("EXPLAIN " + sql, params).fetchall()
        return " | ".join(row[0] for row in rows)
    finally:
        raw.rollback()
        raw.close()


@pytest.mark.parametrize("typed", ["joao", "jo", "11 98765-4321"])
def test_every_kind_reads_its_index(app, make_user, world, typed):  # noqa: F811
    postgresql = db.engine.dialect.name == "postgresql"
    user = make_user(roles=["back_office", "hr_manager"])
    kinds = set()
    for kind, sql, params in _statements(user, typed):
        if kind not in TABLES:
            continue  # another area's provider (tested by that area)
        kinds.add(kind)
        table = TABLES[kind]
        plan = _plan(sql, params, postgresql)
        if postgresql:
            # "My messages" may start from the user's own (recipient) index instead: fewer rows.
            used = f"ix_search_{table}_" in plan or (
                kind == "messages" and "ix_frontdesk_call_recipient_status" in plan
            )
            assert used, (kind, plan)
            assert f"Seq Scan on {table}" not in plan, (kind, plan)
        else:
            assert "search_gram USING PRIMARY KEY" in plan, (kind, plan)
            assert f"SCAN {table} " not in plan + " " and not plan.endswith(f"SCAN {table}"), (
                kind,
                plan,
            )
    assert kinds == set(TABLES)


def test_the_trigram_table_follows_every_change(app, make_user):
    """SQLite: insert, update (only the searched columns) and delete keep search_gram exact."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL searches its GIN indexes; search_gram is SQLite's")
    desk = make_user(roles=["back_office"])
    call = Call(caller_name="Conceição", phone="+5511912345678", outcome="handled")
    db.session.add(call)
    db.session.commit()

    def grams():
        return set(
            db.session.scalars(
                select(search_gram.c.gram).where(
                    search_gram.c.kind == "frontdesk_call", search_gram.c.row_id == call.id
                )
            )
        )

    assert {"con", "cei", "cao", "912"} <= grams() and "ção" not in grams()
    assert [h.title for h in search.search("conceicao", desk)[0].hits] == ["Conceição"]
    call.caller_name = "Estêvão"
    db.session.commit()
    assert "cei" not in grams() and {"est", "vao"} <= grams()
    hits = {g.kind: g.hits for g in search.search("estevao", desk)}["calls"]
    assert [h.title for h in hits] == ["Estêvão"]
    assert not {g.kind: g.hits for g in search.search("conceicao", desk)}["calls"]
    db.session.delete(call)
    db.session.commit()
    assert grams() == set()
    # A raw connection without the portal's functions can still write the searched tables.
    visit = Visit(visitor_name="Zé")
    db.session.add(visit)
    db.session.commit()
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.execute("DELETE FROM frontdesk_visit")
        raw.commit()
    finally:
        raw.close()
    left = db.session.execute(
        text("SELECT count(*) FROM search_gram WHERE kind = 'frontdesk_visit'")
    ).scalar()
    assert left == 0


def test_every_searched_table_has_its_triggers_or_indexes(app):
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(
            text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        names = {name for _, name in rows}
        for table in SEARCHED:
            assert {f"search_gram_{table}_{s}" for s in ("ai", "au", "ad")} <= names
    else:
        rows = db.session.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'ix_search_%'")
        ).all()
        defs = dict(rows)
        for table, (folded, plain) in SEARCHED.items():
            for column in (*folded, *plain):
                assert "gin_trgm_ops" in defs[f"ix_search_{table}_{column}"]


def test_reindex_rebuilds_a_lost_index(app, make_user):
    """`flask search reindex`: a table whose triggers were lost (SQLite batch migrations
    rebuild tables) is indexed again, rows written meanwhile included."""
    desk = make_user(roles=["back_office"])
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER search_gram_frontdesk_visit_ai"))
    db.session.add(Visit(visitor_name="Joaquim Perdido"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "reindexed" in result.output, result.output
    hits = {g.kind: g.hits for g in search.search("joaquim", desk)}["visitors"]
    assert [h.title for h in hits] == ["Joaquim Perdido"]
    test_every_searched_table_has_its_triggers_or_indexes(app)
