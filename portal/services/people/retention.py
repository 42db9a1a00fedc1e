"""LGPD retention: how long each kind of personal data is kept, and the job that anonymises what
has expired.

The defaults (months, and when the clock starts) and why:

- **candidates not hired** — 6 months after their last application ended (rejected, withdrawn,
  or left in an opening that was closed): long enough to reconsider them for a similar opening
  and to answer a complaint about the selection.  A candidate who consented to the talent pool
  is kept while the consent holds.
- **talent-pool consent** — 12 months after it is given: consent is asked again every year
  instead of holding a CV indefinitely (LGPD art. 8 and 15: kept only while the purpose lasts).
- **employee records after exit** — 60 months (5 years) after the last working day: a labour
  claim can be filed up to two years after the contract ends and reaches back five years
  (Constituição art. 7, XXIX; CLT art. 11), and the record is the company's evidence.
- **discipline records** — 60 months after the last working day, i.e. with the employee record
  (a warning is evidence in a claim about a dismissal with cause); it may be shorter, never
  longer than the record it belongs to.
- **call log** and **visitor register** — 12 months after the call / visit: a year answers
  "who called about this" and building-security questions; older entries serve no purpose.

Anonymising keeps the statistics (rows, dates, stages, levels, departments, outcomes) and
overwrites names, e-mails, phones, CPF, free text and documents; it is irreversible, runs in
batches of ``BATCH`` rows per transaction (the job commits each) and each batch is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.enqueue import enqueue_after_commit
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import Call, Visit
from portal.models.people import LEFT, DisciplinaryWarning, Employee
from portal.models.recruiting import Application, Candidate
from portal.models.retention import RetentionPolicy
from portal.services import audit
from portal.services.people import lgpd
from portal.services.people.common import today
from portal.services.recruiting import retention as candidates

ANONYMOUS = lgpd.ANONYMOUS
BATCH = 500  # rows per transaction: each batch's locks last a fraction of a second
JOB = "worker.jobs.retention.anonymise_expired"


@dataclass(frozen=True)
class Policy:
    kind: str
    label: Any
    default: int  # months
    minimum: int
    maximum: int
    starts: Any  # when the clock starts
    why: Any


POLICIES: dict[str, Policy] = {
    p.kind: p
    for p in (
        Policy(
            "candidates",
            _l("Candidates not hired"),
            6,
            1,
            60,
            _l("after their last application ends"),
            _l(
                "Long enough to reconsider them for a similar opening and to answer a complaint "
                "about the selection; longer only with their consent to the talent pool."
            ),
        ),
        Policy(
            "consent",
            _l("Talent-pool consent"),
            12,
            1,
            36,
            _l("after the candidate consents"),
            _l("Consent is asked again every year instead of keeping a CV indefinitely."),
        ),
        Policy(
            "employees",
            _l("Employee records after exit"),
            60,
            24,
            360,
            _l("after the last working day"),
            _l(
                "A labour claim can be filed up to two years after the contract ends and "
                "reaches back five years (CF art. 7, XXIX): the record is the company's evidence."
            ),
        ),
        Policy(
            "discipline",
            _l("Discipline records"),
            60,
            24,
            360,
            _l("after the last working day"),
            _l(
                "Kept with the employee record: a warning is evidence in a claim about a "
                "dismissal with cause. Never longer than the employee record."
            ),
        ),
        Policy(
            "calls",
            _l("Call log"),
            12,
            1,
            60,
            _l("after the call"),
            _l("A year answers who called about what; older messages serve no purpose."),
        ),
        Policy(
            "visits",
            _l("Visitor register"),
            12,
            1,
            60,
            _l("after the visit"),
            _l("A year covers building-security questions and audits."),
        ),
    )
}
# The kinds the job anonymises, discipline before the records it belongs to (consent is a
# period, not data of its own).
ANONYMISED = ("candidates", "discipline", "employees", "calls", "visits")


# --- the policy ---------------------------------------------------------------------------------


def policy_months() -> dict[str, int]:
    """Months per kind: the stored value, else the default (one query)."""
    stored = dict(db.session.execute(select(RetentionPolicy.kind, RetentionPolicy.months)).all())
    return {kind: int(stored.get(kind, p.default)) for kind, p in POLICIES.items()}


def save_policies(months: dict[str, int | None], *, actor: User) -> dict[str, Any]:
    """Store the periods HR chose; refuse a nonsense one next to its field; audit the change."""
    current = policy_months()
    new: dict[str, int] = {}
    for kind, p in POLICIES.items():
        value = months.get(kind)
        if value is None or not p.minimum <= value <= p.maximum:
            raise ValidationError(
                _(
                    "Between %(minimum)d and %(maximum)d months.",
                    minimum=p.minimum,
                    maximum=p.maximum,
                ),
                field=kind,
            )
        new[kind] = value
    if new["discipline"] > new["employees"]:
        raise ValidationError(
            _("Discipline records cannot be kept longer than the employee record."),
            field="discipline",
        )
    changes: dict[str, Any] = {k: [current[k], v] for k, v in new.items() if v != current[k]}
    if not changes:
        return {}
    rows = {r.kind: r for r in db.session.scalars(select(RetentionPolicy))}
    for kind in changes:
        row = rows.get(kind) or RetentionPolicy(kind=kind)
        row.months = new[kind]
        row.updated_at = utcnow()
        row.updated_by_id = actor.id
        db.session.add(row)
    audit.record(actor, "people.retention.policy_changed", None, changes)
    return changes


def cutoffs(now: datetime, months: dict[str, int] | None = None) -> dict[str, datetime]:
    """For each kind, the moment before which its clock must have started to be anonymised."""
    months = months or policy_months()
    return {kind: candidates.shift_months(now, -m) for kind, m in months.items()}


# --- what has expired ---------------------------------------------------------------------------


def _day(cutoff: datetime) -> date:
    return today(cutoff)


def _expired(kind: str, cutoff: datetime, now: datetime) -> Any:
    """A SELECT of the ids of ``kind`` whose period is over, oldest first."""
    if kind == "candidates":
        return candidates.expired_candidates(cutoff, now)
    if kind == "employees":
        return (
            select(Employee.id)
            .where(
                Employee.status == LEFT,
                Employee.anonymised_at.is_(None),
                Employee.last_day < _day(cutoff),
            )
            .order_by(Employee.id)
        )
    if kind == "discipline":
        return (
            select(DisciplinaryWarning.id)
            .join(Employee, Employee.id == DisciplinaryWarning.employee_id)
            .where(
                Employee.status == LEFT,
                Employee.last_day < _day(cutoff),
                DisciplinaryWarning.facts != ANONYMOUS,
            )
            .order_by(DisciplinaryWarning.id)
        )
    if kind == "calls":
        return (
            select(Call.id)
            .where(Call.created_at < cutoff, Call.caller_name != ANONYMOUS)
            .order_by(Call.id)
        )
    if kind == "visits":
        return (
            select(Visit.id)
            .where(Visit.arrived_at < cutoff, Visit.visitor_name != ANONYMOUS)
            .order_by(Visit.id)
        )
    raise ValueError(kind)


@dataclass
class Preview:
    kind: str
    label: Any
    months: int
    count: int
    sample: list[dict[str, Any]]


def _sample(kind: str, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    if kind == "candidates":
        ended = func.max(func.coalesce(Application.closed_at, Application.updated_at))
        rows = db.session.execute(
            select(Candidate.id, Candidate.name, ended)
            .join(Application, Application.candidate_id == Candidate.id)
            .where(Candidate.id.in_(ids))
            .group_by(Candidate.id, Candidate.name)
            .order_by(Candidate.id)
        )
    elif kind == "employees":
        rows = db.session.execute(
            select(Employee.id, Employee.name, Employee.last_day).where(Employee.id.in_(ids))
        )
    elif kind == "discipline":
        rows = db.session.execute(
            select(DisciplinaryWarning.id, Employee.name, DisciplinaryWarning.occurred_on)
            .join(Employee, Employee.id == DisciplinaryWarning.employee_id)
            .where(DisciplinaryWarning.id.in_(ids))
        )
    elif kind == "calls":
        rows = db.session.execute(
            select(Call.id, Call.caller_name, Call.created_at).where(Call.id.in_(ids))
        )
    else:
        rows = db.session.execute(
            select(Visit.id, Visit.visitor_name, Visit.arrived_at).where(Visit.id.in_(ids))
        )
    return [{"id": i, "name": name, "when": when} for i, name, when in rows]


def preview(now: datetime | None = None, sample: int = 5) -> list[Preview]:
    """How many records of each kind the job would anonymise now, with a few of them.

    Read-only: the dry run changes nothing.
    """
    now = now or utcnow()
    months = policy_months()
    limits = cutoffs(now, months)
    result = []
    for kind in ANONYMISED:
        query = _expired(kind, limits[kind], now)
        count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        ids = list(db.session.scalars(query.limit(sample)))
        result.append(
            Preview(kind, POLICIES[kind].label, months[kind], count or 0, _sample(kind, ids))
        )
    return result


# --- anonymising ----------------------------------------------------------------------------------


def _anonymise_employees(ids: list[int], now: datetime) -> None:
    for employee in db.session.scalars(select(Employee).where(Employee.id.in_(ids))):
        lgpd.anonymise(employee, actor=None, now=now)


def _anonymise_warnings(ids: list[int], now: datetime) -> None:
    db.session.execute(
        update(DisciplinaryWarning)
        .where(DisciplinaryWarning.id.in_(ids))
        .values(facts=ANONYMOUS, statement=None, witness="", refusal_witness=None, policy="")
        .execution_options(synchronize_session=False)
    )
    candidates.scrub_traces({"DisciplinaryWarning": ids})


def _anonymise_calls(ids: list[int], now: datetime) -> None:
    db.session.execute(
        update(Call)
        .where(Call.id.in_(ids))
        .values(caller_name=ANONYMOUS, phone=None, message=None, return_note=None, void_reason=None)
        .execution_options(synchronize_session=False)
    )
    candidates.scrub_traces({"Call": ids})


def _anonymise_visits(ids: list[int], now: datetime) -> None:
    db.session.execute(
        update(Visit)
        .where(Visit.id.in_(ids))
        .values(visitor_name=ANONYMOUS, badge_number=None, void_reason=None)
        .execution_options(synchronize_session=False)
    )
    candidates.scrub_traces({"Visit": ids})


def _anonymise_candidates(ids: list[int], now: datetime) -> None:
    candidates.anonymise_candidates(ids, now=now)


_ANONYMISERS: dict[str, Callable[[list[int], datetime], None]] = {
    "candidates": _anonymise_candidates,
    "employees": _anonymise_employees,
    "discipline": _anonymise_warnings,
    "calls": _anonymise_calls,
    "visits": _anonymise_visits,
}


def anonymise_batch(
    kind: str, *, now: datetime | None = None, limit: int = BATCH, actor: User | None = None
) -> int:
    """Anonymise up to ``limit`` expired records of ``kind``; the caller commits.  Returns how
    many (0: nothing left).  One audit entry per batch, with the ids (no personal data)."""
    now = now or utcnow()
    months = policy_months()
    cutoff = candidates.shift_months(now, -months[kind])
    ids = list(db.session.scalars(_expired(kind, cutoff, now).limit(limit)))
    if not ids:
        return 0
    _ANONYMISERS[kind](ids, now)
    audit.record(
        actor,
        "people.retention.anonymised",
        None,
        {"kind": kind, "count": len(ids), "months": months[kind], "ids": ids},
    )
    db.session.flush()
    return len(ids)


def request_run(*, actor: User) -> None:
    """HR's "run now": the job runs in the background, after this transaction commits."""
    audit.record(actor, "people.retention.run_requested")
    enqueue_after_commit(JOB, queue="default")


# --- talent-pool consent --------------------------------------------------------------------------


def get_candidate_or_404(candidate_id: int) -> Candidate:
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or candidate.anonymised_at is not None:
        raise NotFound(_("This candidate does not exist."))
    return candidate


def consent_preview() -> str:
    """The consent text as the candidate will read it, with the period from the policy."""
    return candidates.consent_text(policy_months()["consent"])


def record_pool_consent(candidate: Candidate, *, actor: User, now: datetime | None = None) -> None:
    """The candidate agreed to stay in the talent pool for the policy's consent period."""
    candidates.record_consent(candidate, actor=actor, months=policy_months()["consent"], now=now)


def withdraw_pool_consent(candidate: Candidate, *, actor: User) -> None:
    candidates.withdraw_consent(candidate, actor=actor)


def consent_is_valid(candidate: Candidate, now: datetime | None = None) -> bool:
    return candidates.consent_is_valid(candidate, now)
