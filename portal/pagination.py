"""Paginate lists with two queries (page + count), whatever the size of the table.

Two ways: :func:`paginate` for a select of ORM entities (short lists, detail-rich rows), and
:func:`row_page` for the long lists that render plain rows from statements built once
(:func:`paged` puts LIMIT/OFFSET in bound parameters so one statement, and its cache key, serve
every page). :class:`ReadPage` wraps items and a total a service has already read.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import Any

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Integer, Select, bindparam

from portal.extensions import db
from portal.routing import MAX_PAGE


def page_arg() -> int:
    """``?page=N``: 1 when absent or not a plain number, at most ``MAX_PAGE`` (and a page past
    the end of a list shows its last page, see :class:`LastPageInstead`)."""
    raw = str(request.args.get("page", "")).strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return max(1, MAX_PAGE if len(raw) > len(str(MAX_PAGE)) else min(int(raw), MAX_PAGE))


def last_page(total: int, per_page: int) -> int:
    """The number of the last page of ``total`` rows (1 for none)."""
    return max(1, ceil(total / per_page))


class LastPageInstead(Pagination):
    """A page past the end of the list shows the last page instead of an empty list.

    A bookmarked ``?page=9`` of a list that has shrunk, or the queue reloaded after approving
    the last rows of its last page, then still shows rows and the way back; one more query,
    only on that path.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.items and self.page > 1 and self.total:
            self.page = last_page(self.total, self.per_page)
            self.items = self._query_items()


class SelectPage(LastPageInstead, SelectPagination):
    """A page of ORM entities (what ``db.paginate`` gives, past-the-end included)."""


def paginate(stmt: Select, *, per_page: int | None = None) -> Pagination:
    """Return the requested page of ``stmt`` (``?page=N``)."""
    return SelectPage(
        select=stmt,
        session=db.session(),
        page=page_arg(),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        error_out=False,
        max_per_page=200,
    )


def read_rows(stmt: Any, params: dict[str, Any] | None = None) -> Any:
    """Rows of a Core statement from the session's connection (same transaction), without the
    ORM's execution layer: list pages take plain rows and never entities.  Flushes first, as
    ``session.execute`` would (nothing to do on a GET)."""
    db.session.flush()
    return db.session.connection().execute(stmt, params or {})


def paged(stmt: Select) -> Select:
    """``stmt`` with LIMIT/OFFSET as bound parameters (``page_limit``/``page_offset``), so a
    statement built once (and its cache key, computed once) serves every page."""
    return stmt.limit(bindparam("page_limit", type_=Integer)).offset(
        bindparam("page_offset", type_=Integer)
    )


class RowPage(LastPageInstead):
    """A page of plain rows (read models, not ORM entities) with its own cheap count.

    Long lists render from tuples: hydrating ORM objects with their eager-loaded relations
    costs more than the queries themselves.  ``select`` is the row statement (ordered, made with
    :func:`paged`), ``count_stmt`` the statement counting all rows, ``build`` turns a list of
    rows into the items.
    """

    def _page_params(self) -> dict[str, Any]:
        return {
            **self._query_args["params"],
            "page_limit": self.per_page,
            "page_offset": self._query_offset,
        }

    def _query_items(self) -> list[Any]:
        rows = read_rows(self._query_args["select"], self._page_params()).all()
        return self._query_args["build"](rows)

    def _query_count(self) -> int:
        count = read_rows(self._query_args["count_stmt"], self._query_args["params"]).scalar()
        return int(count or 0)


class WindowedPage(RowPage):
    """A page whose rows carry the total (``COUNT(*) OVER () AS total_rows``): one query instead of
    two when the matching rows are few or must all be computed anyway (the suggestions)."""

    def _query_items(self) -> list[Any]:
        rows = read_rows(self._query_args["select"], self._page_params()).all()
        self._total = int(rows[0].total_rows) if rows else None
        return self._query_args["build"](rows)

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        if self.page == 1:
            return 0
        return super()._query_count()  # past the last page: count without the rows


def row_page(
    stmt: Select,
    count: Select,
    build: Callable[[list[Any]], list[Any]] = list,
    *,
    page: int,
    per_page: int,
    params: dict[str, Any] | None = None,
    windowed: bool = False,
) -> RowPage:
    """``stmt`` (made with :func:`paged`) and ``count`` are built once and cached: values go
    in ``params``; ``windowed``: the rows carry the total (see :class:`WindowedPage`)."""
    return (WindowedPage if windowed else RowPage)(
        page=page,
        per_page=per_page,
        max_per_page=200,
        error_out=False,
        select=stmt,
        count_stmt=count,
        build=build,
        params=params or {},
    )


class ReadPage(Pagination):
    """A page whose items and total a service has already read (e.g. with its header)."""

    def __init__(self, *, page: int, per_page: int, items: list[Any], total: int) -> None:
        self._items, self._total = items, total
        super().__init__(page=page, per_page=per_page, max_per_page=None, error_out=False)

    def _query_items(self) -> list[Any]:
        return self._items

    def _query_count(self) -> int:
        return self._total
