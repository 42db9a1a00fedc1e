"""Screening: the ranked list of an opening, blind review texts and bulk rejection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel.numbers import get_decimal_symbol
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import Department, User
from portal.models.recruiting import (
    FINAL_STAGES,
    HIRED,
    REJECTED,
    STAGES,
    Application,
    Candidate,
    Opening,
)
from portal.pagination import ReadPage, last_page, paged
from portal.services import outbox
from portal.services.recruiting import scoring
from portal.services.recruiting.applications import STAGE_LABELS, blind_view, move_stage


@dataclass(frozen=True, slots=True)
class OpeningHeader:
    """What the ranked page prints about its opening (read with the count, in one statement)."""

    id: int
    title: str
    status: str
    location: str
    min_years: int
    requirements: list[dict[str, Any]]
    department_name: str | None
    hiring_manager_name: str | None

    @property
    def must_haves(self) -> list[dict[str, Any]]:
        return [r for r in self.requirements or [] if r.get("kind") == "must"]

    @property
    def nice_to_haves(self) -> list[dict[str, Any]]:
        return [r for r in self.requirements or [] if r.get("kind") != "must"]


@lru_cache(maxsize=64)
def _rank_statements(stage: str, with_min: bool, missing: str) -> tuple[Select, Select]:
    """Build (header with count, page of rows) once per filter shape; values are bound
    parameters (opening_id, stage, min_score, missing, limit, offset).

    ``stage`` is "" (all), "active" or "one"; ``missing`` is "", "none" or "one".
    """
    terms: list[Any] = [Application.opening_id == bindparam("opening_id")]
    if stage == "one":
        terms.append(Application.stage == bindparam("stage"))
    if with_min:
        terms.append(Application.score >= bindparam("min_score"))
    if missing == "none":
        terms.append(Application.missing_must == "")
    elif missing == "one":
        terms.append(Application.missing_must.contains(bindparam("missing")))
    total = select(func.count()).select_from(Application).where(*terms)
    if stage == "active":
        # All minus the final ones: the (opening_id, stage) index answers "stage IN (hired,
        # rejected, withdrawn)" with three short seeks, while "stage NOT IN (...)" tests every
        # one of the opening's 10,000 index entries (5x slower on SQLite).
        final = total.where(Application.stage.in_(sorted(FINAL_STAGES)))
        count = total.scalar_subquery() - final.scalar_subquery()
        terms.append(Application.stage.notin_(sorted(FINAL_STAGES)))
    else:
        count = total.scalar_subquery()
    # The opening's header and the count in one round trip (an uncorrelated subquery, evaluated
    # once); no ORM objects: the page only prints these values.
    header = (
        select(
            Opening.id,
            Opening.title,
            Opening.status,
            Opening.location,
            Opening.min_years,
            Opening.requirements,
            Department.name,
            User.name,
            count.label("total"),
        )
        .outerjoin(Department, Department.id == Opening.department_id)
        .outerjoin(User, User.id == Opening.hiring_manager_id)
        .where(Opening.id == bindparam("opening_id"))
    )
    # Only what the list prints, as plain rows: no ORM objects to build for 25 applications.
    page = paged(
        select(
            Application.id,
            Application.score,
            Application.stage,
            Application.years,
            Application.duplicate_state,
            Application.rank_summary,
            Candidate.name,
        )
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(*terms)
        # (score, id) both descending: SQLite/PostgreSQL walk the rank index backwards.
        .order_by(Application.score.desc(), Application.id.desc())
    )
    return header, page


def ranked_page(
    opening_id: int,
    *,
    stage: str = "",
    min_score: int | None = None,
    missing: str = "",
    page: int = 1,
    per_page: int | None = None,
) -> tuple[OpeningHeader, ReadPage]:
    """The opening's header and the requested page of its applications, best score first.

    Two statements whatever the number of applications (header + count, then the page; a page
    past the end is the last page).  ``stage``: "" for all, "active" for those
    not hired/rejected/withdrawn, or one stage.  ``missing``: "" any, "none" (every must-have
    matched) or a must-have's name.  Raises NotFound for an unknown opening.
    """
    per_page = min(per_page or current_app.config["PAGE_SIZE"], 200)
    page = max(1, page)
    params: dict[str, Any] = {
        "opening_id": opening_id,
        "page_limit": per_page,
        "page_offset": (page - 1) * per_page,
    }
    stage_kind = "active" if stage == "active" else ("one" if stage in STAGES else "")
    if stage_kind == "one":
        params["stage"] = stage
    if min_score:
        params["min_score"] = min_score
    missing_kind = "none" if missing == "none" else ("one" if missing else "")
    if missing_kind == "one":
        params["missing"] = f"|{scoring.fold(missing)}|"
    header_stmt, page_stmt = _rank_statements(stage_kind, bool(min_score), missing_kind)
    # Core execution on the session's connection (same transaction): nothing here needs the
    # ORM's result processing.
    connection = db.session.connection()
    row = connection.execute(header_stmt, params).first()
    if row is None:
        raise NotFound(_("This opening does not exist."))
    *fields, total = row
    header = OpeningHeader(*fields)
    if params["page_offset"] >= total > 0:  # past the end: the last page, as every list
        page = last_page(total, per_page)
        params["page_offset"] = (page - 1) * per_page
    items = list(connection.execute(page_stmt, params)) if params["page_offset"] < total else []
    return header, ReadPage(page=page, per_page=per_page, items=items, total=int(total))


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a score: what the evidence list prints (``recruiting/_partials/_evidence.html``).

    ``must``: (name, matched synonym or None when the name itself matched, CV snippet) per
    must-have found; ``missing``: must-haves not found; ``nice``: (name, weight) per
    nice-to-have found; ``nice_missing``: nice-to-haves not found (the detail page only).
    """

    must: Sequence[tuple[str, str | None, str]]
    missing: Sequence[str]
    nice: Sequence[tuple[str, Any]]
    nice_missing: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class RankedRow:
    """One application as the ranked list and the application page print it (values ready:
    no lookups, gettext or number formatting left per row)."""

    id: int
    score: int
    tone: str  # high | mid | low (scoring.score_tone)
    name: str  # the candidate's name, or "Candidate #id" in blind review
    stage_label: str
    stage_tone: str
    final: bool
    duplicate: bool
    years: str  # "5.5 years of experience"
    evidence: Evidence


def stage_labels() -> dict[str, str]:
    """The stage names in the current language, as plain strings."""
    return _stage_labels(str(get_locale()))


@lru_cache(maxsize=16)
def _stage_labels(locale: str) -> dict[str, str]:
    return {k: str(v) for k, v in STAGE_LABELS.items()}


# The ranked page's fixed texts (plain strings; the template escapes them).  Catalogues do not
# change while the process runs, so each language's texts are translated once per process
# instead of ~20 template gettext calls per request.
_RANKED_TEXTS = {
    "upload_cvs": _l("Upload CVs"),
    "add_by_hand": _l("Add by hand"),
    "interview_slots": _l("Interview slots"),
    "edit": _l("Edit"),
    "must_have": _l("Must-have"),
    "nice_to_have": _l("Nice-to-have"),
    "stage": _l("Stage"),
    "all_active": _l("All active"),
    "all": _l("All"),
    "minimum_score": _l("Minimum score"),
    "must_haves": _l("Must-haves"),
    "any": _l("Any"),
    "all_matched": _l("All matched"),
    "blind_review": _l("Blind review"),
    "filter": _l("Filter"),
    "reason": _l("Reason"),
    "reason_placeholder": _l("e.g. profile does not match"),
    "reject_selected": _l("Reject selected"),
    "one_email_each": _l("Each candidate receives one courteous e-mail in their language."),
    "no_match": _l("No candidates match these filters."),
}


class _Texts(dict[str, str]):
    """A missing name is an error, not an empty label (Jinja would print nothing)."""

    def __missing__(self, key: str) -> str:
        raise RuntimeError(f"recruiting: no ranked-page text named {key!r}")


@lru_cache(maxsize=16)
def _ranked_texts(locale: str) -> _Texts:
    return _Texts({k: str(v) for k, v in _RANKED_TEXTS.items()})


def ranked_texts() -> dict[str, str]:
    """The ranked page's fixed texts in the current language (``t.name`` in its templates)."""
    return _ranked_texts(str(get_locale()))


def stage_tone(stage: str) -> str:
    """The badge tone of a stage: the one rule for the list and the application page."""
    if stage == REJECTED:
        return "danger"
    if stage in ("offer", HIRED):
        return "success"
    return "info"


def summary_evidence(
    summary: dict[str, Any], redact: Callable[[str], str] | None = None
) -> Evidence:
    """The evidence of a ranked row, from its compact ``rank_summary``; ``redact`` hides the
    candidate in the snippets (blind review)."""
    must = summary.get("must") or ()
    if redact is not None:
        must = [(name, matched, redact(snippet)) for name, matched, snippet in must]
    return Evidence(must=must, missing=summary.get("missing") or (), nice=summary.get("nice") or ())


def detail_evidence(evidence: dict[str, Any]) -> Evidence:
    """The evidence of the application page, from the full ``evidence`` (or ``blind_view``)."""
    return Evidence(
        must=[
            (
                m.get("name"),
                m.get("matched") if m.get("matched") != m.get("name") else None,
                m.get("snippet") or "",
            )
            for m in evidence.get("must") or ()
        ],
        missing=evidence.get("missing") or (),
        nice=[(m.get("name"), m.get("weight", 1)) for m in evidence.get("nice") or ()],
        nice_missing=evidence.get("nice_missing") or (),
    )


class _RowTexts:
    """The per-row texts of one page, translated once (gettext with a placeholder)."""

    def __init__(self, labels: dict[str, str] | None) -> None:
        self.labels = labels or stage_labels()
        self.years = _("%(years)s years of experience", years="\x00")
        self.blind = _("Candidate #%(id)d", id=0).replace("0", "\x00")
        self.decimal_sign = get_decimal_symbol(get_locale() or "en")  # 1.6 / 1,6 in pt_BR

    def row(
        self, *, id: int, score: int, stage: str, name: str, blind: bool, duplicate: bool,
        years: Any, evidence: Evidence,
    ) -> RankedRow:  # fmt: skip
        return RankedRow(
            id=id,
            score=score,
            tone=scoring.score_tone(score),
            name=self.blind.replace("\x00", str(id)) if blind else name,
            stage_label=self.labels[stage],
            stage_tone=stage_tone(stage),
            final=stage in FINAL_STAGES,
            duplicate=duplicate,
            years=self.years.replace("\x00", str(years or 0).replace(".", self.decimal_sign)),
            evidence=evidence,
        )


def ranked_rows(
    applications: Sequence[Any], *, blind: bool, labels: dict[str, str] | None = None
) -> list[RankedRow]:
    """Prepare a page of ``ranked_page`` rows for printing (translations done once per page)."""
    texts = _RowTexts(labels)
    rows = []
    for a in applications:
        rows.append(
            texts.row(
                id=a.id,
                score=a.score,
                stage=a.stage,
                name=a.name,
                blind=blind,
                duplicate=a.duplicate_state == "possible",
                years=a.years,
                evidence=summary_evidence(
                    a.rank_summary or {}, scoring.redactor(a.name) if blind else None
                ),
            )
        )
    return rows


def application_row(application: Application, *, blind: bool) -> RankedRow:
    """The application page's heading and evidence: the same row the ranked list prints, with
    the full evidence (nice-to-haves not found included)."""
    evidence = blind_view(application) if blind else (application.evidence or {})
    return _RowTexts(None).row(
        id=application.id,
        score=application.score,
        stage=application.stage,
        name=application.candidate.name,
        blind=blind,
        duplicate=application.duplicate_state == "possible",
        years=application.years,
        evidence=detail_evidence(evidence),
    )


def bulk_reject(
    opening: Opening, application_ids: Sequence[int], *, actor: User, reason: str
) -> int:
    """Reject several applications; each candidate gets one courteous e-mail in their language."""
    if not reason.strip():
        raise ValidationError(_("Give a reason."), field="reason")
    if not application_ids:
        raise ValidationError(_("Select at least one candidate."), field="ids")
    apps = list(
        db.session.scalars(
            select(Application).where(
                Application.opening_id == opening.id, Application.id.in_(application_ids)
            )
        )
    )
    count = 0
    for application in apps:
        if application.is_final:
            continue
        move_stage(application, stage=REJECTED, actor=actor, reason=reason)
        candidate = application.candidate
        if candidate.email:
            outbox.queue_email(
                candidate.email,
                "recruiting_rejection",
                {"name": candidate.name, "opening": opening.title},
                dedupe_key=f"recruiting:rejection:{application.id}",
                locale=candidate.locale if candidate.locale in ("en", "pt_BR") else "en",
                target=application,
            )
        count += 1
    return count
