"""Report periods: this month, the last 3 or 12 months, or custom dates, in the company's zone.

A period is a range of local calendar days ``[start, end)``; a month is a calendar month in the
company's time zone (``BABEL_DEFAULT_TIMEZONE``).  "Compare with the previous period" compares a
month-based period with the same days as many months earlier, and custom dates with the same
number of days just before them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from portal.errors import ValidationError

PRESETS = ("month", "3m", "12m", "custom")
MONTHS = {"month": 1, "3m": 3, "12m": 12}
MAX_DAYS = 731  # two years: enough for any comparison, small enough for day buckets


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "America/Sao_Paulo")


def local_today() -> date:
    return datetime.now(zone()).date()


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Period:
    """Local days ``start`` (inclusive) to ``end`` (exclusive); ``months`` for the presets."""

    start: date
    end: date
    preset: str = "custom"
    months: int = 0

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants (for comparisons on stored timestamps)."""
        z = zone()
        return (
            datetime.combine(self.start, time(), z).astimezone(UTC),
            datetime.combine(self.end, time(), z).astimezone(UTC),
        )

    def previous(self) -> Period:
        if self.months:
            start = add_months(self.start, -self.months)
            end = add_months(self.end - timedelta(days=1), -self.months) + timedelta(days=1)
            return Period(start, max(end, start + timedelta(days=1)), self.preset, self.months)
        return Period(self.start - timedelta(days=self.days), self.start, self.preset, 0)

    def month_keys(self) -> list[str]:
        """``YYYY-MM`` of every calendar month the period touches, in order."""
        keys, day = [], month_start(self.start)
        while day < self.end:
            keys.append(f"{day.year:04d}-{day.month:02d}")
            day = add_months(day, 1)
        return keys

    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def week_starts(self) -> list[date]:
        """Mondays of the weeks the period touches."""
        monday = self.start - timedelta(days=self.start.weekday())
        weeks = []
        while monday < self.end:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    def query_args(self) -> dict[str, str]:
        """The URL arguments that select this period again (links to charts and exports)."""
        if self.preset != "custom":
            return {"period": self.preset}
        return {"period": "custom", "from": self.start.isoformat(), "to": self.last_day.isoformat()}


def preset(name: str, today: date | None = None) -> Period:
    """This month (to today), or the last 3 / 12 calendar months including this one."""
    today = today or local_today()
    months = MONTHS[name]
    start = add_months(month_start(today), -(months - 1))
    return Period(start, today + timedelta(days=1), name, months)


def _parse_day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(_("Enter a valid date."), field=field) from None


def from_args(args: Any, *, default: str = "3m", today: date | None = None) -> Period:
    """The period a report's query string asks for (``period``, and ``from`` / ``to``)."""
    name = args.get("period") or default
    if name not in PRESETS:
        name = default
    if name != "custom":
        return preset(name, today)
    start = _parse_day(args.get("from"), "from")
    last = _parse_day(args.get("to"), "to")
    if last < start:
        raise ValidationError(_("The end date must not be before the start date."), field="to")
    if (last - start).days >= MAX_DAYS:
        raise ValidationError(_("Choose a period of at most two years."), field="to")
    return Period(start, last + timedelta(days=1), "custom", 0)
