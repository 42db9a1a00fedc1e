"""A report section's table as CSV (``portal.exports``, formula-safe) or XLSX (openpyxl)."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from portal.exports import safe_cell, write_csv
from portal.services.reports.base import DAYS, HOURS, MONEY, PERCENT, PRICE, Section
from portal.services.reports.periods import zone

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {
    MONEY: '"R$" #,##0.00',
    PRICE: '"R$" #,##0.0000',
    PERCENT: "0.0%",
    DAYS: "0.0",
    HOURS: "0.0",
}


def _plain(value: Any) -> Any:
    """A cell value a spreadsheet takes as it is (aware datetimes in local time, naive)."""
    if isinstance(value, datetime):
        return value.astimezone(zone()).replace(tzinfo=None, microsecond=0)
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    return str(value)


def _csv_value(value: Any, kind: str) -> Any:
    plain = _plain(value)
    if isinstance(plain, datetime):
        return plain.strftime("%Y-%m-%d %H:%M")
    if kind == PERCENT and isinstance(plain, float):
        return round(plain * 100, 1)
    return plain


def section_csv(section: Section) -> str:
    header = [str(c.label) + (" (%)" if c.kind == PERCENT else "") for c in section.table.columns]
    kinds = [c.kind for c in section.table.columns]
    rows = [
        [_csv_value(v, k) for v, k in zip(row, kinds, strict=True)] for row in section.table.rows
    ]
    return write_csv([header, *rows], bom=True)


def section_xlsx(section: Section, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = (title or "report")[:31]
    sheet.append([str(section.caption)])
    sheet.append([str(c.label) for c in section.table.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    kinds = [c.kind for c in section.table.columns]
    for row in section.table.rows:
        sheet.append(
            [safe_cell(_plain(v)) if isinstance(_plain(v), str) else _plain(v) for v in row]
        )
        for cell, kind in zip(sheet[sheet.max_row], kinds, strict=True):
            if kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[kind]
            elif isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
    for index, column in enumerate(section.table.columns, start=1):
        width = max(
            [len(str(column.label))] + [len(str(r[index - 1] or "")) for r in section.table.rows]
        )
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = min(
            max(width + 2, 10), 60
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
