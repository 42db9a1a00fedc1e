"""Openings: requirements, create / edit, rescoring, and the dashboard numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.recruiting import (
    NEW,
    OPEN,
    OPENING_STATUSES,
    PIPELINE,
    REJECTED,
    SCHEDULED,
    WITHDRAWN,
    Application,
    Interview,
    Opening,
)
from portal.services import audit
from portal.services.recruiting import scoring
from portal.services.recruiting.applications import STAGE_LABELS, local_tz
from portal.services.recruiting.intake import apply_score

# With a context: in Portuguese a job opening ("vaga") is feminine ("Aberta", "Encerrada").
OPENING_STATUS_LABELS = {
    "draft": lazy_pgettext("job opening status", "Draft"),
    "open": lazy_pgettext("job opening status", "Open"),
    "on_hold": lazy_pgettext("job opening status", "On hold"),
    "closed": lazy_pgettext("job opening status", "Closed"),
}


def parse_requirements(text: str, kind: str) -> list[dict[str, Any]]:
    """Read one requirement per line: ``Excel: planilhas, spreadsheets`` (``SQL*3: ...`` weight)."""
    out = []
    for lineno, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        head, _sep, tail = line.partition(":")
        weight = 1
        m = re.match(r"^(.*?)\s*\*\s*(\d+)\s*$", head)
        if m:
            head, weight = m.group(1), int(m.group(2))
            if not 1 <= weight <= 5:
                raise ValidationError(
                    _("Line %(n)d: the weight must be between 1 and 5.", n=lineno),
                    field="must_haves" if kind == "must" else "nice_to_haves",
                )
        name = head.strip()
        if not name:
            continue
        synonyms = [s.strip() for s in tail.split(",") if s.strip()]
        out.append({"name": name, "synonyms": synonyms, "kind": kind, "weight": weight})
    return scoring.normalise_requirements(out)


def format_requirements(reqs: list[dict[str, Any]], kind: str) -> str:
    lines = []
    for r in reqs or []:
        if r.get("kind") != kind:
            continue
        head = r["name"] + (f"*{r['weight']}" if kind == "nice" and r.get("weight", 1) != 1 else "")
        lines.append(head + (": " + ", ".join(r["synonyms"]) if r.get("synonyms") else ""))
    return "\n".join(lines)


def list_openings(status: str | None = None) -> Select:
    stmt = select(Opening).order_by(Opening.status != OPEN, Opening.created_at.desc())
    if status in OPENING_STATUSES:
        stmt = stmt.where(Opening.status == status)
    return stmt


def get_opening_or_404(opening_id: int, *, interviewers: bool = True) -> Opening:
    """The opening; ``interviewers=False`` skips loading its interviewers (one query less)."""
    options = [] if interviewers else [lazyload(Opening.interviewers)]
    opening = db.session.get(Opening, opening_id, options=options)
    if opening is None:
        raise NotFound(_("This opening does not exist."))
    return opening


def save_opening(
    opening: Opening | None,
    *,
    actor: User,
    title: str,
    description: str,
    must_haves: str,
    nice_to_haves: str,
    min_years: int,
    languages: str,
    location: str,
    status: str,
    department_id: int | None,
    hiring_manager_id: int | None,
    interviewer_ids: Sequence[int],
) -> Opening:
    """Create or update an opening; requirement text is parsed and re-scoring follows."""
    if status not in OPENING_STATUSES:
        raise ValidationError(_("Choose a status."), field="status")
    requirements = parse_requirements(must_haves, "must") + parse_requirements(
        nice_to_haves, "nice"
    )
    if not any(r["kind"] == "must" for r in requirements):
        raise ValidationError(_("List at least one must-have requirement."), field="must_haves")
    interviewers = (
        list(db.session.scalars(select(User).where(User.id.in_(interviewer_ids))))
        if interviewer_ids
        else []
    )
    created = opening is None
    if opening is None:
        opening = Opening()
        db.session.add(opening)
    changed_reqs = opening.requirements != requirements or opening.min_years != min_years
    opening.title = title.strip()
    opening.description = description or ""
    opening.requirements = requirements
    opening.min_years = max(0, int(min_years or 0))
    opening.languages = languages or ""
    opening.location = location or ""
    opening.status = status
    opening.department_id = department_id
    opening.hiring_manager_id = hiring_manager_id
    opening.interviewers = interviewers
    db.session.flush()
    audit.record(
        actor,
        "recruiting.opening.created" if created else "recruiting.opening.updated",
        opening,
        {"title": opening.title, "status": status},
    )
    if changed_reqs and not created:
        rescore_opening(opening)
    return opening


def rescore_opening(opening: Opening) -> int:
    """Score every application of the opening again (after its requirements changed)."""
    count = 0
    for application in db.session.scalars(
        select(Application).where(Application.opening_id == opening.id)
    ):
        apply_score(application, application.cv_text or "")
        count += 1
    return count


def dashboard_numbers() -> dict[str, Any]:
    now = utcnow()
    tz = local_tz()
    local_today = now.astimezone(tz).date()
    week_start = datetime.combine(
        local_today - timedelta(days=local_today.weekday()), time(0), tz
    ).astimezone(UTC)
    week_end = week_start + timedelta(days=7)
    open_openings = db.session.scalar(select(func.count(Opening.id)).where(Opening.status == OPEN))
    to_screen = db.session.scalar(
        select(func.count(Application.id)).where(Application.stage == NEW)
    )
    this_week = db.session.scalar(
        select(func.count(Interview.id)).where(
            Interview.status == SCHEDULED,
            Interview.start_at >= week_start,
            Interview.start_at < week_end,
        )
    )
    return {"open": open_openings or 0, "new": to_screen or 0, "week": this_week or 0}


def funnel(opening: Opening | None = None) -> list[tuple[str, int]]:
    """Applications that reached each pipeline stage (of the busiest open opening)."""
    if opening is None:
        opening_id = db.session.scalar(
            select(Application.opening_id)
            .join(Opening, Opening.id == Application.opening_id)
            .where(Opening.status == OPEN)
            .group_by(Application.opening_id)
            .order_by(func.count(Application.id).desc())
            .limit(1)
        )
        if opening_id is None:
            return []
        opening = db.session.get(Opening, opening_id)
        assert opening is not None
    counts = dict(
        db.session.execute(
            select(Application.stage, func.count(Application.id))
            .where(Application.opening_id == opening.id)
            .group_by(Application.stage)
        ).all()
    )
    out = []
    for i, stage in enumerate(PIPELINE):
        reached = sum(counts.get(s, 0) for s in PIPELINE[i:])
        if i == 0:
            reached += counts.get(REJECTED, 0) + counts.get(WITHDRAWN, 0)
        out.append((str(STAGE_LABELS[stage]), reached))
    return out


def busiest_open_opening() -> Opening | None:
    opening_id = db.session.scalar(
        select(Application.opening_id)
        .join(Opening, Opening.id == Application.opening_id)
        .where(Opening.status == OPEN)
        .group_by(Application.opening_id)
        .order_by(func.count(Application.id).desc())
        .limit(1)
    )
    return db.session.get(Opening, opening_id) if opening_id else None
