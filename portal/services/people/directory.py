"""The colleague directory: what everyone may see of everyone, and nothing HR-private.

Read as plain rows of the directory's own columns (name, department, position, work e-mail,
extension): the personal e-mail and phone, CPF, birth date, address, salary and contract never
leave the database on this path, so no template can show them by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app, url_for
from sqlalchemy import Integer, Select, String, bindparam, func, select

from portal.extensions import db
from portal.models import Department, User
from portal.models.people import LEFT, Employee
from portal.pagination import page_arg, paged, row_page
from portal.services.people.common import fold
from portal.services.search import Hit, Query
from portal.services.search.indexed import execute, newest_matching, window


@dataclass(frozen=True)
class Colleague:
    id: int
    name: str
    position: str
    department: str | None
    email: str | None  # the work e-mail (the portal account's), never the personal one
    extension: str | None
    phone: str | None  # the account's work phone

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p[:1].isalpha()]
        return "".join(p[0] for p in (parts[:1] + parts[-1:] if len(parts) > 1 else parts)).upper()


def _where(q: str, department_id: int | None) -> list[Any]:
    conditions: list[Any] = [Employee.anonymised_at.is_(None), Employee.status != LEFT]
    for word in fold(q).split()[:MAX_WORDS]:
        conditions.append(Employee.search_key.contains(word, autoescape=True))
    if department_id:
        conditions.append(Employee.department_id == department_id)
    return conditions


MAX_WORDS = 6  # words of the search box that filter (more add nothing but work)


def like_pattern(word: str) -> str:
    """``%word%`` with LIKE's wildcards escaped by a backslash."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@lru_cache(maxsize=2 * (MAX_WORDS + 1))
def _statements(words: int, by_department: bool) -> tuple[Select, Select]:
    """The page and count statements for ``words`` search words (and a department or not),
    built once with bound parameters so each request only binds values."""
    conditions: list[Any] = [
        Employee.anonymised_at.is_(None),
        Employee.status != LEFT,
        *(
            Employee.search_key.like(bindparam(f"word{n}", type_=String), escape="\\")
            for n in range(words)
        ),
    ]
    if by_department:
        conditions.append(Employee.department_id == bindparam("department_id", type_=Integer))
    rows = paged(
        select(
            Employee.id,
            func.coalesce(Employee.preferred_name, Employee.name).label("name"),
            Employee.position,
            Department.name.label("department"),
            User.email,
            User.extension,
            User.phone,
        )
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(User, User.id == Employee.user_id)
        .where(*conditions)
        .order_by(Employee.name, Employee.id)
    )
    return rows, select(func.count(Employee.id)).where(*conditions)


def search(q: str = "", department_id: int | None = None, *, per_page: int | None = None):
    """A page of colleagues matching ``q`` (accent- and case-insensitive), by name: two
    queries (rows, count) whatever the number of people."""
    words = fold(q).split()[:MAX_WORDS]
    stmt, count = _statements(len(words), bool(department_id))
    params: dict[str, Any] = {f"word{n}": like_pattern(w) for n, w in enumerate(words)}
    if department_id:
        params["department_id"] = department_id
    return row_page(
        stmt,
        count,
        lambda rows: [Colleague(*row) for row in rows],
        page=page_arg(),
        per_page=per_page or current_app.config["PAGE_SIZE"],
        params=params,
    )


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def colleagues_hits(query: Query, user: Any) -> list[Hit]:
    """The header search's colleagues: directory fields only (name, position, department).

    One query over the full-text index of the folded ``search_key``, newest first; HR
    (``hr.employees.view``) is taken to the record, everyone else to the directory filtered on
    the name.
    """
    stmt = lambda: window(  # noqa: E731  (built once: indexed.execute)
        newest_matching(
            select(
                Employee.id,
                func.coalesce(Employee.preferred_name, Employee.name).label("name"),
                Employee.position,
                Department.name.label("department"),
            ),
            Employee,
        )
        .outerjoin(Department, Department.id == Employee.department_id)
        .where(*_where("", None))
    )
    hr = bool(user.can("hr.employees.view"))
    return [
        Hit(
            row.name,
            url_for("people.employee", employee_id=row.id)
            if hr
            else url_for("people.index", q=row.name),
            " · ".join(x for x in (row.position, row.department) if x),
        )
        for row in execute("colleagues", stmt, query, Employee)
    ]
