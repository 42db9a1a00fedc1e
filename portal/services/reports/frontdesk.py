"""Front desk report: calls per day and hour of the week, callbacks on time, open messages,
requests by type with time to first response and to resolution.

Every figure is one grouped query; comparing with the previous period runs the period-bound
ones once more (a fixed number of queries whatever the data).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.frontdesk import CALLBACK, MESSAGE, OPEN, Call, StaffRequest
from portal.models.users import User
from portal.services.frontdesk import request_type_label
from portal.services.reports import labels, rollups
from portal.services.reports.base import (
    HOURS,
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
from portal.services.reports.sql import as_text, days_between

TITLE = _l("Front desk")


def _calls(period: Period, person: int | None) -> Any:
    start, end = period.bounds()
    conditions = [Call.created_at >= start, Call.created_at < end, Call.voided_at.is_(None)]
    if person:
        conditions.append(Call.recipient_id == person)
    return and_(*conditions)


def calls_per_day(period: Period, person: int | None) -> dict[str, int]:
    """Calls per local day: the daily rollup for sealed days, the raw calls after them."""
    source = rollups.calls_source(period, person, "day")
    rows = db.session.execute(select(source.c.day, func.sum(source.c.n)).group_by(source.c.day))
    return {as_text(d): int(n) for d, n in rows}


def calls_by_hour_of_week(period: Period, person: int | None) -> dict[tuple[int, int], int]:
    """Calls per local weekday and hour, summed over the period (rollup + raw, as above)."""
    source = rollups.calls_source(period, person, "hour")
    rows = db.session.execute(
        select(source.c.weekday, source.c.hour, func.sum(source.c.n)).group_by(
            source.c.weekday, source.c.hour
        )
    )
    return {(int(w), int(h)): int(n) for w, h, n in rows}


def callbacks_by_person(
    period: Period, person: int | None, now: datetime
) -> list[tuple[str, int, int, int, int]]:
    """(person, on time, late, overdue, not yet due) for calls that asked for a callback."""
    returned_on_time = and_(Call.returned_at.is_not(None), Call.returned_at <= Call.callback_due_at)
    late = and_(Call.returned_at.is_not(None), Call.returned_at > Call.callback_due_at)
    overdue = and_(Call.returned_at.is_(None), Call.callback_due_at < now)
    waiting = and_(Call.returned_at.is_(None), Call.callback_due_at >= now)
    rows = db.session.execute(
        select(
            func.coalesce(User.name, ""),
            func.sum(case((returned_on_time, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((waiting, 1), else_=0)),
        )
        .select_from(Call)
        .outerjoin(User, User.id == Call.recipient_id)
        .where(_calls(period, person), Call.callback_due_at.is_not(None))
        .group_by(Call.recipient_id, User.name)
        .order_by(func.coalesce(User.name, ""))
    )
    return [(name, int(a or 0), int(b or 0), int(c or 0), int(d or 0)) for name, a, b, c, d in rows]


def open_messages_by_person(person: int | None) -> list[tuple[str, int, datetime | None]]:
    """Messages and callbacks still open now, per recipient (busiest first)."""
    conditions = [
        Call.status == OPEN,
        Call.outcome.in_((MESSAGE, CALLBACK)),
        Call.voided_at.is_(None),
    ]
    if person:
        conditions.append(Call.recipient_id == person)
    rows = db.session.execute(
        select(func.coalesce(User.name, ""), func.count(), func.min(Call.created_at))
        .select_from(Call)
        .outerjoin(User, User.id == Call.recipient_id)
        .where(*conditions)
        .group_by(Call.recipient_id, User.name)
        .order_by(func.count().desc(), func.coalesce(User.name, ""))
    )
    return [(name, n, oldest) for name, n, oldest in rows]


def requests_by_type(
    period: Period, person: int | None
) -> list[tuple[str, int, int, float | None, float | None]]:
    """(type, filed, resolved, mean hours to first response, mean hours to resolution)."""
    start, end = period.bounds()
    conditions = [StaffRequest.created_at >= start, StaffRequest.created_at < end]
    if person:
        conditions.append(StaffRequest.assignee_id == person)
    first = days_between(StaffRequest.created_at, StaffRequest.triaged_at)
    resolved = days_between(StaffRequest.created_at, StaffRequest.closed_at)
    rows = db.session.execute(
        select(
            StaffRequest.type,
            func.count(),
            func.count(StaffRequest.closed_at),
            func.avg(first),
            func.avg(resolved),
        )
        .where(*conditions)
        .group_by(StaffRequest.type)
        .order_by(StaffRequest.type)
    )
    return [
        (t, n, done, None if f is None else f * 24, None if r is None else r * 24)
        for t, n, done, f, r in rows
    ]


def people_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)
    )
    return [(str(i), name) for i, name in rows]


# --- the report --------------------------------------------------------------------------------


def build(
    period: Period,
    previous: Period | None,
    *,
    person: int | None = None,
    only: str | None = None,
) -> Report:
    """The report, or only its section ``only`` (a chart, an export, a dashboard card)."""
    now = utcnow()
    makers: dict[str, Callable[[], Section]] = {
        "calls": lambda: _calls_section(
            period,
            calls_per_day(period, person),
            calls_per_day(previous, person) if previous else None,
            previous,
        ),
        "hours": lambda: _heat_section(calls_by_hour_of_week(period, person)),
        "callbacks": lambda: _callbacks_section(
            callbacks_by_person(period, person, now),
            callbacks_by_person(previous, person, now) if previous else None,
        ),
        "open": lambda: _open_section(open_messages_by_person(person)),
        "requests": lambda: _requests_section(
            requests_by_type(period, person),
            requests_by_type(previous, person) if previous else None,
        ),
    }
    sections = [make() for key, make in makers.items() if only in (None, key)]
    filters = (
        []
        if only
        else [Filter("person", _l("Person"), people_choices(), str(person or ""), _l("All people"))]
    )
    return Report("frontdesk", TITLE, period, previous, sections, filters)


def _calls_section(
    period: Period,
    per_day: dict[str, int],
    before: dict[str, int] | None,
    previous: Period | None = None,
) -> Section:
    days = period.day_list()
    counts = [per_day.get(d.isoformat(), 0) for d in days]
    total = sum(counts)
    rows = [[labels.day(d), n] for d, n in zip(days, counts, strict=True) if n]
    busiest = max(per_day.values(), default=0)
    series: list[tuple[str, list[float | None]]] = [(_("Calls"), list(counts))]
    if before is not None and previous is not None:
        # Day by day against the same position in the previous period (1st with 1st...).
        earlier = previous.day_list()
        series.append(
            (
                _("Previous period"),
                [
                    before.get(earlier[i].isoformat(), 0) if i < len(earlier) else None
                    for i in range(len(days))
                ],
            )
        )
    return Section(
        "calls",
        _l("Calls per day"),
        _("Calls logged per day (void entries excluded)."),
        Table([Column(_l("Day")), Column(_l("Calls"), INT)], rows),
        Chart("bar", [labels.day(d) for d in days], series) if total else None,
        [
            Figure(_l("Calls"), total, INT, None if before is None else sum(before.values())),
            Figure(_l("Busiest day"), busiest, INT),
        ],
    )


def _heat_section(heat: dict[tuple[int, int], int]) -> Section:
    names = labels.weekdays()
    hours = labels.hours()
    used = sorted({h for (_w, h) in heat})
    columns = [Column(_l("Day"))] + [Column(hours[h], INT) for h in used]
    rows = [[names[w]] + [heat.get((w, h), 0) for h in used] for w in range(7)]
    # The chart shows office hours (07h-19h) and any other hour that had calls, so a phone
    # screen is not spent on empty nights.
    shown = list(range(min([7, *used]), max([19, *used]) + 1))
    grid: list[tuple[str, list[float | None]]] = [
        (names[w], [heat.get((w, h), 0) for h in shown]) for w in range(7)
    ]
    return Section(
        "hours",
        _l("Calls by hour of the week"),
        _("When the phone rings: calls per weekday and hour, summed over the period."),
        Table(columns, rows if heat else []),
        Chart("heatmap", list(names), grid, INT, columns=[hours[h] for h in shown])
        if heat
        else None,
    )


def _on_time_share(rows: list[tuple[str, int, int, int, int]] | None) -> float | None:
    if rows is None:
        return None
    on_time = sum(r[1] for r in rows)
    due = sum(r[1] + r[2] + r[3] for r in rows)
    return ratio(on_time, due)


def _callbacks_section(rows, before) -> Section:
    table_rows = []
    for name, on_time, late, overdue, waiting in rows:
        due = on_time + late + overdue
        table_rows.append(
            [name or _("Nobody"), on_time, late, overdue, waiting, ratio(on_time, due)]
        )
    return Section(
        "callbacks",
        _l("Callbacks returned on time"),
        _(
            "Calls that asked for a callback, by the person who had to return them: returned "
            "by the promised time, returned late, still open after it, not yet due."
        ),
        Table(
            [
                Column(_l("Person")),
                Column(_l("On time"), INT),
                Column(_l("Late"), INT),
                Column(_l("Overdue"), INT),
                Column(_l("Not yet due"), INT),
                Column(_l("On-time share"), PERCENT),
            ],
            table_rows,
        ),
        Chart(
            "stacked_hbar",
            [r[0] for r in table_rows],
            [
                (_("On time"), [r[1] for r in table_rows]),
                (_("Late"), [r[2] for r in table_rows]),
                (_("Overdue"), [r[3] for r in table_rows]),
            ],
            # Okabe-Ito green, orange, vermillion: good, late, worse.
            colours=["#009E73", "#E69F00", "#D55E00"],
        )
        if table_rows
        else None,
        [Figure(_l("On-time share"), _on_time_share(rows), PERCENT, _on_time_share(before))],
    )


def _open_section(rows) -> Section:
    table_rows = [[name or _("Nobody"), n, oldest] for name, n, oldest in rows]
    return Section(
        "open",
        _l("Open messages by person"),
        _("Messages and callbacks not yet marked returned, now (not limited to the period)."),
        Table(
            [
                Column(_l("Person")),
                Column(_l("Still open"), INT),
                Column(_l("Oldest"), "datetime"),
            ],
            table_rows,
        ),
        Chart("hbar", [r[0] for r in table_rows], [(_("Still open"), [r[1] for r in table_rows])])
        if table_rows
        else None,
        [Figure(_l("Open messages"), sum(r[1] for r in table_rows), INT)],
    )


def _requests_section(rows, before) -> Section:
    def label(key: str) -> str:
        return str(request_type_label(key))

    table_rows = [
        [label(t), n, done, rounded(first), rounded(resolved)]
        for t, n, done, first, resolved in rows
    ]
    return Section(
        "requests",
        _l("Requests by type"),
        _(
            "Staff requests filed in the period, by type: how many, how many were resolved, "
            "and the mean hours to the first response and to resolution."
        ),
        Table(
            [
                Column(_l("Type")),
                Column(_l("Requests filed"), INT),
                Column(_l("Resolved"), INT),
                Column(_l("Hours to first response"), HOURS),
                Column(_l("Hours to resolution"), HOURS),
            ],
            table_rows,
        ),
        Chart(
            "hbar",
            [r[0] for r in table_rows],
            [
                (_("Hours to first response"), [r[3] for r in table_rows]),
                (_("Hours to resolution"), [r[4] for r in table_rows]),
            ],
            HOURS,
        )
        if table_rows
        else None,
        [
            Figure(
                _l("Requests filed"),
                sum(r[1] for r in table_rows),
                INT,
                None if before is None else sum(r[1] for r in before),
            )
        ],
    )
