"""The list pages' ``qty`` filter writes exactly what ``number`` writes for whole numbers."""

from flask_babel import force_locale


def test_qty_matches_the_platform_number_filter(app):
    from portal.blueprints.supplies import qty

    numbers = [0, 7, -12, 999, 1000, 1234, -4321, 1234567, None]
    for locale in ("en", "pt_BR"):
        with app.test_request_context(), force_locale(locale):
            number = app.jinja_env.filters["number"]
            for n in numbers:
                assert qty(n) == number(n), (locale, n)
