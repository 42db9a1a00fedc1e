"""The full-text indexes behind the header search (issue 14), one per database engine.

Every searched table has one document per row: its searched text columns, plus, for phone
columns (E.164), the digits and their useful suffixes as words (without the country code's
1–3 digits, the last 9, 8 and 4 digits), so "(11) 99876-5432", "11998765432" and
"+55 11 99876 5432" all find the row by a prefix of one of those words. Queries are words
matched by prefix ("joao ara" finds "João Araújo"), accent- and case-insensitive.

- **SQLite**: an FTS5 table per searched table, ``search_fts_<table>`` (tokenizer ``unicode61
  remove_diacritics 2`` folds case and accents, ``prefix='2 3'`` keeps prefix queries cheap),
  whose rowid is the source row's id; three triggers per searched table keep it current in the
  same transaction as the change. FTS5 tables and their shadow tables are not in the SQLAlchemy
  metadata: ``after_create`` builds them, ``include_name`` keeps Alembic's comparison off them,
  and ``restore_sqlite_triggers`` (run by ``migrations/env.py`` after every upgrade) puts back
  what a batch migration rebuilding a searched table dropped.
- **PostgreSQL**: an expression GIN index ``ix_search_<table>`` on the row's ``tsvector``
  (``simple`` configuration, folded by the IMMUTABLE ``portal_unaccent`` wrapper around the
  ``unaccent`` extension); the providers filter on the very same expression with ``@@`` and a
  prefix ``tsquery``, so the planner reads the index (tests/search/test_search_plans.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, event, func, literal_column
from sqlalchemy.engine import Connection

from portal.extensions import db
from portal.models.equipment import Asset
from portal.models.frontdesk import Call, Fax, StaffRequest, Visit
from portal.models.inbox import InboxMessage
from portal.models.people import Employee
from portal.models.recruiting import Candidate, Opening
from portal.models.supplies import Supplier, SupplyItem
from portal.models.users import User

# Accented letters of Portuguese, Spanish, French and German and what they fold to; both cases
# (PostgreSQL's lower() leaves non-ASCII letters alone under the C collation, SQLite's always).
ACCENTED = "áàâãäåÁÀÂÃÄÅéèêëÉÈÊËíìîïÍÌÎÏóòôõöÓÒÔÕÖúùûüÚÙÛÜçÇñÑýÿÝ"
PLAIN = "aaaaaaaaaaaaeeeeeeeeiiiiiiiioooooooooouuuuuuuuccnnyyy"
assert len(ACCENTED) == len(PLAIN)


def fold_sql(column: Any) -> Any:
    """``fold`` in SQL (PostgreSQL; SQLite with the portal's ``translate`` function)."""
    return func.lower(func.translate(func.coalesce(column, ""), ACCENTED, PLAIN))


# table -> (text columns, phone columns). ``user_account``: the name of an asset's holder.
SEARCHED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Call.__tablename__: (("caller_name", "company", "message"), ("phone",)),
    Fax.__tablename__: (("correspondent",), ("number",)),
    Visit.__tablename__: (("visitor_name", "company"), ()),
    StaffRequest.__tablename__: (("title", "description"), ()),
    SupplyItem.__tablename__: (("name", "sku"), ()),
    Supplier.__tablename__: (("name", "order_email"), ("phone",)),
    Candidate.__tablename__: (("name", "email"), ("phone",)),
    Opening.__tablename__: (("title", "location"), ()),
    InboxMessage.__tablename__: (("search_text",), ()),
    Employee.__tablename__: (("search_key",), ()),
    Asset.__tablename__: (("asset_tag", "serial", "make", "model", "room"), ()),
    User.__tablename__: (("name",), ()),
}

FTS_PREFIX = "search_fts_"
TOKENIZE = "unicode61 remove_diacritics 2"
_PHONE_CUTS = (2, 3, 4)  # substr(d, k): the number without a 1-3 digit country code
_PHONE_TAILS = (9, 8, 4)  # the last n digits: mobile/landline numbers, "ends in 4321"


def fts_name(table: str) -> str:
    return f"{FTS_PREFIX}{table}"


def index_name(table: str) -> str:
    return f"ix_search_{table}"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic ``include_name``: the FTS5 tables (and their shadow tables) are not models."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_PREFIX))


# --- PostgreSQL: one tsvector expression per table, indexed and filtered on ------------------


def pg_document(table: Any) -> Any:
    """The ``tsvector`` of a row of ``table`` (a Table): the expression of its GIN index."""
    text_columns, phones = SEARCHED[table.name]
    parts: list[Any] = [func.coalesce(table.c[c], literal_column("''")) for c in text_columns]
    for column in phones:
        digits = func.regexp_replace(
            func.coalesce(table.c[column], literal_column("''")),
            literal_column("'[^0-9]+'"),
            literal_column("''"),
            literal_column("'g'"),
        )
        parts.append(digits)
        parts += [func.substr(digits, literal_column(str(k))) for k in _PHONE_CUTS]
        parts += [func.right(digits, literal_column(str(n))) for n in _PHONE_TAILS]
    text = parts[0]
    for part in parts[1:]:
        text = text.op("||")(literal_column("' '")).op("||")(part)
    words = func.regexp_replace(
        func.lower(func.portal_unaccent(text)),
        literal_column("'[^[:alnum:]]+'"),
        literal_column("' '"),
        literal_column("'g'"),
    )
    return func.to_tsvector(literal_column("'simple'::regconfig"), words)


def pg_query(tsquery: Any) -> Any:
    """The ``tsquery`` of a search (its words already folded and quoted by the service)."""
    return func.to_tsquery(literal_column("'simple'::regconfig"), func.portal_unaccent(tsquery))


PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION portal_unaccent(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
)
# Where the server lacks the unaccent extension: the same function, folding what ``fold`` folds.
PG_FUNCTION_TRANSLATE = (
    "CREATE OR REPLACE FUNCTION portal_unaccent(text) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    f"AS $$ SELECT translate($1, '{ACCENTED}', '{PLAIN}') $$"
)


def pg_create_function(connection: Connection) -> None:
    """``portal_unaccent`` (IMMUTABLE, so indexable): on ``unaccent`` when the server has it."""
    available = connection.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'"
    ).first()
    if available:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        connection.exec_driver_sql(PG_FUNCTION)
    else:
        connection.exec_driver_sql(PG_FUNCTION_TRANSLATE)


# One GIN index per searched table, declared once (create_all builds them; migration 0022 and
# ``flask search reindex`` compile these same objects, so the DDL is the providers' expression).
PG_INDEXES: dict[str, Index] = {
    name: Index(index_name(name), pg_document(db.metadata.tables[name]), postgresql_using="gin")
    for name in SEARCHED
}
for _name, _index in PG_INDEXES.items():
    db.metadata.tables[_name].append_constraint(_index)  # an expression: say which table
    _index.ddl_if(dialect="postgresql")


# --- SQLite: FTS5 tables and their triggers --------------------------------------------------


def _sqlite_digits(column: str) -> str:
    expression = f"coalesce({column}, '')"
    for character in "+ -().":
        expression = f"replace({expression}, '{character}', '')"
    return expression


def sqlite_body(table: str, alias: str) -> str:
    """The SQL text indexed for a row of ``table`` called ``alias`` (``new``, ``old``, ``t``)."""
    text_columns, phones = SEARCHED[table]
    parts = [f"coalesce({alias}.{c}, '')" for c in text_columns]
    for column in phones:
        digits = _sqlite_digits(f"{alias}.{column}")
        parts.append(digits)
        parts += [f"substr({digits}, {k})" for k in _PHONE_CUTS]
        parts += [f"substr({digits}, -{n})" for n in _PHONE_TAILS]
    return " || ' ' || ".join(parts)


def sqlite_trigger_names(table: str) -> tuple[str, str, str]:
    name = fts_name(table)
    return (f"{name}_ai", f"{name}_au", f"{name}_ad")


def sqlite_create_fts(table: str) -> list[str]:
    """The FTS5 table of ``table`` and its vocabulary (the terms, for prefix expansion)."""
    fts = fts_name(table)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(body, "
        f"tokenize = '{TOKENIZE}', prefix = '2 3', columnsize = 0)",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts}_vocab USING fts5vocab({fts}, 'row')",
    ]


def sqlite_drop_fts(table: str) -> list[str]:
    fts = fts_name(table)
    return [f"DROP TABLE IF EXISTS {fts}_vocab", f"DROP TABLE IF EXISTS {fts}"]


def sqlite_triggers(table: str) -> list[str]:
    """CREATE TRIGGER statements keeping ``search_fts_<table>`` current."""
    text_columns, phones = SEARCHED[table]
    columns = (*text_columns, *phones)
    fts = fts_name(table)
    insert, update, delete = sqlite_trigger_names(table)
    add = (
        f"INSERT OR REPLACE INTO {fts} (rowid, body) VALUES (new.id, {sqlite_body(table, 'new')});"
    )
    remove = f"DELETE FROM {fts} WHERE rowid = old.id;"
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in (*columns, "id"))
    return [
        f"CREATE TRIGGER IF NOT EXISTS {insert} AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {update} AFTER UPDATE OF {', '.join((*columns, 'id'))} "
        f"ON {table} WHEN {changed} BEGIN {remove} {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {delete} AFTER DELETE ON {table} BEGIN {remove} END",
    ]


def sqlite_fill(table: str) -> list[str]:
    """Rebuild ``search_fts_<table>`` from every row of ``table`` (then merge its segments)."""
    fts = fts_name(table)
    return [
        *sqlite_drop_fts(table),
        *sqlite_create_fts(table),
        f"INSERT INTO {fts} (rowid, body) SELECT t.id, {sqlite_body(table, 't')} "
        f"FROM {table} AS t ORDER BY t.id",
        f"INSERT INTO {fts} ({fts}) VALUES ('optimize')",
    ]


def _sqlite_names(connection: Connection, kind: str) -> set[str]:
    rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
    return {row[0] for row in rows}


def sqlite_rebuild(connection: Connection, table: str) -> None:
    """Recreate ``table``'s FTS5 table from its rows and its triggers (``flask search reindex``)."""
    for statement in sqlite_fill(table):
        connection.exec_driver_sql(statement)
    for statement in sqlite_triggers(table):
        connection.exec_driver_sql(statement)


def restore_sqlite_triggers(connection: Connection) -> list[str]:
    """After migrations: every searched table with an FTS5 table but without all its triggers
    (a batch migration rebuilt it) gets them back and its index refilled. Returns those tables.
    Nothing to do before the FTS5 tables exist (revisions before 0022) or on PostgreSQL."""
    if connection.dialect.name != "sqlite":
        return []
    tables = _sqlite_names(connection, "table")
    triggers = _sqlite_names(connection, "trigger")
    restored = []
    for table in SEARCHED:
        fts = fts_name(table)
        if table not in tables or fts not in tables:
            continue
        if not set(sqlite_trigger_names(table)) <= triggers or f"{fts}_vocab" not in tables:
            sqlite_rebuild(connection, table)
            restored.append(table)
    return restored


@event.listens_for(db.metadata, "before_create")
def _before_create(target: Any, connection: Any, **kw: Any) -> None:
    if connection.dialect.name == "postgresql":
        pg_create_function(connection)


@event.listens_for(db.metadata, "after_create")
def _after_create(target: Any, connection: Any, **kw: Any) -> None:
    if connection.dialect.name != "sqlite":
        return
    for table in SEARCHED:
        for statement in (*sqlite_create_fts(table), *sqlite_triggers(table)):
            connection.exec_driver_sql(statement)


@event.listens_for(db.metadata, "before_drop")
def _before_drop(target: Any, connection: Any, **kw: Any) -> None:
    if connection.dialect.name != "sqlite":
        return
    for table in SEARCHED:
        for statement in sqlite_drop_fts(table):
            connection.exec_driver_sql(statement)
