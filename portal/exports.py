"""CSV exports that stay inert in a spreadsheet, whatever separator it splits on.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and treats a
leading tab or carriage return as a way to smuggle one in).  Prefixing only a value's first
character is not enough: a Brazilian Excel splits lines on ``;``, others on ``,`` or a tab, and
some ignore the quotes the file was written with, so ``Acme;=1+1`` arrives as two cells, the
second a formula.  ``safe_cell`` therefore puts an apostrophe (the spreadsheet's "this is text")
before a formula sign wherever a cell could begin: at the start of the value and after every
``,``, ``;``, tab, CR or LF in it, skipping the spaces and quotes a parser may trim.

Every CSV the portal writes goes through ``write_csv`` or ``stream_csv``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

# What makes a cell a formula (fullwidth forms included: some spreadsheets fold them).
FORMULA_SIGNS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
# Where a spreadsheet may start a new cell: separators of any locale, and line breaks.
CELL_STARTS = ",;\t\r\n"

# A cell start (the value's beginning or just after a separator), then whatever a parser may
# trim, then a formula sign (not consumed: a tab is both sign and separator, "\t=" needs two).
_UNSAFE = re.compile(
    rf"(?:\A|(?<=[{re.escape(CELL_STARTS)}]))[ \"\u00a0]*(?=[{re.escape(FORMULA_SIGNS)}])"
)


def safe_cell(value: Any) -> Any:
    """Return ``value`` ready for a CSV cell: numbers as they are, text formula-free."""
    if value is None:
        return ""
    # A finite number is never a formula (and -5 must stay a number, not the text '-5).
    number = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if number and math.isfinite(value):
        return value
    return _UNSAFE.sub(lambda m: m.group(0) + "'", str(value))


def _line(writer: Any, buffer: io.StringIO, row: Sequence[Any]) -> str:
    writer.writerow([safe_cell(v) for v in row])
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


def stream_csv(rows: Iterable[Sequence[Any]], *, bom: bool = False) -> Iterator[str]:
    """Yield the CSV text of ``rows`` line by line (header included by the caller).

    ``bom``: start with U+FEFF so Excel reads the file as UTF-8 (accents in names).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        yield "\ufeff"
    for row in rows:
        yield _line(writer, buffer, row)


def write_csv(rows: Iterable[Sequence[Any]], *, bom: bool = False) -> str:
    """Return the CSV text of ``rows`` at once."""
    return "".join(stream_csv(rows, bom=bom))
