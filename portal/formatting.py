"""Locale-aware dates and money for lists, as fast as plain string formatting.

Babel re-reads the CLDR pattern and walks it field by field on every call (about 30 µs for a
short date and time); a 50-row list with two dates a row spends more time there than in its
query. Here each (pattern, locale, zone) is compiled once into a list of small callables and
reused. The output is Babel's own, character for character — ``tests/core/test_formatting.py``
compares the two over every format, both languages and thousands of values — and any pattern
field this module does not know falls back to Babel itself.

Templates use these through the ``datetime``, ``date``, ``money`` and ``number`` filters; Python
code that formats many values in a loop takes a formatter once (:func:`datetime_formatter`,
:func:`money_formatter`) for the request's locale and zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

Formatter = Callable[[Any], str]
_ZERO = Decimal(0)
_SEEN_DATES = 4096  # dates remembered per date formatter


# --- dates and times ----------------------------------------------------------------------------


_PAD2 = tuple(f"{i:02d}" for i in range(100))
_TWO_DIGITS = {1: "", 2: ":02d"}


def _field(char: str, count: int, locale: Locale) -> str | Callable[[Any], str] | None:
    """One CLDR field: a ``str.format`` field of the value (``"0.month:02d"``), a function of the
    value giving its text when a name table or arithmetic is needed, or None when Babel must do
    it."""
    if char == "y":
        if count == 2:
            return lambda v: _PAD2[v.year % 100]
        return "0.year" if count == 1 else f"0.year:0{count}d"
    if char in "ML":
        if count <= 2:
            return "0.month" + _TWO_DIGITS[count]
        width = {3: "abbreviated", 4: "wide"}.get(count, "narrow")
        months = dict(locale.months["format" if char == "M" else "stand-alone"][width])
        return lambda v: months[v.month]
    if char == "d" and count <= 2:
        return "0.day" + _TWO_DIGITS[count]
    if char == "E":
        width = {4: "wide", 5: "narrow", 6: "short"}.get(count, "abbreviated")
        days = dict(locale.days["format"][width])
        return lambda v: days[v.weekday()]
    if char == "h" and count <= 2:
        if count == 2:
            return lambda v: _PAD2[v.hour % 12 or 12]
        return lambda v: str(v.hour % 12 or 12)
    if char == "H" and count <= 2:
        return "0.hour" + _TWO_DIGITS[count]
    if char == "m" and count <= 2:
        return "0.minute" + _TWO_DIGITS[count]
    if char == "s" and count <= 2:
        return "0.second" + _TWO_DIGITS[count]
    if char == "a":
        width = {4: "wide", 5: "narrow"}.get(count, "abbreviated")
        periods = locale.day_periods["format"][width]
        am, pm = str(periods["am"]), str(periods["pm"])
        return lambda v: pm if v.hour >= 12 else am
    return None


def _compile(pattern: str, locale: Locale) -> Callable[[datetime], str] | None:
    """Turn a CLDR pattern into one ``str.format`` template, built once.

    Plain fields read the value's attributes inside the template (``{0.day:02d}``); names and
    12-hour clocks are computed by small functions whose results fill ``{1}``, ``{2}``...
    """
    template: list[str] = []
    computed: list[Callable[[Any], str]] = []
    for kind, value in babel_dates.tokenize_pattern(pattern):
        if kind == "chars":
            template.append(value.replace("{", "{{").replace("}", "}}"))
            continue
        field = _field(value[0], value[1], locale)
        if field is None:
            return None
        if isinstance(field, str):
            template.append("{" + field + "}")
        else:
            computed.append(field)
            template.append("{" + str(len(computed)) + "}")
    fill = "".join(template).format
    if not computed:
        return fill
    if len(computed) == 1:
        (only,) = computed
        return lambda v: fill(v, only(v))
    parts = tuple(computed)
    return lambda v: fill(v, *[part(v) for part in parts])


def _aware(value: datetime, zone: tzinfo) -> datetime:
    if value.tzinfo is None:  # the portal stores UTC; Babel reads naive values the same way
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


NAMED = ("short", "medium", "long", "full")


def named_pattern(fmt: str, locale: Locale) -> str:
    """The CLDR pattern of a named datetime format, its time always to the minute.

    The portal never shows seconds or a time zone name ("10:00", not "10:00:00" or "10:00:00
    Horário Padrão de Brasília"): the date part follows ``fmt``, the time part is the locale's
    short time, joined the locale's way for ``fmt``.  ``"when"`` is ``"full"`` (an appointment:
    weekday, date and time).
    """
    name = "full" if fmt == "when" else fmt
    combined = str(babel_dates.get_datetime_format(name, locale=locale))
    return combined.replace(
        "{1}", babel_dates.get_date_format(name, locale=locale).pattern
    ).replace("{0}", babel_dates.get_time_format("short", locale=locale).pattern)


@lru_cache(maxsize=256)
def datetime_formatter_for(fmt: str, locale_name: str, zone: tzinfo) -> Formatter:
    """A formatter of datetimes for one format name (``short``, ``medium``, ``long``, ``full``,
    ``when``: the time always to the minute) or CLDR pattern, locale and zone."""
    locale = Locale.parse(locale_name)
    if fmt in NAMED or fmt == "when":
        fmt = named_pattern(fmt, locale)
    whole = _compile(fmt, locale)
    if whole is not None:
        return lambda value: whole(_aware(value, zone)) if value else ""

    def fallback(value: datetime | None) -> str:
        if not value:
            return ""
        return babel_dates.format_datetime(value, fmt, tzinfo=zone, locale=locale)

    return fallback


@lru_cache(maxsize=256)
def date_formatter_for(fmt: str, locale_name: str, zone: tzinfo) -> Formatter:
    """A formatter of dates (or of datetimes, shown as their local date)."""
    locale = Locale.parse(locale_name)
    pattern = (
        babel_dates.get_date_format(fmt, locale=locale).pattern
        if fmt in ("short", "medium", "long", "full")
        else fmt
    )
    compiled = _compile(pattern, locale)
    # Plain dates repeat down a list (due dates, delivery days): each is formatted once.
    seen: dict[date, str] = {}

    def render(value: date | datetime | None) -> str:
        if not value:
            return ""
        if isinstance(value, datetime):
            value = _aware(value, zone)
        else:
            text = seen.get(value)
            if text is not None:
                return text
        if compiled is not None:
            text = compiled(value)  # type: ignore[arg-type]
        else:
            text = babel_dates.format_date(value, fmt, locale=locale)
        if len(seen) < _SEEN_DATES and type(value) is date:
            seen[value] = text
        return text

    return render


# --- money and numbers --------------------------------------------------------------------------


@lru_cache(maxsize=64)
def money_formatter_for(currency: str, locale_name: str) -> Formatter:
    """A formatter of amounts in ``currency`` with the locale's standard currency pattern."""
    locale = Locale.parse(locale_name)
    pattern = locale.currency_formats["standard"]
    digits = babel_numbers.get_currency_precision(currency)
    symbol = babel_numbers.get_currency_symbol(currency, locale=locale)
    symbols = babel_numbers.get_decimal_symbol(locale), babel_numbers.get_group_symbol(locale)
    simple = (  # "#,##0.00" with a prefix/suffix: every currency pattern of our languages
        pattern.grouping == (3, 3)
        and pattern.int_prec[0] == 1
        and pattern.frac_prec == (2, 2)
        and pattern.scale == 0
        and pattern.exp_prec is None
        and digits == 2
    )
    if not simple:

        def fallback(value: Any) -> str:
            return babel_numbers.format_currency(value or 0, currency, locale=locale)

        return fallback
    (pos_prefix, neg_prefix), (pos_suffix, neg_suffix) = pattern.prefix, pattern.suffix
    pos_prefix, neg_prefix = pos_prefix.replace("¤", symbol), neg_prefix.replace("¤", symbol)
    pos_suffix, neg_suffix = pos_suffix.replace("¤", symbol), neg_suffix.replace("¤", symbol)
    decimal_sign, group_sign = symbols
    quantum = Decimal(1).scaleb(-digits)
    table = str.maketrans({",": group_sign, ".": decimal_sign})

    def render(value: Any) -> str:
        if not value:  # None, 0, -0.00: shown as zero, never "-R$0.00"
            value = _ZERO
        elif not isinstance(value, Decimal):
            value = Decimal(str(value))
        negative = value.is_signed()
        text = f"{abs(value).quantize(quantum, ROUND_HALF_EVEN):,.{digits}f}".translate(table)
        if negative:
            return neg_prefix + text + neg_suffix
        return pos_prefix + text + pos_suffix

    return render


@lru_cache(maxsize=64)
def number_formatter_for(locale_name: str) -> Formatter:
    locale = Locale.parse(locale_name)
    return lambda value: babel_numbers.format_decimal(value or 0, locale=locale)


# --- the request's locale and zone ----------------------------------------------------------------


@lru_cache(maxsize=64)
def _zoneinfo_named(name: str) -> tzinfo:
    return ZoneInfo(name)


def _zoneinfo(zone: Any) -> tzinfo:
    """Flask-Babel hands out pytz zones; zoneinfo converts the same zone several times faster."""
    name = getattr(zone, "zone", None)
    if zone is None or name == "UTC":
        return UTC
    return _zoneinfo_named(name) if name else zone


def _request_formatters() -> tuple[str, tzinfo, dict[tuple[str, str], Formatter]]:
    """The request's locale name, zone and the formatters already taken for them, remembered
    next to Flask-Babel's own state (keyed by the locale object, so ``force_locale`` still
    switches languages)."""
    from flask_babel import get_timezone

    from portal.i18n import babel_state, current_locale

    state = babel_state()
    if state is not None:
        cached = state.__dict__.get("_portal_formatting")
        if cached is not None and cached[0] is state.__dict__.get("babel_locale"):
            return cached[1], cached[2], cached[3]
    locale = current_locale()
    name, zone = str(locale or "en"), _zoneinfo(get_timezone())
    taken: dict[tuple[str, str], Formatter] = {}
    state = babel_state()
    if state is not None and locale is not None:
        state._portal_formatting = (locale, name, zone, taken)
    return name, zone, taken


def _taken(kind: str, arg: str) -> Formatter:
    """This request's formatter of ``kind`` for ``arg`` (a format name or a currency)."""
    name, zone, taken = _request_formatters()
    found = taken.get((kind, arg))
    if found is None:
        if kind == "money":
            found = money_formatter_for(arg, name)
        else:
            found = (datetime_formatter_for if kind == "datetime" else date_formatter_for)(
                arg, name, zone
            )
        taken[kind, arg] = found
    return found


def datetime_formatter(fmt: str = "short") -> Formatter:
    return _taken("datetime", fmt)


def date_formatter(fmt: str = "medium") -> Formatter:
    return _taken("date", fmt)


def money_formatter(currency: str = "BRL") -> Formatter:
    return _taken("money", currency)


def format_datetime(value: datetime | None, fmt: str = "short") -> str:
    return datetime_formatter(fmt)(value) if value else ""


def format_date(value: date | datetime | None, fmt: str = "medium") -> str:
    return date_formatter(fmt)(value) if value else ""


def format_money(value: Any, currency: str = "BRL") -> str:
    return money_formatter(currency)(value)
