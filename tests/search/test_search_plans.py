"""Every kind's search reads its full-text index: SQLite's FTS5 tables, PostgreSQL's GIN indexes
on the row's tsvector (``portal/models/search_indexes.py``); SQLite's triggers keep the FTS5
tables current, and nothing (a batch migration, a lost trigger) leaves them stale unnoticed."""

from __future__ import annotations

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask_migrate import upgrade
from sqlalchemy import event, text

from portal import create_app
from portal.extensions import db
from portal.models.frontdesk import Call, Visit
from portal.models.search_indexes import SEARCHED, fts_name, index_name, sqlite_trigger_names
from portal.services import search
from portal.services.search.indexed import fts5_query, ids_matching, match_param, pg_tsquery
from tests.core.test_migrations import fresh_database_url  # noqa: F401  (fixture)
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
    "assets": "equipment_asset",
    "colleagues": "people_employee",
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


@pytest.mark.parametrize("typed", ["joao", "jo", "11 98765-4321", "joao araujo"])
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
            # "My messages" may start from the user's own (recipient) index instead, and
            # colleagues from the directory's partial index of people not anonymised: on a
            # near-empty table both are fewer rows than the full-text index says.
            used = f"{index_name(table)} " in plan + " " or (
                kind == "messages" and "ix_frontdesk_call_recipient_status" in plan
            )
            used = used or (kind == "colleagues" and "ix_people_employee_status_" in plan)
            assert used, (kind, plan)
            assert f"Seq Scan on {table}" not in plan, (kind, plan)
        elif kind == "messages":
            # the user's own messages (their index), each checked against the full-text index
            assert "USING INDEX ix_frontdesk_call_recipient_status" in plan, (kind, plan)
            assert "SCAN f VIRTUAL TABLE INDEX" in plan, (kind, plan)
        else:
            assert f"SCAN {fts_name(table)} VIRTUAL TABLE INDEX" in plan, (kind, plan)
            assert f"SCAN {table} " not in plan + " ", (kind, plan)
            if kind not in ("purchase_orders", "assets"):  # read by IN (...), then sorted
                # FTS5 hands the rows over newest first: no sort, it stops at the LIMIT
                assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (kind, plan)
    assert kinds == set(TABLES)


def _found(model, typed):
    """Ids of ``model``'s rows the index finds for ``typed``."""
    query = search.parse_query(typed)
    match = fts5_query if db.engine.dialect.name == "sqlite" else pg_tsquery
    parameters = {match_param(model): match(query, model.__tablename__)}
    return set(db.session.scalars(ids_matching(model), parameters))


def test_the_index_follows_every_change(app, make_user):
    """Insert, update (only the searched columns) and delete keep the index exact."""
    desk = make_user(roles=["back_office"])
    call = Call(caller_name="Conceição", phone="+5511912345678", outcome="handled")
    db.session.add(call)
    db.session.commit()
    for typed in ("conceicao", "CONCEIÇÃO", "conc", "(11) 91234-5678", "912345678", "5678"):
        assert _found(Call, typed) == {call.id}, typed
    assert [h.title for h in search.search("conceicao", desk)[0].hits] == ["Conceição"]
    call.caller_name = "Estêvão"
    db.session.commit()
    assert _found(Call, "estevao") == {call.id} and _found(Call, "conceicao") == set()
    call.urgent = True  # not a searched column: the index is left alone
    db.session.commit()
    assert _found(Call, "estevao") == {call.id}
    db.session.delete(call)
    db.session.commit()
    assert _found(Call, "estevao") == set()
    # A raw connection without the portal's functions can still write the searched tables.
    visit = Visit(visitor_name="Zé Raimundo")
    db.session.add(visit)
    db.session.commit()
    assert _found(Visit, "raimundo") == {visit.id}
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute("DELETE FROM frontdesk_visit")
        raw.commit()
    finally:
        raw.close()
    assert _found(Visit, "raimundo") == set()


def test_words_are_prefixes_and_wildcards_are_literal(app):
    db.session.add_all(
        [Visit(visitor_name="Maria Gonçalves"), Visit(visitor_name="Marialva Souza")]
    )
    db.session.commit()
    assert len(_found(Visit, "maria")) == 2
    assert len(_found(Visit, "maria gon")) == 1
    assert len(_found(Visit, "MARIA   GONÇALVES")) == 1
    assert _found(Visit, "aria") == set()  # words are matched from their start
    assert _found(Visit, "mar%a") == set()
    assert _found(Visit, 'maria" OR "souza') == set()  # FTS5 syntax typed is only words


def _check_indexes(connection):
    if connection.dialect.name == "sqlite":
        names = {
            row[0]
            for row in connection.execute(
                text("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'table')")
            )
        }
        for table in SEARCHED:
            assert fts_name(table) in names, table
            assert set(sqlite_trigger_names(table)) <= names, table
    else:
        rows = connection.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'ix_search_%'")
        ).all()
        defs = dict(rows)
        for table in SEARCHED:
            assert "USING gin" in defs[index_name(table)], table
            assert "to_tsvector" in defs[index_name(table)], table
        assert not any("gin_trgm_ops" in d for d in defs.values())


def test_every_searched_table_has_its_triggers_or_indexes(app):
    _check_indexes(db.session.connection())


def test_reindex_rebuilds_a_lost_index(app, make_user):
    """`flask search reindex`: a table whose triggers were lost is indexed again, rows written
    meanwhile included."""
    desk = make_user(roles=["back_office"])
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text(f"DROP TRIGGER {sqlite_trigger_names('frontdesk_visit')[0]}"))
    db.session.add(Visit(visitor_name="Joaquim Perdido"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "reindexed" in result.output, result.output
    hits = {g.kind: g.hits for g in search.search("joaquim", desk)}["visitors"]
    assert [h.title for h in hits] == ["Joaquim Perdido"]
    test_every_searched_table_has_its_triggers_or_indexes(app)


@pytest.mark.slow
def test_upgrade_from_scratch_indexes_every_searched_table(base_config, fresh_database_url):  # noqa: F811
    """`flask db upgrade` from an empty database: every searched table has its index (SQLite:
    FTS5 table and triggers) and a new row is found; and after a batch migration rebuilt a
    searched table (which drops its triggers on SQLite) the next upgrade puts them back."""
    fresh = create_app({**base_config, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as connection:
            _check_indexes(connection)
        db.session.add(Visit(visitor_name="Gumercindo Recém-chegado"))
        db.session.commit()
        assert len(_found(Visit, "gumercindo")) == 1
        if db.engine.dialect.name == "sqlite":
            with db.engine.begin() as connection:
                operations = Operations(MigrationContext.configure(connection))
                with operations.batch_alter_table("frontdesk_visit", recreate="always") as batch:
                    batch.alter_column("company", existing_type=db.String(160))
                left = connection.execute(
                    text(
                        "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'frontdesk_visit' "
                        "AND type = 'trigger'"
                    )
                ).scalar()
            assert left == 0  # the defect: the rebuilt table lost its triggers
            db.session.add(Visit(visitor_name="Hermenegildo Esquecido"))
            db.session.commit()
            upgrade()  # at head already: the migration wrapper restores and refills
            with db.engine.connect() as connection:
                _check_indexes(connection)
            assert len(_found(Visit, "hermenegildo")) == 1
            db.session.add(Visit(visitor_name="Hermenegildo Segundo"))
            db.session.commit()
            assert len(_found(Visit, "hermenegildo")) == 2
        db.session.remove()
        db.engine.dispose()
