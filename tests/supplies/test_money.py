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
