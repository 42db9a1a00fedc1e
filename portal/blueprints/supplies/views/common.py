"""Shared by the supplies views: row URL patterns, refusals, list quantities."""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for

from portal.web import Work


def url_pattern(endpoint: str, key: str = "order_id") -> str:
    """``url_for`` once for a whole list: "%d" stands for the row's id (``pattern % id``)."""
    marker = 987654321
    return url_for(endpoint, **{key: marker}).replace(str(marker), "%d")


def reraise_unless_invalid(work: Work) -> None:
    """A refusal that is not about the input (403, 404, 409) goes to the error handler; only a
    422 is shown next to the form's fields."""
    if work.error is not None and work.error.status_code != 422:
        raise work.error


def grouped_int(group_sign: str) -> Callable[[int | None], str]:
    """Whole quantities with the locale's digit grouping, as the ``number``/``qty`` filters
    write them (1,234 in English, 1.234 in pt_BR)."""

    def render(value: int | None) -> str:
        number = int(value or 0)
        if -1000 < number < 1000:
            return str(number)
        return f"{number:,}".replace(",", group_sign)

    return render
