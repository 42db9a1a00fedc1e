"""LGPD data-subject requests: find every record of a person, then export or anonymise them.

HR types an e-mail, a CPF, a phone number or a name; ``find`` looks in every kind of record that
holds people's data — candidates (with their applications and CV files), employees, calls (the
caller) and visits (the visitor) — with one query per kind.  HR ticks the records that really are
the person's and answers with ``export`` (one ZIP: a JSON file per kind and the documents and CV
files; employees in the format of ``lgpd.collect``) or ``anonymise`` (the existing anonymisers;
irreversible).  Each answer is logged as a ``DataRequest`` and in the audit log: who asked, how
the person was searched (masked: the log must not keep what the anonymisation erased), which
records, and what was answered.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import Call, Visit
from portal.models.people import LEFT, DataRequest, Employee, EmployeeDocument
from portal.models.recruiting import Application, ApplicationEvent, Candidate, CVFile
from portal.models.search_indexes import fold_sql
from portal.services import audit
from portal.services.people import lgpd
from portal.services.people import retention as people_retention
from portal.services.people.records import document_path
from portal.services.recruiting import files
from portal.services.search import parse_query

KINDS = ("candidates", "employees", "calls", "visits")
LABELS = {
    "candidates": _l("Candidates"),
    "employees": _l("Employees"),
    "calls": _l("Calls"),
    "visits": _l("Visits"),
}
LIMIT = 200  # rows per kind: a person has a handful; more means the term is too vague
MIN_DIGITS = 8  # a phone number without area code, or a CPF
_NUMBER = re.compile(r"[\d\s().+\-/]+")


@dataclass(frozen=True)
class Term:
    """What HR typed, classified: ``email``, ``number`` (phone or CPF) or ``name``."""

    by: str
    text: str
    folded: str
    like: str
    digits: str

    @property
    def masked(self) -> str:
        """For the log: enough to recognise the request, not enough to identify the person."""
        if self.by == "email":
            local, _at, domain = self.text.partition("@")
            return f"{local[:1]}***@{domain[:1]}***"
        if self.by == "number":
            return f"***{self.digits[-2:]}"
        return " ".join(f"{word[:1]}***" for word in self.text.split())


@dataclass
class Found:
    kind: str
    label: Any
    rows: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False

    @property
    def ids(self) -> set[int]:
        return {row["id"] for row in self.rows}


def parse_term(raw: str | None) -> Term:
    query = parse_query(raw)
    text = query.text
    if "@" in text:
        by = "email"
    elif _NUMBER.fullmatch(text) and len(query.digits) >= MIN_DIGITS:
        by = "number"
    elif _NUMBER.fullmatch(text):
        raise ValidationError(
            _("Type the whole phone number or CPF (at least %(n)d digits).", n=MIN_DIGITS),
            field="q",
        )
    else:
        by = "name"
    return Term(by=by, text=text, folded=query.folded, like=query.like, digits=query.digits)


def _phone_matches(column: Any, term: Term) -> Any:
    # Phones are stored in E.164 ("+5511987650001"): match the number's end, so "11 98765-0001",
    # "(11) 98765 0001" and "+55 11 98765-0001" all find it.
    return column.like(f"%{term.digits[-9:]}")


def _candidates(term: Term) -> Any:
    applications = (
        select(func.count(Application.id))
        .where(Application.candidate_id == Candidate.id)
        .scalar_subquery()
    )
    cvs = (
        select(func.count(CVFile.id))
        .join(Application, CVFile.application_id == Application.id)
        .where(Application.candidate_id == Candidate.id)
        .scalar_subquery()
    )
    if term.by == "email":
        match = func.lower(Candidate.email) == term.folded
    elif term.by == "number":
        match = _phone_matches(Candidate.phone, term)
    else:
        match = fold_sql(Candidate.name).like(term.like, escape="\\")
    return select(
        Candidate.id,
        Candidate.name,
        Candidate.email,
        Candidate.phone,
        Candidate.created_at,
        applications.label("applications"),
        cvs.label("cv_files"),
    ).where(match, Candidate.anonymised_at.is_(None))


def _employees(term: Term) -> Any:
    documents = (
        select(func.count(EmployeeDocument.id))
        .where(EmployeeDocument.employee_id == Employee.id)
        .scalar_subquery()
    )
    if term.by == "email":
        match = or_(
            func.lower(Employee.email) == term.folded,
            Employee.user_id.in_(select(User.id).where(func.lower(User.email) == term.folded)),
        )
    elif term.by == "number":
        match = _phone_matches(Employee.phone, term)
        if len(term.digits) == 11:
            match = or_(match, Employee.cpf == term.digits)
    else:
        match = or_(
            fold_sql(Employee.name).like(term.like, escape="\\"),
            fold_sql(Employee.preferred_name).like(term.like, escape="\\"),
        )
    return select(
        Employee.id,
        Employee.name,
        Employee.email,
        Employee.phone,
        Employee.position,
        Employee.status,
        Employee.start_date,
        documents.label("documents"),
    ).where(match, Employee.anonymised_at.is_(None))


def _calls(term: Term) -> Any:
    if term.by == "email":
        return None  # the call log holds no e-mail addresses
    if term.by == "number":
        match = _phone_matches(Call.phone, term)
    else:
        match = fold_sql(Call.caller_name).like(term.like, escape="\\")
    return select(Call.id, Call.caller_name, Call.company, Call.phone, Call.created_at).where(
        match, Call.caller_name != people_retention.ANONYMOUS
    )


def _visits(term: Term) -> Any:
    if term.by != "name":
        return None  # the visitor register holds names only
    return select(Visit.id, Visit.visitor_name, Visit.company, Visit.arrived_at).where(
        fold_sql(Visit.visitor_name).like(term.like, escape="\\"),
        Visit.visitor_name != people_retention.ANONYMOUS,
    )


_QUERIES = {
    "candidates": (_candidates, Candidate.id),
    "employees": (_employees, Employee.id),
    "calls": (_calls, Call.id),
    "visits": (_visits, Visit.id),
}


def find(term: Term) -> list[Found]:
    """Every record of each kind the term matches (one query per kind, at most ``LIMIT``)."""
    groups = []
    for kind in KINDS:
        build, order = _QUERIES[kind]
        found = Found(kind, LABELS[kind])
        query = build(term)
        if query is not None:
            rows = [
                dict(r._mapping) for r in db.session.execute(query.order_by(order).limit(LIMIT + 1))
            ]
            found.rows, found.more = rows[:LIMIT], len(rows) > LIMIT
        groups.append(found)
    return groups


def _chosen(term: Term, selection: dict[str, list[int]]) -> dict[str, list[int]]:
    """The ticked records, checked against what the term finds (nothing else can be answered)."""
    chosen = {kind: sorted(set(selection.get(kind) or ())) for kind in KINDS}
    if not any(chosen.values()):
        raise ValidationError(_("Tick the records that belong to the person."), field="confirm")
    found = {group.kind: group.ids for group in find(term)}
    for kind, ids in chosen.items():
        if not set(ids) <= found[kind]:
            raise ValidationError(
                _("Some ticked records no longer match the search; search again."), field="q"
            )
    return chosen


def _log(actor: User, action: str, term: Term, chosen: dict[str, list[int]], answer: Any) -> None:
    summary = {
        "request": "subject",
        "searched": {"by": term.by, "masked": term.masked},
        "records": {kind: ids for kind, ids in chosen.items() if ids},
        "answer": answer,
    }
    employees = chosen["employees"]
    db.session.add(
        DataRequest(
            employee_id=employees[0] if len(employees) == 1 else None,
            action=action,
            requested_by_id=actor.id,
            summary=summary,
        )
    )
    audit.record(actor, f"people.subject_request.{action}", None, summary)


# --- export ---------------------------------------------------------------------------------------


def _candidate_data(ids: list[int]) -> tuple[list[dict[str, Any]], list[CVFile]]:
    if not ids:
        return [], []
    applications = lgpd._all(Application, Application.candidate_id.in_(ids))
    application_ids = [a.id for a in applications]
    events = lgpd._all(ApplicationEvent, ApplicationEvent.application_id.in_(application_ids))
    cv_files = lgpd._all(CVFile, CVFile.application_id.in_(application_ids))
    data = []
    for candidate in lgpd._all(Candidate, Candidate.id.in_(ids)):
        mine = [a for a in applications if a.candidate_id == candidate.id]
        data.append(
            {
                "candidate": lgpd._row(candidate),
                "applications": [
                    {
                        **lgpd._row(
                            a, ["id", "opening_id", "stage", "score", "created_at", "closed_at"]
                        ),
                        "opening": a.opening.title,
                        "events": [
                            lgpd._row(e, ["kind", "details", "at"])
                            for e in events
                            if e.application_id == a.id
                        ],
                        "cv_files": [
                            lgpd._row(f, ["id", "original_name", "kind", "size", "sha256"])
                            for f in cv_files
                            if f.application_id == a.id
                        ],
                    }
                    for a in mine
                ],
            }
        )
    return data, cv_files


def export(term: Term, selection: dict[str, list[int]], *, actor: User) -> tuple[str, bytes]:
    """One ZIP of the ticked records: (file name, bytes); the request is logged."""
    chosen = _chosen(term, selection)
    candidates, cv_files = _candidate_data(chosen["candidates"])
    employees = lgpd._all(Employee, Employee.id.in_(chosen["employees"]))
    data = {
        "candidates": candidates,
        "employees": [lgpd.collect(employee) for employee in employees],
        "calls": [lgpd._row(c) for c in lgpd._all(Call, Call.id.in_(chosen["calls"]))],
        "visits": [lgpd._row(v) for v in lgpd._all(Visit, Visit.id.in_(chosen["visits"]))],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind in KINDS:
            archive.writestr(
                f"{kind}.json", json.dumps(data[kind], ensure_ascii=False, indent=2, default=str)
            )
        documents = lgpd._all(
            EmployeeDocument, EmployeeDocument.employee_id.in_(chosen["employees"])
        )
        for document in documents:
            path = document_path(document)
            if path.exists():
                archive.write(
                    path,
                    f"documents/employee-{document.employee_id}/"
                    f"{document.id}-{document.original_name}",
                )
        for cv in cv_files:
            path = files.path_of(cv.stored_name)
            if path.exists():
                archive.write(path, f"documents/cv/{cv.id}-{cv.original_name}")
    _log(actor, "export", term, chosen, {kind: len(data[kind]) for kind in KINDS})
    return f"lgpd-request-{utcnow():%Y%m%d-%H%M%S}.zip", buffer.getvalue()


# --- anonymisation --------------------------------------------------------------------------------


def anonymise(
    term: Term,
    selection: dict[str, list[int]],
    *,
    actor: User,
    confirmed: bool,
    now: datetime | None = None,
) -> dict[str, int]:
    """Anonymise the ticked records with the retention job's anonymisers; irreversible.

    An employee still working here cannot be anonymised (their record is still needed): the
    whole request is refused before anything changes.  Returns how many of each kind.
    """
    if not confirmed:
        raise ValidationError(
            _("Confirm that the anonymisation cannot be undone."), field="confirm"
        )
    chosen = _chosen(term, selection)
    now = now or utcnow()
    employees = lgpd._all(Employee, Employee.id.in_(chosen["employees"]))
    working = [e for e in employees if e.status != LEFT]
    if working:
        raise ValidationError(
            _(
                "Only the record of someone who has left can be anonymised: %(names)s.",
                names=", ".join(e.name for e in working),
            ),
            field="confirm",
        )
    for employee in employees:  # also anonymises the candidate they were hired as
        lgpd.anonymise(employee, actor=actor, now=now)
    db.session.flush()
    anonymisers = people_retention._ANONYMISERS  # the retention job's own
    for kind in ("candidates", "calls", "visits"):
        if chosen[kind]:
            anonymisers[kind](chosen[kind], now)
    counts = {kind: len(ids) for kind, ids in chosen.items()}
    _log(actor, "anonymise", term, chosen, counts)
    db.session.flush()
    return counts
