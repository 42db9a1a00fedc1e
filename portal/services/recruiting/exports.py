"""HR's lists as rows for an export (``portal.exports.export_response``): an opening's ranked
candidates and the employee records, each with the filters the list shows.

Header first (in the reader's language), then one row per record: labels not codes, datetimes
as datetimes, numbers as numbers.  Rows stream from one query (``yield_per``).  Both lists are
HR's (``hr.candidates.view`` / ``hr.employees.view``); the views declare it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import String, bindparam, select

from portal.extensions import db
from portal.models import Department
from portal.models.people import CONTRACT_TYPES, EMPLOYEE_STATUSES, Employee
from portal.models.recruiting import FINAL_STAGES, STAGES, Application, Candidate
from portal.services.people.common import fold
from portal.services.people.directory import MAX_WORDS, like_pattern
from portal.services.recruiting import scoring
from portal.services.recruiting.applications import STAGE_LABELS


def candidate_rows(
    opening_id: int,
    *,
    stage: str = "",
    min_score: int | None = None,
    missing: str = "",
    blind: bool = False,
) -> Iterator[list[Any]]:
    """The ranked list of an opening under the same filters as the page (see ``ranked_page``),
    best score first.  In blind review names become "Candidate #id" and contacts stay out."""
    stmt = (
        select(
            Application.id,
            Candidate.name,
            Candidate.email,
            Candidate.phone,
            Application.stage,
            Application.score,
            Application.years,
            Application.rank_summary,
            Application.duplicate_state,
            Application.created_at,
        )
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.opening_id == opening_id)
        .order_by(Application.score.desc(), Application.id.desc())
    )
    if stage == "active":
        stmt = stmt.where(Application.stage.notin_(sorted(FINAL_STAGES)))
    elif stage in STAGES:
        stmt = stmt.where(Application.stage == stage)
    if min_score:
        stmt = stmt.where(Application.score >= min_score)
    if missing == "none":
        stmt = stmt.where(Application.missing_must == "")
    elif missing:
        stmt = stmt.where(Application.missing_must.contains(f"|{scoring.fold(missing)}|"))
    yield [
        _("Rank"),
        _("Candidate"),
        _("E-mail"),
        _("Phone"),
        _("Stage"),
        _("Score"),
        _("Years of experience"),
        _("Missing must-haves"),
        _("Applied"),
        _("Possible duplicate"),
    ]
    stages = {key: str(label) for key, label in STAGE_LABELS.items()}
    blind_name = _("Candidate #%(id)d", id=0).replace("0", "\x00")
    result = db.session.execute(stmt.execution_options(yield_per=500))
    for rank, row in enumerate(result, start=1):
        yield [
            rank,
            blind_name.replace("\x00", str(row.id)) if blind else row.name,
            "" if blind else (row.email or ""),
            "" if blind else (row.phone or ""),
            stages.get(row.stage, row.stage),
            row.score,
            round(row.years or 0, 1),
            ", ".join((row.rank_summary or {}).get("missing", [])),
            row.created_at,
            _("Yes") if row.duplicate_state == "possible" else "",
        ]


def employee_rows(*, q: str = "", status: str = "") -> Iterator[list[Any]]:
    """HR's employee list under the page's filters (search words, status), by name."""
    words = fold(q).split()[:MAX_WORDS]
    stmt = (
        select(
            Employee.name,
            Employee.preferred_name,
            Employee.position,
            Department.name.label("department"),
            Employee.contract_type,
            Employee.start_date,
            Employee.status,
            Employee.email,
            Employee.phone,
        )
        .outerjoin(Department, Department.id == Employee.department_id)
        .where(Employee.anonymised_at.is_(None))
        .order_by(Employee.name, Employee.id)
    )
    for n, word in enumerate(words):
        stmt = stmt.where(
            Employee.search_key.like(
                bindparam(f"word{n}", like_pattern(word), type_=String), escape="\\"
            )
        )
    if status in EMPLOYEE_STATUSES:
        stmt = stmt.where(Employee.status == status)
    yield [
        _("Name"),
        _("Preferred name"),
        _("Position"),
        _("Department"),
        _("Contract"),
        _("Start date"),
        pgettext("employee", "Status"),
        _("E-mail"),
        _("Phone"),
    ]
    statuses = {key: str(label) for key, label in EMPLOYEE_STATUSES.items()}
    contracts = {key: str(label) for key, label in CONTRACT_TYPES.items()}
    for row in db.session.execute(stmt.execution_options(yield_per=500)):
        yield [
            row.name,
            row.preferred_name or "",
            row.position or "",
            row.department or "",
            contracts.get(row.contract_type, row.contract_type),
            row.start_date,
            statuses.get(row.status, row.status),
            row.email or "",
            row.phone or "",
        ]
