"""Numbers and dates from URLs, query strings and forms, within what the database holds.

Ids are INTEGER columns: PostgreSQL refuses a parameter beyond 32 bits ("integer out of
range") and SQLite's driver one beyond 64 bits, either way a 500.  So ``<int:...>`` in a route
is :class:`BoundedIntConverter` (ASCII digits, at most ``MAX_ID``; anything else does not
match, so the answer is 404), and the readers here return ``None`` for a value that is not a
number or a date the portal can work with: an unusable filter is ignored, as if it had not been
given, and the page shows the unfiltered list with the filter form.  A NUL character, which no
page of the portal sends and PostgreSQL refuses in text, makes the request a 400.
"""

from __future__ import annotations

import builtins
from datetime import date
from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # INTEGER: every id fits, and every database compares it without error
MAX_PAGE = 1_000_000  # x 200 rows a page stays inside a 32-bit OFFSET
# Dates a person can mean: also keeps ``date ± timedelta`` and the time-zone conversions of a
# day's bounds away from ``date.min``/``date.max`` (OverflowError).
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


def _at_most(limit: int) -> str:
    """A regular expression matching the decimal numbers from 0 to ``limit`` (leading zeros
    allowed): "any shorter number", then for each digit of ``limit`` "same prefix, a smaller
    digit here, anything after", then ``limit`` itself."""
    digits = str(limit)
    alternatives = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            alternatives.append(
                f"{digits[:i]}[0-{int(digit) - 1}]" + f"[0-9]{{{rest}}}" * bool(rest)
            )
    alternatives.append(digits)
    return "0*(?:" + "|".join(alternatives) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that only matches ASCII digits up to ``MAX_ID``: a bigger id is a 404,
    never a query the database refuses ("١٢" is not an id either: one URL per record).

    The bound is in the regular expression, not only in ``to_python``: Werkzeug picks the rule
    by expression and method first, so a value refused afterwards would make a POST-only URL
    answer 405 (a GET twin "matched") instead of 404.
    """

    regex = _at_most(MAX_ID)

    def __init__(
        self,
        map: Any,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        bound = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def init_app(app: Flask) -> None:
    """Install the bounded ``int`` converter (before any blueprint adds its routes) and the
    NUL check (before the access check, so that no hook reads such a value)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    """Answer 400 to a path, query string or form field holding NUL (files may hold any byte)."""
    if "\x00" in request.path:
        abort(400)
    for fields in (request.args, request.form):
        if any("\x00" in key or "\x00" in value for key, value in fields.items(multi=True)):
            abort(400)


def parse_int(value: Any, *, minimum: int | None = 0, maximum: int | None = MAX_ID) -> int | None:
    """``value`` as an int within ``[minimum, maximum]``, else ``None`` (never raises).

    Only plain ASCII digits with an optional sign count: "1e9", "0x1F", "١٢" and "1_000" are
    not numbers a form or a link of the portal would send.
    """
    if value is None:
        return None
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) > 100:  # nothing to count here; and int() refuses beyond 4300 digits
        return None
    number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def parse_date(value: Any) -> date | None:
    """``value`` as an ISO date (YYYY-MM-DD) between ``MIN_DATE`` and ``MAX_DATE``, else
    ``None``."""
    if not value:
        return None
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return day if MIN_DATE <= day <= MAX_DATE else None


def id_arg(name: str) -> int | None:
    """The query-string id ``name`` (from 1 to ``MAX_ID``), ``None`` when unusable."""
    return parse_int(request.args.get(name), minimum=1)
