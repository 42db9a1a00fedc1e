"""A report value as text in the current locale (PDF cells, chart labels)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_currency, format_datetime, format_decimal, format_percent

from portal.services.reports.base import DAYS, HOURS, MONEY, PERCENT, PRICE


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return format_datetime(value, "short")
    if kind == MONEY:
        return format_currency(value, "BRL")
    if kind == PRICE:
        return format_currency(value, "BRL", "¤\xa0#,##0.0000", currency_digits=False)
    if kind == PERCENT:
        return format_percent(value, "#,##0.#%")
    if kind in (DAYS, HOURS):
        return format_decimal(round(float(value), 1), "#,##0.#")
    if isinstance(value, (int, float)):
        return format_decimal(value)
    return str(value)
