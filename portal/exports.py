"""CSV exports that stay inert in a spreadsheet, whatever separator it splits on.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and treats a
leading tab or carriage return as a way to smuggle one in).  Prefixing only a value's first
character is not enough: a Brazilian Excel splits lines on ``;``, others on ``,`` or a tab, and
some ignore the quotes the file was written with, so ``Acme;=1+1`` arrives as two cells, the
second a formula.  ``safe_cell`` therefore puts an apostrophe (the spreadsheet's "this is text")
before a formula sign wherever a cell could begin: at the start of the value and after every
``,``, ``;``, tab, CR or LF in it, skipping the spaces and quotes a parser may trim.

Every CSV the portal writes goes through ``write_csv`` or ``stream_csv``, in the conventions of
the reader's language so a spreadsheet opens it right with a double click: for Portuguese (a
locale whose decimal sign is a comma) cells are separated by ``;`` and decimals written
``1234,5``; for English by ``,`` with ``1234.5``.  Every file starts with a UTF-8 BOM (Excel
otherwise reads accents as Windows-1252).  Dates and times are local, to the minute, in the
locale's numeric order (``03/12/2026 10:05``), never UTC ISO with microseconds.  Lazy strings
(labels) are written in the reader's language.

``write_xlsx`` writes the same rows as an Excel workbook with typed cells (numbers, dates) for
lists offered in both formats; text cells stay text there (a leading ``=`` is not a formula).
``export_response`` is how every list's export view answers (``?format=csv`` or ``xlsx``), with
``_macros/exports.html``'s ``export_links`` beside the list carrying its current filters.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import get_decimal_symbol
from flask import (
    Response,
    current_app,
    has_app_context,
    has_request_context,
    request,
)
from werkzeug.wsgi import wrap_file

SPOOL_BYTES = 8 * 1024 * 1024  # a CSV download larger than this is spooled to a temporary file

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


@dataclass(frozen=True)
class Conventions:
    """How one language's spreadsheets read a CSV."""

    delimiter: str
    decimal: str
    date: str  # strftime pattern
    zone: tzinfo

    @property
    def datetime(self) -> str:
        return self.date + " %H:%M"


def conventions(locale: str | None = None) -> Conventions:
    """The CSV conventions of ``locale`` (default: the request's, else the portal's default)."""
    if locale is None:
        locale = _current_locale()
    decimal = get_decimal_symbol(Locale.parse(locale))
    zone_name = (
        current_app.config.get("BABEL_DEFAULT_TIMEZONE", "America/Sao_Paulo")
        if has_app_context()
        else "America/Sao_Paulo"
    )
    zone = ZoneInfo(zone_name)
    if decimal == ",":
        return Conventions(";", ",", "%d/%m/%Y", zone)
    return Conventions(",", ".", "%Y-%m-%d", zone)


def _current_locale() -> str:
    if not has_app_context():
        return "en"
    from portal.i18n import current_locale

    found = current_locale()
    return str(found) if found else current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def _number(value: int | float | Decimal, conv: Conventions) -> str | int:
    if isinstance(value, int):
        return value
    text = format(value, "f") if isinstance(value, Decimal) else repr(value)
    return text.replace(".", conv.decimal) if conv.decimal != "." else text


def _local(value: datetime, conv: Conventions) -> datetime:
    if value.tzinfo is None:  # the portal stores UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(conv.zone)


def _cell(value: Any, conv: Conventions) -> Any:
    """One value in the reader's conventions, formula-free."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return safe_cell(str(value))
    if isinstance(value, (int, float, Decimal)) and math.isfinite(value):
        return _number(value, conv)
    if isinstance(value, datetime):
        return _local(value, conv).strftime(conv.datetime)
    if isinstance(value, date):
        return value.strftime(conv.date)
    return safe_cell(str(value))  # text, lazy strings (labels), anything else


def stream_csv(
    rows: Iterable[Sequence[Any]], *, bom: bool = True, locale: str | None = None
) -> Iterator[str]:
    """Yield the CSV text of ``rows`` line by line (header included by the caller).

    ``locale``: whose conventions (default: the request's language).  ``bom``: start with U+FEFF
    so Excel reads the file as UTF-8 (accents in names); on unless a machine reads the file.
    """
    conv = conventions(locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=conv.delimiter)
    if bom:
        yield "\ufeff"
    for row in rows:
        writer.writerow([_cell(v, conv) for v in row])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        yield text


def write_csv(rows: Iterable[Sequence[Any]], *, bom: bool = True, locale: str | None = None) -> str:
    """Return the CSV text of ``rows`` at once."""
    return "".join(stream_csv(rows, bom=bom, locale=locale))


def read_csv_rows(text: str) -> list[list[str]]:
    """Read back a CSV this module (or a spreadsheet) wrote: BOM dropped, ``;`` or ``,`` found."""
    delimiter = sniff_delimiter(text)
    text = text.lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


# --- XLSX -------------------------------------------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_xlsx(rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    """An Excel workbook of ``rows`` (the first one the header) with typed cells.

    Numbers stay numbers, dates and times are Excel dates (local time, to the minute), labels
    are written in the reader's language; text is always text (never a formula).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    conv = conventions()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Export")
    date_style, datetime_style = "DD/MM/YYYY", "DD/MM/YYYY HH:MM"
    if conv.decimal == ".":
        date_style, datetime_style = "YYYY-MM-DD", "YYYY-MM-DD HH:MM"
    from openpyxl.cell import WriteOnlyCell

    for index, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet)
            if value is None:
                cell.value = None
            elif isinstance(value, bool):
                cell.value = str(value)
            elif isinstance(value, (int, float, Decimal)):
                cell.value = value
            elif isinstance(value, datetime):
                cell.value = _local(value, conv).replace(tzinfo=None, second=0, microsecond=0)
                cell.number_format = datetime_style
            elif isinstance(value, date):
                cell.value = value
                cell.number_format = date_style
            else:
                cell.value = str(value)
                cell.data_type = "s"  # "=1+1" is the text "=1+1", not a formula
            if index == 0:
                cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- one answer for every list's export ------------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")


def export_format(value: str | None = None) -> str:
    """``csv`` or ``xlsx`` from ``?format=`` (anything else, or nothing, is CSV)."""
    if value is None and has_request_context():
        value = request.args.get("format")
    return "xlsx" if (value or "").strip().lower() == "xlsx" else "csv"


def export_response(
    rows: Iterable[Sequence[Any]],
    filename: str,
    fmt: str | None = None,
    *,
    title: str | None = None,
) -> Response:
    """A list's download: ``rows`` (the first one the header, labels not codes, numbers as
    numbers, datetimes as UTC datetimes) as CSV in the reader's conventions (BOM, ``;`` and
    decimal comma in Portuguese) or, with ``?format=xlsx``, an Excel workbook with typed cells.

    ``filename`` without extension; the download is stamped with the local date and time.
    """
    fmt = export_format(fmt)
    conv = conventions()
    stamp = datetime.now(conv.zone).strftime("%Y%m%d-%H%M")
    name = f"{safe_filename(filename)}-{stamp}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if fmt == "xlsx":
        return Response(
            write_xlsx(rows, title=title or filename), mimetype=XLSX_MIMETYPE, headers=headers
        )
    # Written out while the request (its user, language, database session) is still here, into
    # a file that stays in memory up to a few megabytes and spills to disk beyond: a long list
    # never sits in memory whole, and nothing runs after the view has returned.
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the response closes it)
    for chunk in stream_csv(rows):
        body.write(chunk.encode("utf-8"))
    body.seek(0)
    return Response(
        wrap_file(request.environ, body),
        mimetype="text/csv; charset=utf-8",
        headers=headers,
        direct_passthrough=True,
    )


def safe_filename(name: str) -> str:
    """A download name's stem: ASCII letters, digits, ``-`` and ``_`` only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "export"


def sniff_delimiter(text: str) -> str:
    """``;`` or ``,``: whichever the header line of a CSV uses more (Brazilian Excel: ``;``)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","
