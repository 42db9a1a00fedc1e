"""Axis labels in the reader's language: days, weeks, months, weekdays, hours."""

from __future__ import annotations

from datetime import date

from babel.dates import format_skeleton, get_day_names
from flask_babel import get_locale


def _locale() -> str:
    return str(get_locale() or "en")


def day(value: date) -> str:
    """3 Dec / 3 de dez."""
    return format_skeleton("MMMd", value, locale=_locale())


def month(key: str) -> str:
    """``YYYY-MM`` as Dec 2026 / dez. de 2026."""
    year, number = key.split("-")
    return format_skeleton("yMMM", date(int(year), int(number), 1), locale=_locale())


def weekdays() -> list[str]:
    """Mon … Sun in the reader's language (Monday first)."""
    names = get_day_names("abbreviated", locale=_locale())
    return [str(names[i]) for i in range(7)]


def hours() -> list[str]:
    return [f"{h:02d}h" for h in range(24)]
