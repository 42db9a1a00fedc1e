"""The header search: one query per visible kind, grouped, accent- and case-insensitive.

Areas register kinds with ``ui.Registry.search_provider(kind, label, permission, function)``;
a provider is ``function(query: Query, user) -> list[Hit]`` issuing ONE query that returns at
most ``query.limit`` hits from ``query.offset``, narrowed by the database's full-text index
(``portal.services.search.indexed.newest_matching`` / ``ids_matching``: SQLite FTS5,
PostgreSQL ``tsvector``; see ``portal/models/search_indexes.py``) and dropping rows ``user``
may not open. ``search`` asks each provider the user may see for one more hit than it shows, so
the number of queries is constant per kind, whatever the data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from portal import ui
from portal.errors import NotAllowed, NotFound, ValidationError
from portal.models.search_indexes import SEARCHED
from portal.services.search import indexed
from portal.services.search.text import fold, fold_sql, install_sqlite_functions

MAX_QUERY = 100
MAX_TERMS = 8  # words of a query sent to the index (the rest would only narrow further)
_TOKEN = re.compile(r"[^\W_]+")  # what the index calls a word (FTS5 unicode61, PostgreSQL)
MIN_CHARS = 2
PER_KIND = 5
PAGE_SIZE = 20


@dataclass(frozen=True)
class Query:
    text: str  # as typed, trimmed
    folded: str  # lower case, accents removed
    like: str  # "%folded%" with LIKE wildcards escaped (escape character: backslash)
    prefix: str  # "folded%" (prefix matching)
    digits: str  # the digits typed, for phone and order numbers ("" if none)
    terms: tuple[tuple[str, ...], ...] = ()  # the words typed, each split into index tokens
    expanded: Any = None  # SQLite: (table, prefix) -> the index terms it starts (indexed.expand)
    limit: int = PER_KIND
    offset: int = 0


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    detail: str = ""
    when: datetime | None = None


@dataclass
class Group:
    kind: str
    label: Any
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # there are hits past this page


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_query(raw: str | None, *, limit: int = PER_KIND, offset: int = 0) -> Query:
    """Clean what was typed; raise ValidationError with a clear message when it cannot search."""
    text = " ".join(str(raw or "").split())
    if len(text) > MAX_QUERY:
        raise ValidationError(_("Search for at most %(n)d characters.", n=MAX_QUERY), field="q")
    folded = fold(text)
    meaningful = re.sub(r"[^0-9a-z]", "", folded)
    if len(meaningful) < MIN_CHARS and not (meaningful.isdigit() and meaningful):
        raise ValidationError(
            _("Type at least %(n)d letters or digits to search.", n=MIN_CHARS), field="q"
        )
    escaped = _escape_like(folded)
    terms = tuple(tuple(tokens) for word in folded.split() if (tokens := _TOKEN.findall(word)))[
        :MAX_TERMS
    ]
    return Query(
        text=text,
        folded=folded,
        like=f"%{escaped}%",
        prefix=f"{escaped}%",
        digits=re.sub(r"\D", "", text),
        terms=terms,
        limit=limit,
        offset=offset,
    )


def search(raw: str | None, user: Any, *, kind: str = "", page: int = 1) -> list[Group]:
    """Hits per kind the user may see: a few of each, or one page of a single ``kind``."""
    providers = ui.visible_search_providers(user)
    if kind:
        if kind not in {p.kind for p in ui.current().search_providers}:
            raise NotFound(_("There is no such kind of result."))
        providers = [p for p in providers if p.kind == kind]
        if not providers:
            raise NotAllowed(_("You may not search these records."))
    per = PAGE_SIZE if kind else PER_KIND
    offset = (max(page, 1) - 1) * per if kind else 0
    query = parse_query(raw, limit=per + 1, offset=offset)
    query = replace(query, expanded=indexed.expand(query, SEARCHED))
    groups = []
    for provider in providers:
        hits = provider.search(query, user)
        groups.append(Group(provider.kind, provider.label, hits[:per], len(hits) > per))
    return groups


def install(engine: Any) -> None:
    """Give SQLite the ``translate`` function ``fold_sql`` uses (PostgreSQL has it)."""
    install_sqlite_functions(engine)


ProviderFunction = Callable[[Query, Any], list[Hit]]

__all__ = [
    "Group",
    "Hit",
    "ProviderFunction",
    "Query",
    "fold",
    "fold_sql",
    "install",
    "parse_query",
    "search",
]
