"""How a provider asks the database's full-text index (``portal/models/search_indexes.py``).

Each word typed is a phrase of index tokens whose last token is matched by prefix ("joao ara"
finds "João Araújo", "jo%o" only "jo o…" in a row); the words are ANDed. With 4+ digits typed, a
table with phone columns is also searched for a phone word starting with those digits.

- SQLite: ``search_fts_<table> MATCH '"joao"* AND "ara"*'``, joined to the row by rowid and
  read newest first (``ORDER BY rowid DESC`` is FTS5's own order: no sort, it stops at LIMIT).
- PostgreSQL: the row's ``tsvector`` expression ``@@ to_tsquery('joao:* & ara:*')``, read from
  its GIN index, newest first by id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Integer, String, bindparam, column, exists, select, table
from sqlalchemy import text as sql

from portal.extensions import db
from portal.models.search_indexes import (
    PG_INDEXES,
    SEARCHED,
    fts_name,
    index_name,
    pg_create_function,
    pg_document,
    pg_query,
    restore_sqlite_triggers,
    sqlite_rebuild,
)

MIN_DIGITS = 4  # digits typed before phone words are searched


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _phrase(tokens: tuple[str, ...], quote: str, join: str, prefix: str) -> str:
    words = [f"{quote}{t}{quote}" for t in tokens]
    if len(tokens[-1]) >= 2:  # one character: exact (a 1-character prefix is most of the index)
        words[-1] += prefix
    return join.join(words)


def _sqlite_word(tokens: tuple[str, ...], table_name: str, expanded: dict) -> str:
    """One word typed, for FTS5. A prefix longer than the prefix index's 3 characters would
    make FTS5 merge the whole posting list of every matching term before reading a row; so a
    one-token word is replaced by the terms it starts (``expand``), ORed: each read newest
    first, stopping at the LIMIT. Unexpanded (or more than MAX_EXPANSION terms): a prefix."""
    terms = expanded.get((table_name, tokens[0])) if len(tokens) == 1 else None
    if terms is not None:
        return "(" + " OR ".join(f'"{t}"' for t in terms) + ")" if terms else f'"{tokens[0]}"'
    return _phrase(tokens, '"', " + ", "*")


def fts5_query(query: Any, table_name: str) -> str:
    """The FTS5 MATCH expression for ``query`` against ``table_name``'s index."""
    expanded = getattr(query, "expanded", None) or {}
    text = " AND ".join(_sqlite_word(t, table_name, expanded) for t in query.terms)
    if SEARCHED[table_name][1] and len(query.digits) >= MIN_DIGITS:
        text = f"({text}) OR {_sqlite_word((query.digits,), table_name, expanded)}"
    return text


MAX_EXPANSION = 40  # terms a typed prefix may stand for (more: FTS5's own prefix query)
PREFIX_INDEX = 3  # the longest prefix FTS5 keeps an index of (prefix='2 3')


def expand(query: Any, tables: Any) -> dict[tuple[str, str], tuple[str, ...] | None]:
    """SQLite: the index terms each long one-token word of ``query`` starts, per table, read
    from the FTS5 vocabularies in ONE query (a range of each one's term B-tree). The search
    runs it once, before the providers; PostgreSQL needs none (its GIN prefix scans)."""
    if _dialect() != "sqlite":
        return {}
    words = {t[0] for t in query.terms if len(t) == 1 and len(t[0]) > PREFIX_INDEX}
    if len(query.digits) > PREFIX_INDEX:
        words.add(query.digits)
    selects, parameters = [], {}
    for n, (table_name, word) in enumerate(
        (t, w) for t in tables for w in sorted(words) if t in SEARCHED
    ):
        vocab = fts_name(table_name) + "_vocab"
        selects.append(
            f"SELECT * FROM (SELECT '{table_name}', :w{n}, term FROM {vocab} "
            f"WHERE term >= :w{n} AND term < :w{n} || x'f48fbfbf' LIMIT {MAX_EXPANSION + 1})"
        )
        parameters[f"w{n}"] = word
    found: dict[tuple[str, str], list[str]] = {}
    for key in {(t, w) for t in tables for w in words if t in SEARCHED}:
        found[key] = []
    if selects:
        for table_name, word, term in db.session.execute(
            sql(" UNION ALL ".join(selects)), parameters
        ):
            found[(table_name, word)].append(term)
    return {
        key: (tuple(terms) if len(terms) <= MAX_EXPANSION else None) for key, terms in found.items()
    }


def pg_tsquery(query: Any, table_name: str) -> str:
    """The same for PostgreSQL's ``to_tsquery``."""
    text = " & ".join("(" + _phrase(t, "'", " <-> ", ":*") + ")" for t in query.terms)
    if SEARCHED[table_name][1] and len(query.digits) >= MIN_DIGITS:
        text = f"({text}) | '{query.digits}':*"
    return text


def _fts(table_name: str) -> Any:
    return table(fts_name(table_name), column("rowid"), column("body"))


def match_param(model: Any) -> str:
    """The name of the bound parameter holding the match expression for ``model``'s index."""
    return f"search_{model.__table__.name}"


def _matches(model: Any) -> tuple[Any, Any]:
    """(FROM-side index or None, condition) for ``model`` on the session's database."""
    name = model.__table__.name
    param = bindparam(match_param(model), type_=String)
    if _dialect() == "sqlite":
        fts = _fts(name)
        return fts, fts.c.body.op("MATCH")(param)
    return None, pg_document(model.__table__).op("@@")(pg_query(param))


def newest_matching(stmt: Any, model: Any) -> Any:
    """``stmt`` (selecting from ``model``) narrowed to the rows matching the search, newest
    first: the caller adds its own conditions (permissions) and ``window``."""
    fts, condition = _matches(model)
    if fts is not None:
        return stmt.join(fts, fts.c.rowid == model.id).where(condition).order_by(fts.c.rowid.desc())
    return stmt.where(condition).order_by(model.id.desc())


def ids_matching(model: Any) -> Any:
    """SELECT the ids of ``model``'s rows matching the search (for ``IN``)."""
    fts, condition = _matches(model)
    if fts is not None:
        return select(fts.c.rowid).where(condition)
    return select(model.id).where(condition)


def row_matches(model: Any) -> Any:
    """A condition on one row of ``model``: for a statement that starts from another index (a
    few rows) and checks each against the full-text index (SQLite: FTS5 seeks the rowid)."""
    fts, condition = _matches(model)
    if fts is not None:
        return exists(select(fts.c.rowid).where(fts.c.rowid == model.id, condition))
    return condition


def window(stmt: Any) -> Any:
    """LIMIT/OFFSET as bound parameters (``query.limit``, ``query.offset``)."""
    return stmt.limit(bindparam("search_limit", type_=Integer)).offset(
        bindparam("search_offset", type_=Integer)
    )


_PREPARED: dict[tuple[str, str], Any] = {}


def execute(key: str, build: Callable[[], Any], query: Any, *models: Any, **extra: Any) -> Any:
    """Run the statement ``build()`` makes, built once per ``key`` and database and then only
    given new parameters: the match expression of each of ``models``, the window and
    ``extra`` (the user's id…). Building and hashing a statement costs more than running it
    against the index; the statement never changes, only its parameters."""
    dialect = _dialect()
    stmt = _PREPARED.get((key, dialect))
    if stmt is None:
        stmt = _PREPARED[(key, dialect)] = build()
    match = fts5_query if dialect == "sqlite" else pg_tsquery
    parameters = {match_param(m): match(query, m.__table__.name) for m in models}
    parameters.update(search_limit=query.limit, search_offset=query.offset, **extra)
    return db.session.execute(stmt, parameters)


def rebuild() -> int:
    """Rebuild the search indexes (``flask search reindex``): on SQLite recreate each FTS5
    table from its rows, and its triggers; on PostgreSQL create a missing GIN index or REINDEX
    it. Returns the number of indexed tables."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        for name in SEARCHED:
            sqlite_rebuild(connection, name)
        restore_sqlite_triggers(connection)
    elif connection.dialect.name == "postgresql":
        pg_create_function(connection)
        for name in SEARCHED:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_indexes WHERE indexname = %(name)s",
                {"name": index_name(name)},
            ).first()
            if exists:
                connection.exec_driver_sql(f"REINDEX INDEX {index_name(name)}")
            else:
                PG_INDEXES[name].create(connection)
    return len(SEARCHED)
