"""Draw a report chart as a standalone SVG document, on the server, without JavaScript.

- Columns over time (bar, stacked_bar, line) are drawn by pygal with its JavaScript switched
  off (``js=[]``) and its inline configuration ``<script>`` removed from the tree.
- Horizontal bars (categories with long Portuguese names) and the hour-of-week heatmap are
  small Jinja SVG templates (``templates/reports/hbar.svg``, ``heatmap.svg``): each label is
  written on its own line above its bar, wrapped, never truncated, and every bar carries its
  value.
Any ``<script>`` left in the result is refused (``UnsafeChart``).

The SVG keeps pygal's ``<style>``, so charts are served as their own ``image/svg+xml`` responses
and shown with ``<img>``: the page's CSP (``style-src 'self'``) is untouched, and the image
response carries a CSP of its own that allows only inline styles (``blueprints/reports``).

Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies;
the heatmap uses one hue, light to dark.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from typing import Any

import pygal
from babel.numbers import format_currency
from flask import render_template
from flask_babel import get_locale
from pygal.etree import etree as pygal_etree
from pygal.style import Style

from portal.services.reports.base import INT, MONEY, Chart
from portal.services.reports.cells import cell_text

# Okabe & Ito (2008), most distinct first; yellow last (weak on white).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
)
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
WIDTH = 640
NARROW = 360  # phones (a <picture> source) and dashboard cards
CHAR_PX = 7.4  # mean width of a character of a 13 px label (DejaVu Sans)

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#7b8794",
    colors=PALETTE,
    font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    tooltip_font_size=12,
    no_data_font_size=20,
    opacity=".95",
    opacity_hover="1",
    transition="0ms",
)


class UnsafeChart(ValueError):
    """The renderer produced something a chart must never contain (a script)."""


def formatter(unit: str) -> Callable[[Any], str]:
    """How a value of ``unit`` is written on a chart, in the current locale (whole reais)."""
    if unit == MONEY:
        locale = str(get_locale() or "en")
        return lambda v: (
            "–"
            if v is None
            else format_currency(v, "BRL", "¤\xa0#,##0", locale=locale, currency_digits=False)
        )
    return lambda value: cell_text(value, unit)


def nice_ticks(peak: float, most: int, *, whole: bool) -> list[float]:
    """0 to at least ``peak`` in at most ``most`` + 1 round steps (1, 2, 2.5, 5 x 10^k)."""
    peak = max(float(peak), 1.0 if whole else 0.1)
    raw = peak / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, math.ceil(step))
    count = math.ceil(peak / step - 1e-9)
    return [round(i * step, 6) for i in range(count + 1)]


def render_svg(chart: Chart, *, narrow: bool = False) -> str:
    """The chart as an SVG document (text), with no script in it."""
    if chart.kind == "heatmap":
        svg = _heatmap(chart)
    elif chart.kind in ("hbar", "stacked_hbar"):
        svg = _hbar(chart, narrow)
    else:
        svg = _pygal(chart, narrow)
    if "<script" in svg.lower():
        raise UnsafeChart("chart SVG contains a script")
    return svg


# --- columns over time: pygal ------------------------------------------------------------------


def _pygal(chart: Chart, narrow: bool) -> str:
    width = NARROW if narrow else WIDTH
    legend_rows = len(chart.series) if narrow else (len(chart.series) + 1) // 2
    legend = 24 * legend_rows + 8 if len(chart.series) > 1 else 0
    fmt = formatter(chart.unit)
    count = len(chart.labels)
    longest = max((len(label) for label in chart.labels), default=0)
    room = (width - 90) / max(count, 1)  # pixels per column
    rotate = longest * CHAR_PX > room  # labels that would touch are turned, never cut
    every = max(1, math.ceil(count / (8 if narrow else 16)))
    kinds: dict[str, Any] = {"bar": pygal.Bar, "stacked_bar": pygal.StackedBar, "line": pygal.Line}
    stacked = chart.kind == "stacked_bar"
    if stacked:
        peak = max(
            (sum(s[i] or 0 for _n, s in chart.series) for i in range(len(chart.labels))),
            default=0,
        )
    else:
        peak = max((v or 0 for _n, s in chart.series for v in s), default=0)
    graph = kinds[chart.kind](
        js=[],  # no pygal.js tooltips: the chart is a picture
        style=STYLE,
        width=width,
        height=(250 if narrow else 320) + legend + (50 if rotate else 0),
        truncate_label=-1,
        truncate_legend=-1,
        show_legend=len(chart.series) > 1,
        legend_at_bottom=True,
        legend_at_bottom_columns=1 if narrow else 2,
        value_formatter=fmt,
        margin=10,
        spacing=8,
        x_label_rotation=-45 if rotate else 0,
        show_minor_x_labels=every == 1,
        x_labels_major_every=every if every > 1 else None,
        show_dots=count <= 40,
        y_labels=nice_ticks(peak, 4 if narrow else 6, whole=chart.unit == INT),
        no_data_text="",
    )
    graph.x_labels = list(chart.labels)
    for name, values in chart.series:
        graph.add(name, list(values))
    return _without_scripts(graph.render_tree())


def _without_scripts(tree: Any) -> str:
    """Serialise pygal's tree without its ``<script>`` elements.

    ``js=[]`` drops pygal's external scripts, but pygal still writes an inline one holding its
    configuration (``window.pygal.config``); an image needs neither.
    """
    parents = {child: parent for parent in tree.iter() for child in parent}
    for element in list(tree.iter()):
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1].lower() == "script":
            parents[element].remove(element)
    return pygal_etree.tostring(tree, encoding="unicode")


# --- categories: horizontal bars, label above each bar -----------------------------------------

PAD = 10
LINE = 17  # label line height
BAR = 16  # one bar's height (grouped bars: one per series)
GAP = 12  # between categories
VALUE_ROOM = 96  # room right of the longest bar for its value


def _hbar(chart: Chart, narrow: bool) -> str:
    width = NARROW if narrow else WIDTH
    fmt = formatter(chart.unit)
    stacked = chart.kind == "stacked_hbar"
    plot = width - 2 * PAD - VALUE_ROOM
    wrap = max(int((width - 2 * PAD) / CHAR_PX), 12)
    if stacked:
        peak = max(
            (sum(s[i] or 0 for _n, s in chart.series) for i in range(len(chart.labels))),
            default=0,
        )
    else:
        peak = max((v or 0 for _n, s in chart.series for v in s), default=0)
    scale = plot / peak if peak else 0
    names = [name for name, _values in chart.series]
    rows, y = [], PAD
    for index, label in enumerate(chart.labels):
        lines = textwrap.wrap(str(label), wrap) or [""]
        texts = [(line, y + LINE * (i + 1) - 4) for i, line in enumerate(lines)]
        y += LINE * len(lines) + 2
        values = [series[index] for _name, series in chart.series]
        bars = []
        if stacked:
            x, segments = float(PAD), []
            for i, (name, value) in enumerate(zip(names, values, strict=True)):
                length = (value or 0) * scale
                if length > 0:
                    segments.append((x, length, _colour(i, chart), f"{name}: {fmt(value)}"))
                x += length
            total = sum(v or 0 for v in values)
            bars.append({"y": y, "segments": segments, "value": fmt(total), "value_x": x + 5})
            y += BAR + 2
        else:
            for i, (name, value) in enumerate(zip(names, values, strict=True)):
                length = (value or 0) * scale
                segments = (
                    [(PAD, length, _colour(i, chart), f"{name}: {fmt(value)}")] if length else []
                )
                bars.append(
                    {"y": y, "segments": segments, "value": fmt(value), "value_x": PAD + length + 5}
                )
                y += BAR + 2
        rows.append({"texts": texts, "bars": bars})
        y += GAP
    legend = []
    if len(chart.series) > 1:
        per_line = 1 if narrow else 2
        column_width = (width - 2 * PAD) / per_line
        for i, name in enumerate(names):
            line, col = divmod(i, per_line)
            legend.append((PAD + col * column_width, y + line * 20, _colour(i, chart), name))
        y += 20 * math.ceil(len(chart.series) / per_line)
    return render_template(
        "reports/hbar.svg",
        width=width,
        height=y + PAD,
        rows=rows,
        legend=legend,
        bar=BAR,
        font=FONT,
    )


def _colour(index: int, chart: Chart | None = None) -> str:
    if chart is not None and chart.colours and index < len(chart.colours):
        return chart.colours[index]
    return PALETTE[index % len(PALETTE)]


# --- hour of the week: heatmap -----------------------------------------------------------------

HEAT_STEPS = 6


def heat_level(value: float, peak: float) -> int:
    """Shade 0 (none) to 5 (the busiest hour) for the heatmap."""
    if not value or not peak:
        return 0
    return max(1, min(HEAT_STEPS - 1, round(value / peak * (HEAT_STEPS - 1))))


def _heatmap(chart: Chart) -> str:
    rows = [(label, values) for label, values in chart.series]
    peak = max((v or 0 for _l, values in rows for v in values), default=0)
    cells = [[(v or 0, heat_level(v or 0, peak)) for v in values] for _label, values in rows]
    label_width = int(max((len(label) for label, _v in rows), default=3) * CHAR_PX) + 12
    return render_template(
        "reports/heatmap.svg",
        rows=[label for label, _v in rows],
        cells=cells,
        columns=chart.columns,
        label_width=label_width,
        cell=22,
        fmt=formatter(chart.unit),
        # Light to dark blue (one hue, readable by colour-blind readers); 0 is "no calls".
        shades=("#f5f7fa", "#deebf7", "#9ecae1", "#4292c6", "#08519c", "#08306b"),
        ink=("#1f2933", "#1f2933", "#1f2933", "#ffffff", "#ffffff", "#ffffff"),
    )
