"""Fold text for matching: lower case, no accents ("João" -> "joao", "Açúcar" -> "acucar").

The same folding runs in Python (stored search columns, the query) and in SQL (``fold_sql``):
``translate`` exists in PostgreSQL, and SQLite gets the same function on every connection
(``install_sqlite_functions``), so one expression serves both databases.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.models.search_indexes import ACCENTED, PLAIN, fold_sql

_TABLE = str.maketrans(ACCENTED, PLAIN)


def fold(value: Any) -> str:
    """Lower-case ``value`` and strip its accents (what the SQL side does, plus the rest)."""
    text = str(value or "").translate(_TABLE).lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _translate(value: str | None, source: str, target: str) -> str | None:
    if value is None:
        return None
    return str(value).translate(str.maketrans(source, target[: len(source)]))


def install_sqlite_functions(engine: Engine) -> None:
    """Give every SQLite connection of ``engine`` the ``translate`` function PostgreSQL has."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_portal_translate", False):
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("translate", 3, _translate, deterministic=True)

    engine._portal_translate = True  # type: ignore[attr-defined]
    engine.dispose()  # connections opened before this point lack the function


__all__ = ["ACCENTED", "PLAIN", "fold", "fold_sql", "install_sqlite_functions"]
