"""The approval queue: approve or send back, one order inline or several at once."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, flash, make_response, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal import formatting, htmx
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import (
    ApproveForm,
    BulkApproveForm,
    BulkRejectForm,
    RejectForm,
    VersionForm,
)
from portal.blueprints.supplies.views.common import reraise_unless_invalid, url_pattern
from portal.blueprints.supplies.views.orders import order_page
from portal.pagination import page_arg
from portal.security import requires
from portal.services import supplies
from portal.web import safe_next, unit_of_work

# Fired after a decision: the navigation's pending-approvals badge fetches its count again.
QUEUE_CHANGED = "supplies-approvals-changed"


class QueueRow:
    """One order as its queue row shows it, every value formatted once for the page.

    Built from the queue's read model (``supplies.QueueEntry``) or, after an inline decision,
    from the order itself (``decided`` then holds the message shown instead of the actions).
    """

    __slots__ = (
        "budget",
        "decided",
        "escalated",
        "id",
        "line_count",
        "meter",
        "number",
        "over",
        "percent",
        "supplier",
        "blocked",
        "lines",
        "lines_url",
        "order_url",
        "approve_url",
        "reject_url",
        "tone",
        "total",
        "version",
        "waiting",
        "who",
        "approvers",
        "why_not",
        "on_behalf",
    )

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))


def _who(requester: str, category: str | None) -> str:
    return f"{requester} · {category}" if category else requester


def queue_rows(
    entries: list[Any], t: dict[str, Any], urls: dict[str, str], *, me: int
) -> list[QueueRow]:
    """The page's rows: money, dates, labels and URLs worked out once a row, with formatters
    looked up once a page."""
    money = formatting.money_formatter()
    when = formatting.datetime_formatter("short")
    meter, waiting, lines = t["meter"], t["waiting"], t["lines"]
    order_url, approve_url = urls["order"], urls["approve"]
    reject_url, lines_url = urls["reject_form"], urls["lines"]
    rows = []
    for o in entries:
        budget = o.budget
        would_be = o.used + o.total
        rows.append(
            QueueRow(
                id=o.id,
                version=o.version,
                number=o.number,
                waiting=waiting % {"when": when(o.submitted_at)},
                escalated=o.escalated,
                supplier=o.supplier,
                who=_who(o.requester, o.category),
                total=money(o.total),
                budget=bool(budget),
                percent=min(100, int(would_be * 100 / budget)) // 10 * 10 if budget else 0,
                over=bool(budget) and would_be > budget,
                meter=meter
                % {"used": money(o.used), "after": money(would_be), "budget": money(budget)}
                if budget
                else "",
                # The approval chain decided for the page at once (supplies.chain): whether the
                # viewer may decide, on whose behalf, or why not.
                blocked=None if o.can_decide else (o.why_not or t["own"]),
                line_count=o.line_count,
                approvers=", ".join(o.approvers) if o.approvers else t["nobody"],
                on_behalf=t["on_behalf"] % {"manager": o.on_behalf_of} if o.on_behalf_of else "",
                lines=lines[o.line_count],
                order_url=order_url % o.id,
                approve_url=approve_url % o.id,
                reject_url=reject_url % o.id,
                lines_url=lines_url % o.id,
            )
        )
    return rows


def decided_row(order: Any, message: str) -> QueueRow:
    """The row of an order just approved or sent back (it replaces itself in the queue)."""
    on_behalf = order.on_behalf_of
    return QueueRow(
        id=order.id,
        version=order.version,
        number=order.number,
        supplier=order.supplier.name,
        who=_who(order.requester.name, order.category.name if order.category else None),
        total=formatting.format_money(order.total),
        decided=message,
        tone=order.status_tone,
        order_url=url_for("supplies.order", order_id=order.id),
        meter=_("on behalf of %(manager)s", manager=on_behalf.name) if on_behalf else "",
    )


@lru_cache(maxsize=8)
def _queue_texts(locale: str) -> dict[str, str]:
    """The fixed texts of the queue for ``locale`` (the catalogues do not change at run time)."""
    return {
        "order": _("Order"),
        "who": _("Supplier / requester"),
        "total": _("Total"),
        "budget": _("Budget this month"),
        "decision": _("Decision"),
        # Formatted per row with %: the placeholders stay as in the catalogue.
        "waiting": _("waiting since %(when)s"),
        "meter": _("%(used)s used → %(after)s of %(budget)s"),
        "overdue": _("Overdue"),
        "no_budget": _("No budget set"),
        "own": _("Your own order: someone else approves it."),
        "composed": _("You changed this order's lines: someone else approves it."),
        "approve": _("Approve"),
        "reject_more": _("Reject…"),
        "approve_selected": _("Approve selected"),
        "nothing": _("Nothing waits for your approval."),
        "see_lines": _("Open the order to see its lines."),
        "who_approves": _("Who can approve it now"),
        "nobody": _("Nobody can approve it now."),
        "on_behalf": _("on behalf of %(manager)s"),
        "reject_selected": _("Send selected back"),
        "reject_reason": _("Reason for sending back"),
        "over_reason": _("Over budget: approve from the order's page, with a reason."),
    }


def queue_labels(line_counts: set[int]) -> dict[str, Any]:
    """The queue's labels, translated once per locale and process (each row repeats them)."""
    return {
        **_queue_texts(str(get_locale() or "en")),
        "lines": {n: ngettext("%(num)d line", "%(num)d lines", n) for n in line_counts},
    }


def queue_urls() -> dict[str, str]:
    return {
        "order": url_pattern("supplies.order"),
        "lines": url_pattern("supplies.order_lines"),
        "approve": url_pattern("supplies.order_approve"),
        "reject_form": url_pattern("supplies.order_reject_form"),
        "queue": url_for("supplies.queue"),
        "bulk": url_for("supplies.bulk_approve"),
        "bulk_reject": url_for("supplies.bulk_reject"),
        "badge": url_for("supplies.queue_badge"),
    }


@bp.get("/approvals")
@requires("purchase.approve")
def queue():
    page = supplies.pending_queue(
        page=page_arg(), per_page=current_app.config["PAGE_SIZE"], viewer=current_user
    )
    t = queue_labels({e.line_count for e in page.items})
    urls = queue_urls()
    return htmx.render(
        "supplies/queue.html",
        "supplies/_partials/_queue.html",
        page=page,
        rows=queue_rows(page.items, t, urls, me=current_user.id),
        t=t,
        urls=urls,
        csrf=generate_csrf(),
        on_behalf=supplies.approved_on_behalf_of(current_user),
    )


def _decided(order: Any, message: str):
    return render_template(
        "supplies/_partials/_queue_row.html",
        row=decided_row(order, message),
        t=queue_labels(set()),
        urls=queue_urls(),
        csrf="",
    )


def _back_to(form: VersionForm, order: Any) -> str:
    return safe_next(form.next.data, "") or url_for("supplies.order", order_id=order.id)


@bp.post("/orders/<int:order_id>/approve")
@requires("purchase.approve")
def order_approve(order_id: int):
    order = supplies.get_order_or_404(order_id)
    form = ApproveForm()
    form.validate()
    with unit_of_work(form) as work:
        supplies.approve_order(
            order,
            approver=current_user,
            seen_version=form.seen_version(),
            budget_reason=form.budget_reason.data,
        )
    reraise_unless_invalid(work)
    if not work.ok:  # beyond the budget without a reason: asked next to the field
        order = supplies.get_order_or_404(order_id)
        if htmx.wants_fragment():
            response = htmx.render(
                "supplies/_partials/_approve_form.html",
                "supplies/_partials/_approve_form.html",
                order=order,
                approve=form,
                status_code=422,
            )
            response.headers["HX-Retarget"] = f"#approve-form-{order.id}"
            response.headers["HX-Reswap"] = "outerHTML"
            return response
        return order_page(order, status=422, approve=form)
    if htmx.wants_fragment():
        return htmx.trigger(make_response(_decided(order, _("Approved"))), QUEUE_CHANGED)
    flash(_("%(number)s approved.", number=order.number), "success")
    return htmx.trigger(htmx.redirect_to(_back_to(form, order)), QUEUE_CHANGED)


@bp.get("/orders/<int:order_id>/reject")
@requires("purchase.approve")
def order_reject_form(order_id: int):
    """The reason field of the queue's inline reject (loaded when "Reject…" is clicked)."""
    order = supplies.get_order_or_404(order_id)
    if htmx.wants_fragment():
        return render_template(
            "supplies/_partials/_reject_form.html",
            order=order,
            reject=RejectForm(formdata=None, version=order.version),
            compact=True,
        )
    return order_page(order)


@bp.post("/orders/<int:order_id>/reject")
@requires("purchase.approve")
def order_reject(order_id: int):
    order = supplies.get_order_or_404(order_id)
    form = RejectForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplies.reject_order(
                order,
                approver=current_user,
                reason=form.reason.data or "",
                seen_version=form.seen_version(),
            )
        reraise_unless_invalid(work)
        if work.ok:
            if htmx.wants_fragment():
                return htmx.trigger(
                    make_response(_decided(order, _("Sent back to the requester"))),
                    QUEUE_CHANGED,
                )
            flash(_("%(number)s sent back to the requester.", number=order.number), "success")
            return htmx.trigger(htmx.redirect_to(_back_to(form, order)), QUEUE_CHANGED)
        order = supplies.get_order_or_404(order_id)
    if htmx.wants_fragment():
        response = htmx.render(
            "supplies/_partials/_reject_form.html",
            "supplies/_partials/_reject_form.html",
            order=order,
            reject=form,
            compact=True,
            status_code=422,
        )
        response.headers["HX-Retarget"] = f"#reject-{order.id}"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return order_page(order, status=422, reject=form)


@bp.post("/approvals/bulk")
@requires("purchase.approve")
def bulk_approve():
    form = BulkApproveForm()
    form.validate()
    with unit_of_work(form) as work:
        done, refused = supplies.bulk_approve(form.orders.data or [], approver=current_user)
    if not work.ok:
        flash(work.error.message if work.error else _("Select at least one order."), "error")
        return htmx.redirect_to(url_for("supplies.queue"))
    if done:
        flash(_("Approved: %(numbers)s.", numbers=", ".join(o.number for o in done)), "success")
    for number, reason in refused:
        flash(f"{number}: {reason}", "error")
    return htmx.redirect_to(url_for("supplies.queue"))


@bp.post("/approvals/bulk-reject")
@requires("purchase.approve")
def bulk_reject():
    """Send every selected order back with one reason."""
    form = BulkRejectForm()
    form.validate()
    with unit_of_work(form) as work:
        done, refused = supplies.bulk_reject(
            form.orders.data or [], approver=current_user, reason=form.reason.data or ""
        )
    reraise_unless_invalid(work)
    if not work.ok:
        flash(work.error.message if work.error else _("Select at least one order."), "error")
        return htmx.redirect_to(url_for("supplies.queue"))
    if done:
        flash(_("Sent back: %(numbers)s.", numbers=", ".join(o.number for o in done)), "success")
    for number, reason in refused:
        flash(f"{number}: {reason}", "error")
    return htmx.trigger(htmx.redirect_to(url_for("supplies.queue")), QUEUE_CHANGED)


@bp.get("/approvals/badge")
@requires("purchase.approve")
def queue_badge():
    """The navigation's pending-approvals count, swapped in place after a decision (out of
    band: the queue listens for ``QUEUE_CHANGED``)."""
    from portal.models.supplies import PENDING_APPROVAL

    return render_template(
        "supplies/_partials/_queue_badge.html",
        n=supplies.count_orders((PENDING_APPROVAL,)),
        nav_url=url_for("supplies.items"),
    )
