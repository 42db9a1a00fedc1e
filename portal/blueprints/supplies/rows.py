"""The rows of the two longest supplies lists (approval queue, reorder suggestions), written in
Python.

A Jinja row with a dozen ``{{ … }}`` costs a dozen escapes, attribute lookups and filter calls;
for 25 queue rows or 50 suggestions that is most of the page's CPU. Here each page takes its
labels, URL patterns and formatters once, and each row is one f-string. Every text that comes
from data or from a catalogue (names, SKUs, units, suppliers, requesters, categories,
translations) goes through ``markupsafe.escape``; what is left is numbers and the portal's own
formatting of amounts, dates and quantities. tests/supplies/test_queue_rows.py renders hostile
names through both lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from portal.models.supplies import order_number


def grouped_int(group_sign: str) -> Callable[[int | None], str]:
    """Whole quantities with the locale's digit grouping, as the ``number``/``qty`` filters
    write them (1,234 in English, 1.234 in pt_BR)."""

    def render(value: int | None) -> str:
        number = int(value or 0)
        if -1000 < number < 1000:
            return str(number)
        return f"{number:,}".replace(",", group_sign)

    return render


def queue_rows(
    entries: Iterable[Any],
    *,
    t: Mapping[str, Any],
    urls: Mapping[str, str],
    csrf: str,
    me: int,
    money: Callable[[Any], str],
    when: Callable[[Any], str],
) -> Markup:
    """The approval queue's ``<article class="queue-row">`` elements.

    ``t``: the labels (views._queue_labels); ``urls``: per-order patterns ("%d" = order id);
    ``money``/``when``: the request's amount and short date-time formatters.
    """
    waiting = str(t["waiting"])
    meter = str(t["meter"])
    overdue = f' <span class="badge badge-danger">{escape(t["overdue"])}</span>'
    no_budget = f'<span class="muted small">{escape(t["no_budget"])}</span>'
    own = f'<span class="muted small">{escape(t["own"])}</span>'
    composed = f'<span class="muted small">{escape(t["composed"])}</span>'
    approve, reject_more = escape(t["approve"]), escape(t["reject_more"])
    see_lines = escape(t["see_lines"])
    lines = {n: escape(text) for n, text in t["lines"].items()}
    order_url, approve_url = urls["order"], urls["approve"]
    reject_form_url, lines_url = urls["reject_form"], urls["lines"]
    csrf_field = f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
    next_field = f'<input type="hidden" name="next" value="{escape(urls["queue"])}">'
    out: list[str] = []
    append = out.append
    for o in entries:
        oid, version = o.id, o.version
        order = order_url % oid
        category = o.category
        who = f"{escape(o.requester)} · {escape(category)}" if category else escape(o.requester)
        total = o.total
        budget = o.budget
        if budget:
            would_be = o.used + total
            percent = min(100, int(would_be * 100 / budget))
            text = escape(
                meter % {"used": money(o.used), "after": money(would_be), "budget": money(budget)}
            )
            budget_html = (
                f'<div class="meter{" over" if would_be > budget else ""}">'
                f'<span class="w{percent // 10 * 10}"></span></div>'
                f'<span class="small">{text}</span>'
            )
        else:
            budget_html = no_budget
        if o.requester_id == me:
            disabled, actions = " disabled", own
        elif o.composed:
            disabled, actions = " disabled", composed
        else:
            url = approve_url % oid
            disabled = ""
            actions = (
                f'<form method="post" action="{url}" class="inline" hx-post="{url}" '
                f'hx-target="#queue-{oid}" hx-swap="outerHTML">{csrf_field}'
                f'<input type="hidden" name="version" value="{version}">{next_field}'
                f'<button type="submit" class="primary small" id="approve-{oid}">{approve}</button>'
                f"</form>\n"
                f'<a href="{order}#reject-{oid}" class="small" id="reject-{oid}" '
                f'hx-get="{reject_form_url % oid}" hx-target="this" hx-swap="outerHTML">'
                f"{reject_more}</a>"
            )
        append(
            f'<article class="queue-row" id="queue-{oid}">\n'
            f'<div class="queue-select"><input type="checkbox" name="orders" '
            f'value="{oid}:{version}" form="bulk-form" id="pick-{oid}" '
            f'aria-labelledby="number-{oid}"{disabled}></div>\n'
            f'<div class="queue-order"><a href="{order}" id="number-{oid}">'
            f"<strong>{order_number(oid)}</strong></a> "
            f'<span class="muted small">{escape(waiting % {"when": when(o.submitted_at)})}</span>'
            f"{overdue if o.escalated else ''}</div>\n"
            f'<div class="queue-who">{escape(o.supplier)}<br>'
            f'<span class="muted small">{who}</span></div>\n'
            f'<div class="queue-total num"><strong>{money(total)}</strong></div>\n'
            f'<div class="queue-budget">{budget_html}</div>\n'
            f'<div class="queue-actions">{actions}</div>\n'
            # The lines load when the row is expanded; without JavaScript the link opens the
            # order.
            f'<details class="queue-lines" hx-get="{lines_url % oid}" hx-trigger="toggle once" '
            f'hx-target="find .queue-lines-body"><summary>{lines[o.line_count]}</summary>'
            f'<div class="queue-lines-body"><a href="{order}">{see_lines}</a></div></details>\n'
            f"</article>\n"
        )
    return Markup("".join(out))


def suggestion_rows(
    rows: Iterable[Any],
    *,
    explain_texts: tuple[str, str, str],
    item_url: str,
    no_supplier: str,
    money: Callable[[Any], str],
    quantity: Callable[[int | None], str],
) -> Markup:
    """The suggestions table's ``<tr>`` elements, each with its explanation.

    ``explain_texts``: the two translated explanations and the decimal sign
    (``Suggestion.explain``); ``item_url``: "%d" = item id.
    """
    none = escape(no_supplier)
    out: list[str] = []
    append = out.append
    for s in rows:
        sid = s.item_id
        supplier = s.supplier
        append(
            f'<tr id="suggestion-{sid}">'
            f'<td><input type="checkbox" name="items" value="{sid}" id="sug-{sid}" '
            f"{'checked' if s.supplier_id else 'disabled'}></td>"
            f'<td><label for="sug-{sid}"><a href="{item_url % sid}">{escape(s.name)}</a></label> '
            f'<code class="small">{escape(s.sku)}</code></td>'
            f"<td>{escape(supplier) if supplier else none}</td>"
            f'<td class="num nowrap">{quantity(s.packs * s.pack_size)} {escape(s.unit)}</td>'
            f'<td class="num">{money(s.amount)}</td>'
            f'<td class="small explain">{escape(s.explain(*explain_texts))}</td></tr>\n'
        )
    return Markup("".join(out))


def options(choices: Iterable[Any], selected: int | None) -> Markup:
    """``<option>`` elements for (id, name) rows, ``selected`` marked (filters' selects)."""
    return Markup(
        "".join(
            f'<option value="{cid}"{" selected" if cid == selected else ""}>{escape(name)}</option>'
            for cid, name in choices
        )
    )
