"""Fill the pt_BR catalogue from the translation fragments each area keeps.

Usage: python tools/po_merge.py  (run by `make extract` after `pybabel update`).
Fragments live in portal/translations/fragments/<area>.po; an entry already translated in the
catalogue is replaced only when the fragment says something different.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "portal/translations/pt_BR/LC_MESSAGES/messages.po"
FRAGMENTS = ROOT / "portal/translations/fragments"


def _pad(string, forms: int):
    """Fill every plural form (pt_BR has three in current CLDR: one, many, other)."""
    if not isinstance(string, tuple):
        return string
    values = [v for v in string if v]
    last = values[-1] if values else ""
    padded = [v or last for v in string] + [last] * (forms - len(string))
    return tuple(padded[:forms])


def main() -> int:
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh, locale="pt_BR")
    known = {}
    for path in sorted(FRAGMENTS.glob("*.po")):
        with path.open("rb") as fh:
            fragment = read_po(fh, locale="pt_BR")
        for message in fragment:
            if (
                message.id
                and message.string
                and any(message.string if isinstance(message.string, tuple) else [message.string])
            ):
                ident = message.id if not isinstance(message.id, tuple) else message.id[0]
                known[(message.context, ident)] = message
    filled = missing = 0
    for message in catalogue:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        source = known.get((message.context, key))
        if source is not None:
            message.string = _pad(source.string, catalogue.num_plurals)
            if "fuzzy" in message.flags:
                message.flags.discard("fuzzy")
            filled += 1
        elif not (message.string if not isinstance(message.string, tuple) else all(message.string)):
            missing += 1
            print(f"untranslated: {key!r}", file=sys.stderr)
    with CATALOGUE.open("wb") as fh:
        write_po(fh, catalogue, width=100, omit_header=False)
    print(f"{filled} entries filled from fragments, {missing} still untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
