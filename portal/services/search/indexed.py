"""The WHERE clause of a provider, written so the database's search index answers it.

PostgreSQL: ``fold_sql(column) LIKE '%…%'`` is exactly the expression of each ``pg_trgm`` GIN
index (``portal/models/search_indexes.py``), so the clause is returned as it is. SQLite: the
rows are first narrowed to the candidates ``search_gram`` gives (the rows holding a few of the
query's trigrams, read from its primary key), and the same clause checks those rows only.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import and_, func, intersect, or_, select

from portal.extensions import db
from portal.models.search_indexes import search_gram
from portal.services.search.text import fold_sql

MAX_GRAMS = 6  # trigrams intersected per query (the check on the rows does the rest)
_TOP = "\U0010ffff"  # sorts after every character: the end of a prefix range


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def candidate_rows(table: str, text: str) -> Any:
    """SELECT row_id of ``table``'s rows whose folded text may contain ``text``."""
    g = search_gram.c
    if len(text) < 3:  # the trigrams that start with it (the text is padded: none is missed)
        return select(g.row_id).where(g.kind == table, g.gram >= text, g.gram < text + _TOP)
    grams = list(dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2)))
    step = math.ceil(len(grams) / MAX_GRAMS)
    picked = grams[::step]
    if grams[-1] not in picked:
        picked[-1] = grams[-1]
    selects = [select(g.row_id).where(g.kind == table, g.gram == gram) for gram in picked]
    return selects[0] if len(selects) == 1 else intersect(*selects)


def matching(
    query: Any,
    model: Any,
    *,
    folded: tuple[Any, ...] = (),
    plain: tuple[Any, ...] = (),
    phones: tuple[Any, ...] = (),
) -> Any:
    """Rows of ``model`` where a ``folded`` column (folded in SQL) or a ``plain`` one (stored
    folded) contains the query, or a phone column (E.164) contains its 4+ digits."""
    checks = [fold_sql(c).like(query.like, escape="\\") for c in folded]
    checks += [func.coalesce(c, "").like(query.like, escape="\\") for c in plain]
    keys = [query.folded]
    if phones and len(query.digits) >= 4:
        checks += [func.coalesce(c, "").like(f"%{query.digits}%") for c in phones]
        keys.append(query.digits)
    condition = or_(*checks)
    if _dialect() != "sqlite":
        return condition
    table = model.__table__.name
    candidates = or_(*(model.id.in_(candidate_rows(table, key)) for key in dict.fromkeys(keys)))
    return and_(candidates, condition)


def rebuild() -> int:
    """Rebuild the search indexes (``flask search reindex``): on SQLite recreate missing
    triggers (a table rebuilt by a batch migration loses them) and refill ``search_gram``; on
    PostgreSQL REINDEX the GIN indexes. Returns the number of indexed tables."""
    from portal.models.search_indexes import SEARCHED, index_name, sqlite_ddl, sqlite_fill

    connection = db.session.connection()
    for table, (folded, plain) in SEARCHED.items():
        if connection.dialect.name == "sqlite":
            for statement in sqlite_ddl(table):
                connection.exec_driver_sql(statement)
            connection.execute(search_gram.delete().where(search_gram.c.kind == table))
            connection.exec_driver_sql(sqlite_fill(table))
        elif connection.dialect.name == "postgresql":
            for column in (*folded, *plain):
                connection.exec_driver_sql(f"REINDEX INDEX {index_name(table, column)}")
    return len(SEARCHED)
