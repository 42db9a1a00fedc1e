"""Hostile cell values and the check every CSV export must pass (issue 10, item 7).

A spreadsheet may split a line on "," (English Excel, LibreOffice), ";" (Brazilian Excel) or a
tab, with or without honouring the quotes; whichever it does, no cell may start with a formula
sign.  The check parses the export back every one of those ways.
"""

from __future__ import annotations

import csv
import io
import re

# What a cell must never start with (after the spaces and quotes a parser may trim).
FORMULA_SIGNS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

HOSTILE = [
    "=1+1",
    "Acme;=1+1;",
    "Acme,=2+2,",
    "Acme; +3+3",
    'Acme;"=HYPERLINK(""http://evil"")"',
    "tab\t=4+4",
    "semi;;@SUM(A1)",
    "-5+cmd|' /C calc'!A0",
    "line\n=5+5",
    "\uff1d6+6",
]


def cells(text: str) -> list[tuple[str, str]]:
    """Every (how, cell) a spreadsheet could see in ``text``."""
    text = text.lstrip("\ufeff")
    out = []
    for delimiter in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            out += [(f"csv {delimiter!r}", cell) for cell in row]
    # A parser that ignores quotes altogether.
    for line in re.split(r"[\r\n]", text):
        out += [("naive", cell) for cell in re.split(r"[,;\t]", line)]
    return out


def assert_formula_free(text: str) -> None:
    bad = [
        (how, cell)
        for how, cell in cells(text)
        if cell.lstrip(' "\u00a0').startswith(FORMULA_SIGNS)
    ]
    assert bad == [], bad[:10]
