"""Purchase orders: the list, a new draft, the order's page and the actions on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import formatting, htmx
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import (
    AddLineForm,
    ApproveForm,
    CancelForm,
    OrderNewForm,
    RejectForm,
    VersionForm,
    receive_form,
)
from portal.blueprints.supplies.views.common import (
    reraise_unless_invalid,
    url_pattern,
)
from portal.exports import export_response
from portal.extensions import db
from portal.models.supplies import (
    ORDER_STATUSES,
    RECEIVABLE_STATUSES,
    STATUS_LABELS,
    STATUS_TONES,
    PurchaseOrder,
    SupplyItem,
    order_number,
)
from portal.pagination import page_arg
from portal.security import requires
from portal.services import supplies
from portal.web import unit_of_work


class OrderRow:
    """One order as the list shows it: number, date, money and status label formatted once."""

    __slots__ = ("created", "id", "label", "number", "requester", "supplier", "tone", "total")

    def __init__(self, r: Any, *, money, day, labels: dict[str, str]) -> None:
        self.id = r.id
        self.number = order_number(r.id)
        self.supplier = r.supplier
        self.requester = r.requester
        self.created = day(r.created_at)
        self.total = money(r.total)
        self.label = labels[r.status]
        self.tone = STATUS_TONES[r.status]


def order_rows(rows: list[Any], labels: dict[str, str]) -> list[OrderRow]:
    money = formatting.money_formatter()
    day = formatting.date_formatter()
    return [OrderRow(r, money=money, day=day, labels=labels) for r in rows]


@bp.get("/orders")
@requires("supplies.view")
def orders():
    status = request.args.get("status", "")
    q = request.args.get("q", "")
    page = supplies.order_page(
        status=status, q=q, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    labels = {s: str(label) for s, label in STATUS_LABELS.items()}
    return htmx.render(
        "supplies/orders.html",
        "supplies/_partials/_order_rows.html",
        page=page,
        rows=order_rows(page.items, labels),
        status=status,
        q=q,
        statuses=ORDER_STATUSES,
        labels=labels,
        order_url=url_pattern("supplies.order"),
    )


@bp.get("/orders.csv")
@requires("supplies.view")
def orders_export():
    """The purchase-order list as CSV or XLSX, with the same filters as the page."""
    rows = supplies.export_orders_csv(
        status=request.args.get("status", ""), q=request.args.get("q", "")
    )
    return export_response(rows, "purchase-orders", title=_("Purchase orders"))


def _order_new_page(form: OrderNewForm, status: int = 200):
    form.supplier_id.set_choices(supplies.list_suppliers_all())
    return render_template("supplies/order_new.html", form=form), status


@bp.get("/orders/new")
@requires("purchase.create")
def order_new():
    return _order_new_page(OrderNewForm())


@bp.post("/orders")
@requires("purchase.create")
def order_create():
    form = OrderNewForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplier = supplies.get_supplier_or_404(form.supplier_id.data)
            order = supplies.create_order(
                supplier=supplier, actor=current_user, notes=form.notes.data
            )
        if work.ok:
            return htmx.redirect_to(url_for("supplies.order", order_id=order.id))
    return _order_new_page(form, 422)


def order_page(
    order: PurchaseOrder, *, status: int = 200, fragment: str | None = None, **failed: Any
) -> Response:
    """The order's page with a fresh form for each action, except those in ``failed`` (the one
    the user just sent back with errors, as they filled it in: ``add_form``, ``receive``,
    ``reject`` or ``action``)."""
    forms: dict[str, Any] = {
        "add_form": AddLineForm(formdata=None, version=order.version),
        "receive": receive_form(
            [ln.id for ln in order.lines], formdata=None, version=order.version
        ),
        "reject": RejectForm(formdata=None, version=order.version),
        "approve": ApproveForm(formdata=None, version=order.version),
        "action": VersionForm(formdata=None, version=order.version),
        **failed,
    }
    items: list[SupplyItem] = []
    if order.status == "draft":
        items = list(
            db.session.scalars(
                supplies.list_items(status="active").where(
                    SupplyItem.supplier_id == order.supplier_id
                )
            )
        )
        forms["add_form"].item_id.set_choices(
            items, label=lambda i: f"{i.name} ({supplies.money(i.unit_cost)})"
        )
    context = {
        "order": order,
        "rights": supplies.order_rights(order, current_user),
        "receipts": supplies.list_receipts(order) if fragment is None else [],
        "items": items,
        # Who can approve it now and why (the approval chain), and the budget it would exceed.
        "approval": supplies.approval_explanation(order)
        if order.status == "pending_approval"
        else None,
        "over": supplies.over_budget(order) if order.status == "pending_approval" else None,
        **forms,
    }
    if fragment is not None:
        return htmx.render("supplies/order.html", fragment, status_code=status, **context)
    return htmx.render("supplies/order.html", "supplies/order.html", status_code=status, **context)


@bp.get("/orders/<int:order_id>")
@requires("supplies.view")
def order(order_id: int):
    order = supplies.get_order_or_404(order_id)
    with unit_of_work():
        supplies.refresh_submission(order)
    return order_page(order)


@bp.get("/orders/<int:order_id>/submission")
@requires("supplies.view")
def order_submission(order_id: int):
    """The live submission state (polled while the outbox row is pending)."""
    order = supplies.get_order_or_404(order_id)
    with unit_of_work():
        supplies.refresh_submission(order)
    return order_page(order, fragment="supplies/_partials/_submission.html")


@bp.get("/orders/<int:order_id>/lines")
@requires("supplies.view")
def order_lines(order_id: int):
    """The lines of an order, loaded when its row in the approval queue is expanded."""
    order = supplies.get_order_or_404(order_id)
    if htmx.wants_fragment():
        return render_template("supplies/_partials/_queue_lines.html", order=order)
    return order_page(order)


@bp.get("/orders/<int:order_id>/pdf")
@requires("supplies.view")
def order_pdf(order_id: int):
    order = supplies.get_order_or_404(order_id)
    return Response(
        supplies.order_pdf(order),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{order.number}.pdf"'},
    )


def order_action(
    order_id: int,
    form: VersionForm,
    action: Callable[[PurchaseOrder], Any],
    success: str | None = None,
    *,
    slot: str = "action",
) -> Response:
    """Validate ``form``, run ``action`` on the order in one unit of work, back to the order."""
    order = supplies.get_order_or_404(order_id)
    if form.validate():
        with unit_of_work(form) as work:
            action(order)
        reraise_unless_invalid(work)
        if work.ok:
            if success:
                flash(success, "success")
            return htmx.redirect_to(url_for("supplies.order", order_id=order_id))
        order = supplies.get_order_or_404(order_id)
    return order_page(order, status=422, **{slot: form})


@bp.post("/orders/<int:order_id>/lines")
@requires("purchase.create")
def order_add_line(order_id: int):
    form = AddLineForm()
    return order_action(
        order_id,
        form,
        lambda o: supplies.add_line(
            o,
            item=db.session.get(SupplyItem, form.item_id.data) if form.item_id.data else None,
            quantity=form.quantity.data,
            actor=current_user,
            seen_version=form.seen_version(),
        ),
        slot="add_form",
    )


@bp.post("/orders/<int:order_id>/lines/<int:line_id>/delete")
@requires("purchase.create")
def order_remove_line(order_id: int, line_id: int):
    form = VersionForm()
    return order_action(
        order_id,
        form,
        lambda o: supplies.remove_line(
            o, line_id=line_id, actor=current_user, seen_version=form.seen_version()
        ),
    )


@bp.post("/orders/<int:order_id>/submit")
@requires("purchase.create")
def order_submit(order_id: int):
    form = VersionForm()
    return order_action(
        order_id,
        form,
        lambda o: supplies.submit_order(o, actor=current_user, seen_version=form.seen_version()),
        _("Order submitted for approval."),
    )


@bp.post("/orders/<int:order_id>/cancel")
@requires("purchase.create")
def order_cancel(order_id: int):
    form = CancelForm()
    return order_action(
        order_id,
        form,
        lambda o: supplies.cancel_order(
            o, actor=current_user, reason=form.reason.data or "", seen_version=form.seen_version()
        ),
        _("Order cancelled."),
    )


@bp.post("/orders/<int:order_id>/close")
@requires("supplies.manage")
def order_close(order_id: int):
    form = VersionForm()
    return order_action(
        order_id,
        form,
        lambda o: supplies.close_order(o, actor=current_user, seen_version=form.seen_version()),
        _("Order closed."),
    )


@bp.post("/orders/<int:order_id>/receive")
@requires("supplies.manage")
def order_receive(order_id: int):
    order = supplies.get_order_or_404(order_id)
    open_lines = [ln.id for ln in order.lines] if order.status in RECEIVABLE_STATUSES else []
    form = receive_form(open_lines)
    return order_action(
        order_id,
        form,
        lambda o: supplies.receive_order(
            o,
            actor=current_user,
            quantities=form.quantities(),
            note=form.note.data,
            seen_version=form.seen_version(),
        ),
        _("Delivery recorded."),
        slot="receive",
    )


@bp.post("/orders/<int:order_id>/submission/confirm")
@requires("supplies.manage")
def order_confirm_sent(order_id: int):
    return order_action(
        order_id,
        VersionForm(),
        lambda o: supplies.confirm_submission(o, actor=current_user),
        _("Marked as received by the supplier."),
    )


@bp.post("/orders/<int:order_id>/submission/resend")
@requires("supplies.manage")
def order_resend(order_id: int):
    return order_action(
        order_id,
        VersionForm(),
        lambda o: supplies.resend_submission(o, actor=current_user),
        _("The order will be sent to the supplier again."),
    )
