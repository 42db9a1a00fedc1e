"""The fast formatters print exactly what Babel prints, in both languages and every format."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from portal import formatting

LOCALES = ["en", "pt_BR"]
ZONES = [ZoneInfo("America/Sao_Paulo"), ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata")]


def _instants(n: int = 400) -> list[datetime]:
    rng = random.Random(3)
    start = datetime(1999, 12, 31, 23, 59, tzinfo=UTC)
    values = [start + timedelta(seconds=rng.randrange(0, 40 * 365 * 86400)) for _ in range(n)]
    # every hour of a day, both sides of noon and midnight, and naive (stored UTC) values
    values += [datetime(2026, 11, 27, h, 5, 9, tzinfo=UTC) for h in range(24)]
    values += [datetime(2026, 1, 1, 0, 0), datetime(2026, 12, 31, 12, 0)]
    return values


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "dd/MM HH:mm", "EEE d MMM"])
def test_datetimes_match_babel(locale: str, fmt: str) -> None:
    for zone in ZONES:
        fast = formatting.datetime_formatter_for(fmt, locale, zone)
        for value in _instants():
            pattern = fmt
            if fmt in formatting.NAMED:  # the time to the minute: no seconds, no zone name
                pattern = formatting.named_pattern(fmt, babel_dates.Locale.parse(locale))
            expected = babel_dates.format_datetime(value, pattern, tzinfo=zone, locale=locale)
            assert fast(value) == expected, (value, zone)
    assert fast(None) == ""


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "when"])
def test_named_datetimes_never_show_seconds(locale: str, fmt: str) -> None:
    value = datetime(2026, 12, 3, 13, 5, 42, tzinfo=UTC)
    text = formatting.datetime_formatter_for(fmt, locale, ZONES[0])(value)
    assert "10:05" in text and ":42" not in text and "Bras" not in text, text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full"])
def test_dates_match_babel(locale: str, fmt: str) -> None:
    zone = ZONES[0]
    fast = formatting.date_formatter_for(fmt, locale, zone)
    for value in _instants(100):
        local = value.replace(tzinfo=value.tzinfo or UTC).astimezone(zone)
        assert fast(value) == babel_dates.format_date(local.date(), fmt, locale=locale)
        assert fast(value.date()) == babel_dates.format_date(value.date(), fmt, locale=locale)
    assert fast(date(2026, 2, 3)) == babel_dates.format_date(date(2026, 2, 3), fmt, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_money_matches_babel(locale: str) -> None:
    rng = random.Random(5)
    values: list = [0, 1, -1, 0.1, 0.005, 0.015, -0.004, 999.995, 1234.5, -98765.432, 10**9 + 0.5]
    values += [Decimal("0.00"), Decimal("-0.00"), Decimal("12.345"), Decimal("12.355"), None]
    values += [Decimal(rng.randrange(-(10**9), 10**9)) / 100 for _ in range(500)]
    values += [rng.uniform(-1e6, 1e6) for _ in range(200)]
    fast = formatting.money_formatter_for("BRL", locale)
    for value in values:
        expected = babel_numbers.format_currency(value or 0, "BRL", locale=locale)
        assert fast(value) == expected, value
    usd = formatting.money_formatter_for("USD", locale)
    assert usd(Decimal("1234.5")) == babel_numbers.format_currency(
        Decimal("1234.5"), "USD", locale=locale
    )


def test_filters_use_the_request_locale_and_zone(app) -> None:
    app.config["BABEL_DEFAULT_TIMEZONE"] = "America/Sao_Paulo"
    when = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    # a fresh app context for each request: Flask-Babel keeps the locale on ``g``
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "pt-BR"}):
        env = app.jinja_env
        html = env.from_string("{{ w|datetime }}|{{ w|date }}|{{ 1234.5|money }}").render(w=when)
        assert html == "27/11/2026 12:30|27 de nov. de 2026|R$\xa01.234,50"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = app.jinja_env.from_string("{{ w|datetime }}|{{ 1234.5|money }}").render(w=when)
        assert html == "11/27/26, 12:30\u202fPM|R$1,234.50"


def test_common_formats_take_the_fast_path() -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    for locale in LOCALES:
        assert formatting.datetime_formatter_for("short", locale, zone).__name__ != "fallback"
        assert formatting.datetime_formatter_for("medium", locale, zone).__name__ != "fallback"
        assert formatting.money_formatter_for("BRL", locale).__name__ != "fallback"


def test_force_locale_switches_template_translations_and_formats(app) -> None:
    """E-mails are rendered in the recipient's language inside a request in another one."""
    from flask_babel import force_locale

    when = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    template = app.jinja_env.from_string("{{ _('Cancel') }} {{ w|datetime }}")
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = template.render(w=when)
        with force_locale("pt_BR"):
            portuguese = template.render(w=when)
        assert template.render(w=when) == english
    assert english.startswith("Cancel ") and "PM" in english
    assert portuguese.startswith("Cancelar ") and "/11/2026" in portuguese
