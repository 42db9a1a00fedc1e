"""The list pages' fast ``brl`` filter writes exactly what ``money`` writes."""

from decimal import Decimal

from flask_babel import force_locale

from portal.blueprints.supplies import brl
from portal.web import format_money


def test_brl_matches_money_in_both_languages(app):
    values = [
        Decimal("0"),
        Decimal("0.005"),
        Decimal("1.2"),
        Decimal("25.90"),
        Decimal("999.995"),
        Decimal("1234.5"),
        Decimal("1234567.891"),
        Decimal("-3.10"),
        7,
        0.1,
        None,
    ]
    for locale in ("en", "pt_BR"):  # brl caches per request: one request per language
        with app.test_request_context(), force_locale(locale):
            for v in values:
                assert brl(v) == format_money(v), (locale, v)


def test_qty_and_short_datetime_match_the_platform_filters(app):
    from datetime import UTC, datetime

    from portal import formatting
    from portal.blueprints.supplies import qty, short_datetime

    numbers = [0, 7, -12, 999, 1000, 1234, -4321, 1234567, None]
    moments = [datetime(2026, 1, 2, 3, 4, tzinfo=UTC), datetime(2025, 12, 31, 23, 59, tzinfo=UTC)]
    for locale in ("en", "pt_BR"):  # both cache per request: one request per language
        with app.test_request_context(), force_locale(locale):
            number = app.jinja_env.filters["number"]
            for n in numbers:
                assert qty(n) == number(n), (locale, n)
            for m in moments:
                assert short_datetime(m) == formatting.format_datetime(m), (locale, m)
            assert short_datetime(None) == ""
