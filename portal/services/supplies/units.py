"""Units of supply items, with a singular and a plural: "1 caixa", "3 caixas", never "3 frasco".

An item's unit is one of a few known kinds (``unit_kind``: ``box``, ``ream``…), translated with
``npgettext`` so each language picks its own plural, or ``other`` with the words typed by a
person (``unit`` singular, ``unit_plural`` plural).  For ``other`` the number picks the form by
the locale's CLDR plural rule (Portuguese: 0 and 1 take the singular, like the catalogue's
``Plural-Forms``).  Every quantity shown with a unit goes through ``unit_word`` /
``quantity_with_unit`` (the ``qty_unit`` template filter).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import has_app_context
from flask_babel import get_locale, lazy_pgettext, npgettext

from portal.models.supplies import UNIT_WORDS, fold_unit

OTHER = "other"

# kind -> (English singular, English plural); the words are translated in unit_word.
KINDS: dict[str, tuple[str, str]] = {
    "unit": ("unit", "units"),
    "box": ("box", "boxes"),
    "pack": ("pack", "packs"),
    "ream": ("ream", "reams"),
    "bottle": ("bottle", "bottles"),
    "roll": ("roll", "rolls"),
    "package": ("package", "packages"),
    "litre": ("litre", "litres"),
    "kg": ("kg", "kg"),
}


def _word(kind: str, n: int | float) -> str:
    # One literal call per kind, so pybabel extracts each pair.
    if kind == "unit":
        return npgettext("unit of measure", "unit", "units", n)
    if kind == "box":
        return npgettext("unit of measure", "box", "boxes", n)
    if kind == "pack":
        return npgettext("unit of measure", "pack", "packs", n)
    if kind == "ream":
        return npgettext("unit of measure", "ream", "reams", n)
    if kind == "bottle":
        return npgettext("unit of measure", "bottle", "bottles", n)
    if kind == "roll":
        return npgettext("unit of measure", "roll", "rolls", n)
    if kind == "package":
        return npgettext("unit of measure", "package", "packages", n)
    if kind == "litre":
        return npgettext("unit of measure", "litre", "litres", n)
    return npgettext("unit of measure", "kg", "kg", n)


def kind_choices() -> list[tuple[str, Any]]:
    """The unit picker's options: each known kind by its plural name, then "other"."""
    return [
        ("unit", lazy_pgettext("unit of measure (picker)", "Units")),
        ("box", lazy_pgettext("unit of measure (picker)", "Boxes")),
        ("pack", lazy_pgettext("unit of measure (picker)", "Packs")),
        ("ream", lazy_pgettext("unit of measure (picker)", "Reams")),
        ("bottle", lazy_pgettext("unit of measure (picker)", "Bottles")),
        ("roll", lazy_pgettext("unit of measure (picker)", "Rolls")),
        ("package", lazy_pgettext("unit of measure (picker)", "Packages")),
        ("litre", lazy_pgettext("unit of measure (picker)", "Litres")),
        ("kg", lazy_pgettext("unit of measure (picker)", "Kilograms (kg)")),
        (OTHER, lazy_pgettext("unit of measure (picker)", "Other (type its names)")),
    ]


def kind_of(text: str | None) -> str | None:
    """The known kind a typed word names (singular or plural, pt or en), else None."""
    if not text:
        return None
    return UNIT_WORDS.get(fold_unit(text))


def from_text(singular: str | None, plural: str | None = None) -> tuple[str, str, str]:
    """(kind, singular, plural) for words a person typed or a CSV holds: a known word becomes
    its kind; anything else is "other" with its words (the plural defaults to the singular)."""
    singular = (singular or "").strip()[:20]
    plural = (plural or "").strip()[:20]
    kind = kind_of(singular) or (kind_of(plural) if not singular else None)
    if kind is not None:
        return kind, kind, kind
    if not singular:
        return "unit", "unit", "unit"
    return OTHER, singular, plural or singular


@lru_cache(maxsize=16)
def _plural_rule(locale: str) -> Callable[[Any], str]:
    return Locale.parse(locale).plural_form


def _locale() -> str:
    found = get_locale() if has_app_context() else None
    return str(found) if found else "en"


def unit_word(kind: str | None, singular: str | None, plural: str | None, n: int | float) -> str:
    """The unit's word agreeing with ``n`` in the reader's language."""
    if kind in KINDS:
        return _word(kind, n)
    singular = singular or ""
    plural = plural or singular
    try:
        one = _plural_rule(_locale())(abs(n)) == "one"
    except (ValueError, TypeError):
        one = n == 1
    return singular if one else plural


def item_unit_word(item: Any, n: int | float) -> str:
    """``unit_word`` for anything with ``unit_kind``, ``unit`` and ``unit_plural`` (an item or
    a row of a query that selected them)."""
    return unit_word(
        getattr(item, "unit_kind", None),
        getattr(item, "unit", None),
        getattr(item, "unit_plural", None),
        n,
    )


def quantity_with_unit(n: int | float | None, item: Any, *, fmt: Callable[[Any], str] = str) -> str:
    """ "3 caixas": ``n`` formatted by ``fmt`` (the locale's grouping), then its unit."""
    value = n or 0
    return f"{fmt(value)} {item_unit_word(item, value)}"
