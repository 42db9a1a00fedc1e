"""The pt_BR catalogue is complete: every string in the code is there, translated, not fuzzy."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "portal/translations/pt_BR/LC_MESSAGES/messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "pgettext": ((1, "c"), 2),
}
METHODS = [
    ("portal/**.py", "python"),
    ("worker/**.py", "python"),
    ("portal/templates/**.html", "jinja2"),
    ("portal/templates/**.txt", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdf]")


def _source_messages() -> set[str]:
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        METHODS,
        keywords=KEYWORDS,
        # babel skips "_name" folders by default; templates keep fragments in _partials/
        directory_filter=lambda path: not Path(path).name.startswith("."),
        options_map={
            "portal/templates/**.html": {"extensions": "jinja2.ext.do"},
            "portal/templates/**.txt": {"extensions": "jinja2.ext.do"},
        },
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalogue():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh, locale="pt_BR")


def test_every_source_string_is_in_the_catalogue():
    catalogue = _catalogue()
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue if m.id}
    missing = sorted(_source_messages() - ids)
    assert missing == [], f"run `make extract` and translate: {missing[:20]}"


def test_no_entry_is_untranslated_or_fuzzy():
    problems = []
    for message in _catalogue():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(strings):
            problems.append(f"untranslated: {message.id!r}")
    assert problems == [], problems[:20]


def test_placeholders_survive_translation():
    problems = []
    for message in _catalogue():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) - set(PLACEHOLDER.findall(" ".join(ids))):
                problems.append(message.id)
            if wanted and not set(PLACEHOLDER.findall(text)) and "%(num)d" not in ids[-1]:
                problems.append(message.id)
    assert problems == []
