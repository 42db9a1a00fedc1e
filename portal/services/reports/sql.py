"""Date buckets and durations in SQL that mean the same on SQLite and PostgreSQL.

Reports group in the database (one grouped query per figure), by local calendar day, week,
month or hour of the week.  PostgreSQL converts each timestamp with the zone's rules
(``timezone(zone, ts)``), so a bucket is exact across daylight-saving changes.  SQLite has no
zone database: there the timestamp is shifted by the zone's UTC offset at the period's start
(exact for zones without daylight saving, such as America/Sao_Paulo since 2019; development
and tests only).  Every bucket comes back as text (``YYYY-MM-DD``, ``YYYY-MM``) or a number, the
same on both.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Date, Float, Integer, String, cast, func, literal

from portal.extensions import db
from portal.services.reports.periods import Period, zone


def dialect() -> str:
    return db.session.get_bind().dialect.name


class Buckets:
    """Bucket expressions for one period (the SQLite offset is the zone's at its start)."""

    def __init__(self, period: Period) -> None:
        self.pg = dialect() == "postgresql"
        self.zone = zone().key
        offset = datetime.combine(period.start, time(), zone()).utcoffset()
        seconds = int(offset.total_seconds()) if offset else 0
        self.modifier = f"{seconds:+d} seconds"

    def _local(self, col: Any) -> Any:
        return func.timezone(self.zone, col)

    def day(self, col: Any) -> Any:
        """``YYYY-MM-DD`` of the local day."""
        if self.pg:
            return func.to_char(self._local(col), "YYYY-MM-DD")
        return func.strftime("%Y-%m-%d", col, self.modifier)

    def month(self, col: Any) -> Any:
        """``YYYY-MM`` of the local month."""
        if self.pg:
            return func.to_char(self._local(col), "YYYY-MM")
        return func.strftime("%Y-%m", col, self.modifier)

    def week(self, col: Any) -> Any:
        """``YYYY-MM-DD`` of the Monday of the local week."""
        if self.pg:
            return func.to_char(func.date_trunc("week", self._local(col)), "YYYY-MM-DD")
        return func.strftime("%Y-%m-%d", col, self.modifier, "-6 days", "weekday 1")

    def weekday(self, col: Any) -> Any:
        """Local day of the week, 0 = Monday … 6 = Sunday."""
        if self.pg:
            return cast(func.extract("isodow", self._local(col)), Integer) - 1
        return (cast(func.strftime("%w", col, self.modifier), Integer) + 6) % 7

    def hour(self, col: Any) -> Any:
        """Local hour, 0–23."""
        if self.pg:
            return cast(func.extract("hour", self._local(col)), Integer)
        return cast(func.strftime("%H", col, self.modifier), Integer)


def days_between(start: Any, end: Any) -> Any:
    """``end - start`` in days, as a float expression."""
    if dialect() == "postgresql":
        return cast(func.extract("epoch", end - start), Float) / 86400.0
    return func.julianday(end) - func.julianday(start)


def as_text(value: Any) -> str:
    """A bucket value as text (PostgreSQL may hand back a date)."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


__all__ = ["Buckets", "Date", "String", "as_text", "days_between", "dialect", "literal"]
