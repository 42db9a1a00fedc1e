"""Paginate any select with two queries (page + count), whatever the size of the table."""

from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from portal.extensions import db


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def paginate(stmt: Select, *, per_page: int | None = None) -> Pagination:
    """Return the requested page of ``stmt`` (``?page=N``)."""
    return db.paginate(
        stmt,
        page=page_arg(),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        error_out=False,
        max_per_page=200,
    )
