"""Recruiting report: the funnel per opening with conversion, time to hire, time in each stage,
sources of candidates, interviews per week per interviewer.

Stages are read from the candidates' timelines (``recruiting_event``: "applied", "stage" with
``new``, "hired"), so an application rejected after an interview still counts as having
reached the interview.  One grouped query per figure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import and_, case, exists, func, select

from portal.extensions import db
from portal.models.recruiting import (
    CANCELLED,
    HIRED,
    NEW,
    PIPELINE,
    Application,
    ApplicationEvent,
    CVFile,
    Interview,
    Opening,
    interview_interviewer,
)
from portal.models.users import Department, User
from portal.services.reports import labels
from portal.services.reports.base import (
    DAYS,
    INT,
    PERCENT,
    Chart,
    Column,
    Figure,
    Filter,
    Report,
    Section,
    Table,
    ratio,
    rounded,
)
from portal.services.reports.periods import Period
from portal.services.reports.sql import Buckets, as_text, days_between

TITLE = _l("Recruiting")
# A candidate's stage: in Portuguese it agrees with the candidate ("Novo", "Contratado").
STAGE_LABELS = {
    "new": lazy_pgettext("application stage", "New"),
    "screened": lazy_pgettext("application stage", "Screened"),
    "shortlisted": lazy_pgettext("application stage", "Shortlisted"),
    "interview": lazy_pgettext("application stage", "Interview"),
    "offer": lazy_pgettext("application stage", "Offer"),
    "hired": lazy_pgettext("application stage", "Hired"),
}
MAX_SERIES = 6  # interviewers drawn one by one; the rest are summed as "Others"


def _index(stage: Any) -> Any:
    """Position of a stage in the pipeline (rejected / withdrawn: 0)."""
    return case({s: i for i, s in enumerate(PIPELINE)}, value=stage, else_=0)


def _scope(period: Period, opening: int | None, department: int | None) -> list[Any]:
    """Applications received in the period (and of one opening or department)."""
    start, end = period.bounds()
    conditions = [Application.created_at >= start, Application.created_at < end]
    if opening:
        conditions.append(Application.opening_id == opening)
    if department:
        conditions.append(Opening.department_id == department)
    return conditions


def funnel(
    period: Period, opening: int | None, department: int | None
) -> dict[tuple[int, str], list[int]]:
    """Per opening (id, title): applications that reached each pipeline stage."""
    event_index = case(
        (ApplicationEvent.kind == "hired", len(PIPELINE) - 1),
        else_=_index(ApplicationEvent.details["new"].as_string()),
    )
    reached_by_events = (
        select(
            ApplicationEvent.application_id.label("application_id"),
            func.max(event_index).label("reached"),
        )
        .where(ApplicationEvent.kind.in_(("stage", "hired")))
        .group_by(ApplicationEvent.application_id)
        .subquery()
    )
    current = _index(Application.stage)
    by_events = func.coalesce(reached_by_events.c.reached, 0)
    reached = case((by_events > current, by_events), else_=current)
    rows = db.session.execute(
        select(Opening.id, Opening.title, reached, func.count())
        .select_from(Application)
        .join(Opening, Opening.id == Application.opening_id)
        .outerjoin(reached_by_events, reached_by_events.c.application_id == Application.id)
        .where(*_scope(period, opening, department))
        .group_by(Opening.id, Opening.title, reached)
    )
    result: dict[tuple[int, str], list[int]] = {}
    for oid, title, index, n in rows:
        counts = result.setdefault((oid, title), [0] * len(PIPELINE))
        for i in range(int(index) + 1):
            counts[i] += n
    return dict(sorted(result.items(), key=lambda kv: kv[0][1]))


def hires(
    period: Period, opening: int | None, department: int | None
) -> list[tuple[str, int, float | None]]:
    """(opening, hires in the period, mean days from application to hire)."""
    start, end = period.bounds()
    conditions = [
        ApplicationEvent.kind == "hired",
        ApplicationEvent.at >= start,
        ApplicationEvent.at < end,
    ]
    if opening:
        conditions.append(Application.opening_id == opening)
    if department:
        conditions.append(Opening.department_id == department)
    rows = db.session.execute(
        select(
            Opening.title,
            func.count(),
            func.avg(days_between(Application.created_at, ApplicationEvent.at)),
        )
        .select_from(ApplicationEvent)
        .join(Application, Application.id == ApplicationEvent.application_id)
        .join(Opening, Opening.id == Application.opening_id)
        .where(*conditions)
        .group_by(Opening.id, Opening.title)
        .order_by(Opening.title)
    )
    return [(title, n, None if d is None else float(d)) for title, n, d in rows]


def time_in_stage(
    period: Period, opening: int | None, department: int | None
) -> dict[str, tuple[int, float]]:
    """Stage -> (times left, mean days spent) for applications received in the period."""
    stage = case(
        (ApplicationEvent.kind == "applied", NEW),
        (ApplicationEvent.kind == "hired", HIRED),
        else_=ApplicationEvent.details["new"].as_string(),
    )
    timeline = (
        select(
            stage.label("stage"),
            ApplicationEvent.at.label("at"),
            func.lead(ApplicationEvent.at)
            .over(
                partition_by=ApplicationEvent.application_id,
                order_by=(ApplicationEvent.at, ApplicationEvent.id),
            )
            .label("next_at"),
        )
        .join(Application, Application.id == ApplicationEvent.application_id)
        .join(Opening, Opening.id == Application.opening_id)
        .where(
            ApplicationEvent.kind.in_(("applied", "stage", "hired")),
            *_scope(period, opening, department),
        )
        .subquery()
    )
    rows = db.session.execute(
        select(
            timeline.c.stage,
            func.count(),
            func.avg(days_between(timeline.c.at, timeline.c.next_at)),
        )
        .where(timeline.c.next_at.is_not(None))
        .group_by(timeline.c.stage)
    )
    return {s: (n, float(d or 0)) for s, n, d in rows}


def sources(period: Period, opening: int | None, department: int | None) -> dict[str, int]:
    """Applications by how they arrived: a CV upload, or entered by hand."""
    from_cv = exists().where(CVFile.application_id == Application.id)
    source = case((from_cv, "cv"), else_="manual")
    rows = db.session.execute(
        select(source, func.count())
        .select_from(Application)
        .join(Opening, Opening.id == Application.opening_id)
        .where(*_scope(period, opening, department))
        .group_by(source)
    )
    return {s: n for s, n in rows}


def interviews_per_week(
    period: Period, opening: int | None, department: int | None
) -> dict[tuple[str, str], int]:
    """(Monday, interviewer) -> interviews that were not cancelled."""
    start, end = period.bounds()
    week = Buckets(period).week(Interview.start_at)
    conditions = [
        Interview.status != CANCELLED,
        Interview.start_at >= start,
        Interview.start_at < end,
    ]
    if opening:
        conditions.append(Application.opening_id == opening)
    if department:
        conditions.append(Opening.department_id == department)
    rows = db.session.execute(
        select(week, User.name, func.count())
        .select_from(Interview)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .join(User, User.id == interview_interviewer.c.user_id)
        .join(Application, Application.id == Interview.application_id)
        .join(Opening, Opening.id == Application.opening_id)
        .where(and_(*conditions))
        .group_by(week, User.id, User.name)
    )
    return {(as_text(w), name): n for w, name, n in rows}


def choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Openings and departments for the filters (one query)."""
    rows = db.session.execute(
        select(Opening.id, Opening.title, Department.id, Department.name)
        .outerjoin(Department, Department.id == Opening.department_id)
        .order_by(Opening.title)
    ).all()
    openings = [(str(o), title) for o, title, _d, _n in rows]
    departments = sorted({(str(d), name) for _o, _t, d, name in rows if d}, key=lambda x: x[1])
    return openings, departments


# --- the report --------------------------------------------------------------------------------


def build(
    period: Period,
    previous: Period | None,
    *,
    opening: int | None = None,
    department: int | None = None,
    only: str | None = None,
) -> Report:
    """The report, or only its section ``only`` (a chart, an export, a dashboard card)."""
    args = (opening, department)
    makers: dict[str, Callable[[], Section]] = {
        "funnel": lambda: _funnel_section(funnel(period, *args)),
        "hire": lambda: _hire_section(
            hires(period, *args), hires(previous, *args) if previous else None
        ),
        "stages": lambda: _stage_section(time_in_stage(period, *args)),
        "sources": lambda: _source_section(
            sources(period, *args), sources(previous, *args) if previous else None
        ),
        "interviews": lambda: _interview_section(period, interviews_per_week(period, *args)),
    }
    sections = [make() for key, make in makers.items() if only in (None, key)]
    filters = []
    if not only:
        openings, departments = choices()
        filters = [
            Filter("opening", _l("Opening"), openings, str(opening or ""), _l("All openings")),
            Filter(
                "department",
                _l("Department"),
                departments,
                str(department or ""),
                _l("All departments"),
            ),
        ]
    return Report("recruiting", TITLE, period, previous, sections, filters)


def _funnel_section(data: dict[tuple[int, str], list[int]]) -> Section:
    stage_names = [str(STAGE_LABELS[s]) for s in PIPELINE]
    columns = [Column(_l("Opening"))] + [Column(n, INT) for n in stage_names]
    columns.append(Column(_l("Applied to hired"), PERCENT))
    rows = [[title, *counts, ratio(counts[-1], counts[0])] for (_i, title), counts in data.items()]
    totals = [sum(c[i] for c in data.values()) for i in range(len(PIPELINE))]
    conversions = [
        [f"{stage_names[i - 1]} → {stage_names[i]}", totals[i], ratio(totals[i], totals[i - 1])]
        for i in range(1, len(PIPELINE))
    ]
    return Section(
        "funnel",
        _l("Hiring funnel"),
        _(
            "Applications received in the period, by opening: how many reached each stage "
            "(those rejected later included)."
        ),
        Table(columns, rows),
        Chart("hbar", stage_names, [(_("Applications"), [float(t) for t in totals])])
        if rows
        else None,
        [Figure(_l("Applications"), totals[0], INT), Figure(_l("Hired"), totals[-1], INT)],
        note=conversions if rows else None,
    )


def _hire_section(rows, before) -> Section:
    def mean(data):
        n = sum(r[1] for r in data)
        return None if not n else sum((r[2] or 0) * r[1] for r in data) / n

    return Section(
        "hire",
        _l("Time to hire"),
        _("Candidates hired in the period: mean days from the application to the hire."),
        Table(
            [Column(_l("Opening")), Column(_l("Hired"), INT), Column(_l("Days to hire"), DAYS)],
            [[title, n, rounded(d)] for title, n, d in rows],
        ),
        Chart(
            "hbar", [r[0] for r in rows], [(_("Days to hire"), [rounded(r[2]) for r in rows])], DAYS
        )
        if rows
        else None,
        [
            Figure(
                _l("Mean days to hire"),
                rounded(mean(rows)),
                DAYS,
                None if before is None else rounded(mean(before)),
            ),
            Figure(
                _l("Hires"),
                sum(r[1] for r in rows),
                INT,
                None if before is None else sum(r[1] for r in before),
            ),
        ],
    )


def _stage_section(data: dict[str, tuple[int, float]]) -> Section:
    rows = [[str(STAGE_LABELS[s]), data[s][0], rounded(data[s][1])] for s in PIPELINE if s in data]
    return Section(
        "stages",
        _l("Time in each stage"),
        _(
            "Applications received in the period: mean days spent in a stage before moving "
            "on (stages not yet left are not counted)."
        ),
        Table([Column(_l("Stage")), Column(_l("Moves"), INT), Column(_l("Mean days"), DAYS)], rows),
        Chart("hbar", [r[0] for r in rows], [(_("Mean days"), [r[2] for r in rows])], DAYS)
        if rows
        else None,
    )


def _source_section(data: dict[str, int], before: dict[str, int] | None) -> Section:
    names = {"cv": _("CV upload"), "manual": _("Entered by hand")}
    total = sum(data.values())
    rows = [
        [names[k], data[k], ratio(data[k], total), None if before is None else before.get(k, 0)]
        for k in ("cv", "manual")
        if data.get(k) or (before and before.get(k))
    ]
    columns = [Column(_l("Source")), Column(_l("Applications"), INT), Column(_l("Share"), PERCENT)]
    if before is not None:
        columns.append(Column(_l("Previous period"), INT))
    else:
        rows = [r[:3] for r in rows]
    return Section(
        "sources",
        _l("Sources of candidates"),
        _("Applications received in the period, by how they arrived."),
        Table(columns, rows if total or before else []),
        Chart("hbar", [r[0] for r in rows], [(_("Applications"), [r[1] for r in rows])])
        if total
        else None,
        [Figure(_l("Applications"), total, INT, None if before is None else sum(before.values()))],
    )


def _interview_section(period: Period, data: dict[tuple[str, str], int]) -> Section:
    weeks = [w.isoformat() for w in period.week_starts()]
    by_person: dict[str, int] = {}
    for (_w, name), n in data.items():
        by_person[name] = by_person.get(name, 0) + n
    people = sorted(by_person, key=lambda p: (-by_person[p], p))
    drawn, others = people[:MAX_SERIES], people[MAX_SERIES:]
    series = [(p, [float(data.get((w, p), 0)) for w in weeks]) for p in drawn]
    if others:
        series.append(
            (_("Others"), [float(sum(data.get((w, p), 0) for p in others)) for w in weeks])
        )
    rows = [
        [labels.day(date.fromisoformat(w)), name, data[(w, name)]]
        for w in weeks
        for name in sorted(p for (wk, p) in data if wk == w)
    ]
    return Section(
        "interviews",
        _l("Interviews per week per interviewer"),
        _("Interviews held or scheduled in the period (not cancelled), by week (from Monday)."),
        Table(
            [Column(_l("Week of")), Column(_l("Interviewer")), Column(_l("Interviews"), INT)], rows
        ),
        Chart("stacked_bar", [labels.day(date.fromisoformat(w)) for w in weeks], series)
        if rows
        else None,
        [Figure(_l("Interviews"), sum(data.values()), INT)],
    )
