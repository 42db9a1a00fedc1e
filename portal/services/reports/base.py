"""What a report is made of: sections, each with a caption, a chart, a table and headline figures.

Services compute these read models (values only, already aggregated); templates place them,
``charts`` draws them as SVG and ``exports`` writes their tables as CSV or XLSX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.services.reports.periods import Period

# Cell kinds: how a value is formatted (templates, charts, spreadsheets).
TEXT, INT, MONEY, DAYS, HOURS, PERCENT = "text", "int", "money", "days", "hours", "percent"
PRICE = "price"  # money per page: fractions of a centavo


@dataclass(frozen=True)
class Column:
    label: Any
    kind: str = TEXT


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Chart:
    """Data for one chart; ``kind``: bar, hbar, stacked_bar, stacked_hbar, line or heatmap."""

    kind: str
    labels: list[str]
    series: list[tuple[str, list[float | None]]]
    unit: str = INT
    # heatmap only: rows (labels) x columns
    columns: list[str] = field(default_factory=list)
    # Colours by series when they carry a meaning (on time / late / overdue); else the palette.
    colours: list[str] | None = None


@dataclass(frozen=True)
class Figure:
    """A headline number, with the previous period's value when comparing."""

    label: Any
    value: float | int | None
    kind: str = INT
    previous: float | int | None = None

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (None when not comparable)."""
        if self.previous in (None, 0) or self.value is None:
            return None
        return (self.value - self.previous) / abs(self.previous)


@dataclass
class Section:
    key: str
    title: Any
    caption: Any  # what it shows and for which period
    table: Table
    chart: Chart | None = None
    figures: list[Figure] = field(default_factory=list)
    note: Any = None
    # At most this many table rows on the page (the exports always hold them all).
    page_rows: int | None = None

    @property
    def shown_rows(self) -> list[list[Any]]:
        return self.table.rows[: self.page_rows] if self.page_rows else self.table.rows

    @property
    def empty(self) -> bool:
        return not self.table.rows


@dataclass
class Filter:
    """A select on the report's form: ``choices`` are (value, label)."""

    name: str
    label: Any
    choices: list[tuple[str, str]]
    value: str = ""
    all_label: Any = ""  # the empty choice: "All people", "All categories"...


@dataclass
class Report:
    name: str
    title: Any
    period: Period
    previous: Period | None
    sections: list[Section]
    filters: list[Filter] = field(default_factory=list)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def query_args(self) -> dict[str, str]:
        args = dict(self.period.query_args())
        if self.previous is not None:
            args["compare"] = "1"
        for f in self.filters:
            if f.value:
                args[f.name] = f.value
        return args


def ratio(part: float | int | None, whole: float | int | None) -> float | None:
    if not whole or part is None:
        return None
    return part / whole


def rounded(value: Any, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)
