"""Supplies views: parse, call one service, commit once, respond (fragment or page)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal import formatting, htmx
from portal.blueprints.supplies import bp, group_symbol, rows
from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.supplies import (
    MOVEMENT_LABELS,
    ORDER_STATUSES,
    STATUS_LABELS,
    STATUS_TONES,
    SupplyItem,
)
from portal.pagination import page_arg, paginate
from portal.routing import id_arg, parse_date, parse_int
from portal.security import requires
from portal.services import supplies
from portal.web import safe_next


def _errors(error: DomainError) -> dict[str, str]:
    return {error.field or "_form": error.message}


def _version() -> int | None:
    return parse_int(request.form.get("version"))


def _next_url() -> str | None:
    """A same-site path to return to (never an open redirect)."""
    return safe_next(request.form.get("next"), "") or None


def _csv_response(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _url_pattern(endpoint: str, key: str = "order_id") -> str:
    """``url_for`` once for a whole list: "%d" stands for the row's id (``pattern % id``)."""
    marker = 987654321
    return url_for(endpoint, **{key: marker}).replace(str(marker), "%d")


# --- catalogue: items -------------------------------------------------------------------------


@bp.get("/")
@requires("supplies.view")
def index():
    return htmx.redirect_to(url_for("supplies.items"))


@bp.get("/items")
@requires("supplies.view")
def items():
    q = request.args.get("q", "")
    category_id = id_arg("category")
    status = request.args.get("status", "active")
    page = supplies.item_page(
        q=q,
        category_id=category_id,
        status=status,
        page=page_arg(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return htmx.render(
        "supplies/items.html",
        "supplies/_partials/_item_rows.html",
        page=page,
        item_url=_url_pattern("supplies.item", "item_id"),
        q=q,
        category_id=category_id,
        status=status,
        categories=supplies.list_categories(),
    )


@bp.get("/items.csv")
@requires("supplies.view")
def items_export():
    stmt = supplies.list_items(
        q=request.args.get("q", ""),
        category_id=id_arg("category"),
        status=request.args.get("status", ""),
    )
    return _csv_response(supplies.export_items_csv(stmt), "items.csv")


def _item_form(item: SupplyItem | None, values: dict[str, Any], errors: dict[str, str], status=200):
    return (
        render_template(
            "supplies/item_form.html",
            item=item,
            values=values,
            errors=errors,
            categories=supplies.list_categories(),
            suppliers=supplies.list_suppliers_all(active_only=False),
        ),
        status,
    )


def _item_values(item: SupplyItem | None) -> dict[str, Any]:
    if item is None:
        return {"unit": "un", "pack_size": 1, "active": True, "unit_cost": "0.00"}
    return {f: getattr(item, f) for f in supplies.ITEM_FIELDS}


def _posted_item() -> dict[str, Any]:
    data: dict[str, Any] = {f: request.form.get(f, "") for f in supplies.ITEM_FIELDS}
    data["active"] = request.form.get("active") == "y"
    return data


@bp.get("/items/new")
@requires("supplies.manage")
def item_new():
    return _item_form(None, _item_values(None), {})


@bp.post("/items")
@requires("supplies.manage")
def item_create():
    data = _posted_item()
    try:
        item = supplies.save_item(None, actor=current_user, data=data)
    except DomainError as error:
        db.session.rollback()
        return _item_form(None, data, _errors(error), 422)
    db.session.commit()
    flash(_("Item %(name)s created.", name=item.name), "success")
    return htmx.redirect_to(url_for("supplies.item", item_id=item.id))


@bp.get("/items/<int:item_id>")
@requires("supplies.view")
def item(item_id: int):
    item = supplies.get_item_or_404(item_id)
    page = paginate(supplies.list_movements(item))
    return htmx.render(
        "supplies/item.html",
        "supplies/_partials/_movements.html",
        item=item,
        page=page,
        labels=MOVEMENT_LABELS,
        people=supplies.users_with_role("staff"),
        errors={},
        values={},
    )


@bp.get("/items/<int:item_id>/edit")
@requires("supplies.manage")
def item_edit(item_id: int):
    item = supplies.get_item_or_404(item_id)
    return _item_form(item, _item_values(item), {})


@bp.post("/items/<int:item_id>")
@requires("supplies.manage")
def item_update(item_id: int):
    item = supplies.get_item_or_404(item_id)
    data = _posted_item()
    try:
        supplies.save_item(item, actor=current_user, data=data)
    except DomainError as error:
        db.session.rollback()
        return _item_form(item, data, _errors(error), 422)
    db.session.commit()
    flash(_("Item %(name)s saved.", name=item.name), "success")
    return htmx.redirect_to(url_for("supplies.item", item_id=item.id))


@bp.post("/items/<int:item_id>/stock")
@requires("supplies.manage")
def item_stock(item_id: int):
    """Issue (to a person) or receive stock outside an order."""
    item = supplies.get_item_or_404(item_id)
    kind = request.form.get("kind", "issue")
    values = request.form.to_dict()
    try:
        if kind == "receipt":
            supplies.receive_stock(
                item,
                quantity=values.get("quantity"),
                actor=current_user,
                reason=values.get("reason"),
            )
        else:
            person_id = parse_int(values.get("issued_to_id"), minimum=1)
            person = db.session.get(User, person_id) if person_id else None
            supplies.issue_stock(
                item,
                quantity=values.get("quantity"),
                actor=current_user,
                issued_to=person,
                department_id=person.department_id if person else None,
                reason=values.get("reason"),
            )
    except DomainError as error:
        db.session.rollback()
        item = supplies.get_item_or_404(item_id)
        people = supplies.users_with_role("staff")
        if htmx.wants_fragment():
            return render_template(
                "supplies/_partials/_stock_form.html",
                item=item,
                people=people,
                errors=_errors(error),
                values=values,
            ), 422
        return render_template(
            "supplies/item.html",
            item=item,
            page=paginate(supplies.list_movements(item)),
            labels=MOVEMENT_LABELS,
            people=people,
            errors=_errors(error),
            values=values,
        ), 422
    db.session.commit()
    flash(_("Stock of %(name)s is now %(n)d.", name=item.name, n=item.on_hand), "success")
    return htmx.redirect_to(url_for("supplies.item", item_id=item.id))


@bp.get("/items/import")
@requires("supplies.manage")
def items_import_form():
    return render_template("supplies/import.html", errors={}, rows=[])


@bp.post("/items/import")
@requires("supplies.manage")
def items_import():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError(_("Choose a CSV file."), field="file")
        created, updated = supplies.import_items_csv(upload.read(), actor=current_user)
    except supplies.ImportRejected as error:
        db.session.rollback()
        return render_template("supplies/import.html", errors=_errors(error), rows=error.rows), 422
    except DomainError as error:
        db.session.rollback()
        return render_template("supplies/import.html", errors=_errors(error), rows=[]), 422
    db.session.commit()
    flash(_("Imported: %(c)d new, %(u)d updated.", c=created, u=updated), "success")
    return htmx.redirect_to(url_for("supplies.items"))


# --- catalogue: suppliers ---------------------------------------------------------------------


@bp.get("/suppliers")
@requires("supplies.view")
def suppliers():
    q = request.args.get("q", "")
    page = paginate(supplies.list_suppliers(q=q))
    return htmx.render(
        "supplies/suppliers.html", "supplies/_partials/_supplier_rows.html", page=page, q=q
    )


def _supplier_form(supplier, values, errors, status=200):
    return render_template(
        "supplies/supplier_form.html", supplier=supplier, values=values, errors=errors
    ), status


SUPPLIER_FIELDS = ["name", "order_email", "phone", "lead_time_days", "min_order_value"]


@bp.get("/suppliers/new")
@requires("supplies.manage")
def supplier_new():
    return _supplier_form(
        None, {"lead_time_days": 3, "min_order_value": "0.00", "active": True}, {}
    )


@bp.post("/suppliers")
@requires("supplies.manage")
def supplier_create():
    data: dict[str, Any] = {f: request.form.get(f, "") for f in SUPPLIER_FIELDS}
    data["active"] = request.form.get("active") == "y"
    try:
        supplier = supplies.save_supplier(None, actor=current_user, data=data)
    except DomainError as error:
        db.session.rollback()
        return _supplier_form(None, data, _errors(error), 422)
    db.session.commit()
    flash(_("Supplier %(name)s created.", name=supplier.name), "success")
    return htmx.redirect_to(url_for("supplies.suppliers"))


@bp.get("/suppliers/<int:supplier_id>")
@requires("supplies.manage")
def supplier_edit(supplier_id: int):
    supplier = supplies.get_supplier_or_404(supplier_id)
    values = {f: getattr(supplier, f) for f in [*SUPPLIER_FIELDS, "active"]}
    return _supplier_form(supplier, values, {})


@bp.post("/suppliers/<int:supplier_id>")
@requires("supplies.manage")
def supplier_update(supplier_id: int):
    supplier = supplies.get_supplier_or_404(supplier_id)
    data: dict[str, Any] = {f: request.form.get(f, "") for f in SUPPLIER_FIELDS}
    data["active"] = request.form.get("active") == "y"
    try:
        supplies.save_supplier(supplier, actor=current_user, data=data)
    except DomainError as error:
        db.session.rollback()
        return _supplier_form(supplier, data, _errors(error), 422)
    db.session.commit()
    flash(_("Supplier %(name)s saved.", name=supplier.name), "success")
    return htmx.redirect_to(url_for("supplies.suppliers"))


# --- reorder suggestions ----------------------------------------------------------------------


SUGGESTIONS_PER_PAGE = 50


def _suggestions_page(errors: dict[str, str], status: int = 200):
    """The suggestions page: 50 a page (optionally one supplier's), labels translated once."""
    from babel.numbers import get_decimal_symbol

    supplier_id = id_arg("supplier")
    page = supplies.suggestion_page(
        supplier_id=supplier_id, page=page_arg(), per_page=SUGGESTIONS_PER_PAGE
    )
    # Each row's explanation, from texts translated once (cheaper here than a call per row
    # from the template).
    locale = str(get_locale() or "en")
    texts = (*supplies.explanation_texts(), get_decimal_symbol(locale))
    return render_template(
        "supplies/suggestions.html",
        page=page,
        rows_html=rows.suggestion_rows(
            page.items,
            explain_texts=texts,
            item_url=_url_pattern("supplies.item", "item_id"),
            no_supplier=_("No preferred supplier"),
            money=formatting.money_formatter(),
            quantity=rows.grouped_int(group_symbol(locale)),
        ),
        supplier_options=rows.options(supplies.supplier_choices(), supplier_id),
        errors=errors,
    ), status


@bp.get("/suggestions")
@requires("supplies.view")
def suggestions():
    return _suggestions_page({})


@bp.post("/suggestions/order")
@requires("purchase.create")
def suggestions_order():
    try:
        chosen = [i for i in map(parse_int, request.form.getlist("items")) if i is not None]
        orders = supplies.drafts_from_suggestions(chosen, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        return _suggestions_page(_errors(error), 422)
    db.session.commit()
    flash(
        _("Draft orders created: %(numbers)s.", numbers=", ".join(o.number for o in orders)),
        "success",
    )
    if len(orders) == 1:
        return htmx.redirect_to(url_for("supplies.order", order_id=orders[0].id))
    return htmx.redirect_to(url_for("supplies.orders", status="draft"))


# --- stock counts -----------------------------------------------------------------------------


@bp.get("/counts")
@requires("stock.count")
def counts():
    page = paginate(supplies.list_counts())
    return render_template(
        "supplies/counts.html", page=page, categories=supplies.list_categories(), errors={}
    )


@bp.post("/counts")
@requires("stock.count")
def count_start():
    category = request.form.get("category_id", "")
    try:
        count = supplies.start_count(actor=current_user, category_id=parse_int(category, minimum=1))
    except DomainError as error:
        db.session.rollback()
        return render_template(
            "supplies/counts.html",
            page=paginate(supplies.list_counts()),
            categories=supplies.list_categories(),
            errors=_errors(error),
        ), 422
    db.session.commit()
    return htmx.redirect_to(url_for("supplies.count", count_id=count.id))


@bp.get("/counts/<int:count_id>")
@requires("stock.count")
def count(count_id: int):
    count = supplies.get_count_or_404(count_id)
    return render_template(
        "supplies/count.html", count=count, lines=supplies.count_lines(count), errors={}
    )


@bp.post("/counts/<int:count_id>/lines/<int:line_id>")
@requires("stock.count")
def count_line(count_id: int, line_id: int):
    count = supplies.get_count_or_404(count_id)
    line = supplies.get_count_line_or_404(count, line_id)
    try:
        supplies.set_counted(line, counted=request.form.get("counted"), actor=current_user)
    except DomainError as error:
        db.session.rollback()
        line = supplies.get_count_line_or_404(count, line_id)
        if htmx.wants_fragment():
            return render_template(
                "supplies/_partials/_count_line.html",
                line=line,
                count=count,
                error=error.message,
                value=request.form.get("counted", ""),
            ), 422
        raise
    db.session.commit()
    if htmx.wants_fragment():
        return render_template(
            "supplies/_partials/_count_line.html", line=line, count=count, error=None, value=None
        )
    return htmx.redirect_to(url_for("supplies.count", count_id=count.id))


@bp.post("/counts/<int:count_id>/post")
@requires("stock.count")
def count_post(count_id: int):
    count = supplies.get_count_or_404(count_id)
    try:
        n = supplies.post_count(count, actor=current_user)
    except ValidationError as error:
        db.session.rollback()
        count = supplies.get_count_or_404(count_id)
        return render_template(
            "supplies/count.html",
            count=count,
            lines=supplies.count_lines(count),
            errors=_errors(error),
        ), 422
    db.session.commit()
    flash(_("Count posted: %(n)d adjustment(s) written to the ledger.", n=n), "success")
    return htmx.redirect_to(url_for("supplies.count", count_id=count.id))


# --- purchase orders --------------------------------------------------------------------------


@bp.get("/orders")
@requires("supplies.view")
def orders():
    status = request.args.get("status", "")
    q = request.args.get("q", "")
    page = supplies.order_page(
        status=status, q=q, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    return htmx.render(
        "supplies/orders.html",
        "supplies/_partials/_order_rows.html",
        page=page,
        status=status,
        q=q,
        statuses=ORDER_STATUSES,
        labels={s: str(label) for s, label in STATUS_LABELS.items()},
        tones=STATUS_TONES,
        order_url=_url_pattern("supplies.order"),
    )


@bp.get("/orders.csv")
@requires("supplies.view")
def orders_export():
    """The purchase-order list as CSV, with the same filters as the page."""
    text = supplies.export_orders_csv(
        status=request.args.get("status", ""), q=request.args.get("q", "")
    )
    return _csv_response(text, "purchase-orders.csv")


@bp.get("/orders/new")
@requires("purchase.create")
def order_new():
    return render_template(
        "supplies/order_new.html", suppliers=supplies.list_suppliers_all(), errors={}, values={}
    )


@bp.post("/orders")
@requires("purchase.create")
def order_create():
    supplier_id = request.form.get("supplier_id", "")
    try:
        supplier_id = parse_int(supplier_id, minimum=1)
        supplier = supplies.get_supplier_or_404(supplier_id) if supplier_id else None
        if supplier is None:
            raise ValidationError(_("Choose a supplier."), field="supplier_id")
        order = supplies.create_order(
            supplier=supplier, actor=current_user, notes=request.form.get("notes")
        )
    except DomainError as error:
        db.session.rollback()
        return render_template(
            "supplies/order_new.html",
            suppliers=supplies.list_suppliers_all(),
            errors=_errors(error),
            values=request.form.to_dict(),
        ), 422
    db.session.commit()
    return htmx.redirect_to(url_for("supplies.order", order_id=order.id))


def _order_page(order, errors=None, values=None, status=200):
    return render_template(
        "supplies/order.html",
        order=order,
        rights=supplies.order_rights(order, current_user),
        receipts=supplies.list_receipts(order),
        items=db.session.scalars(
            supplies.list_items(status="active").where(SupplyItem.supplier_id == order.supplier_id)
        ).all()
        if order.status == "draft"
        else [],
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/orders/<int:order_id>")
@requires("supplies.view")
def order(order_id: int):
    order = supplies.get_order_or_404(order_id)
    if supplies.refresh_submission(order):
        db.session.commit()
    return _order_page(order)


@bp.get("/orders/<int:order_id>/submission")
@requires("supplies.view")
def order_submission(order_id: int):
    """The live submission state (polled while the outbox row is pending)."""
    order = supplies.get_order_or_404(order_id)
    if supplies.refresh_submission(order):
        db.session.commit()
    return htmx.render(
        "supplies/order.html",
        "supplies/_partials/_submission.html",
        order=order,
        rights=supplies.order_rights(order, current_user),
        receipts=[],
        items=[],
        errors={},
        values={},
    )


@bp.get("/orders/<int:order_id>/lines")
@requires("supplies.view")
def order_lines(order_id: int):
    """The lines of an order, loaded when its row in the approval queue is expanded."""
    order = supplies.get_order_or_404(order_id)
    if htmx.wants_fragment():
        return render_template("supplies/_partials/_queue_lines.html", order=order)
    return _order_page(order)


@bp.get("/orders/<int:order_id>/pdf")
@requires("supplies.view")
def order_pdf(order_id: int):
    order = supplies.get_order_or_404(order_id)
    return Response(
        supplies.order_pdf(order),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{order.number}.pdf"'},
    )


def _order_action(order_id: int, action, success: str | None = None):
    order = supplies.get_order_or_404(order_id)
    try:
        action(order)
    except ValidationError as error:
        db.session.rollback()
        order = supplies.get_order_or_404(order_id)
        return _order_page(order, _errors(error), request.form.to_dict(), 422)
    db.session.commit()
    if success:
        flash(success, "success")
    return htmx.redirect_to(url_for("supplies.order", order_id=order_id))


@bp.post("/orders/<int:order_id>/lines")
@requires("purchase.create")
def order_add_line(order_id: int):
    item_id = request.form.get("item_id", "")
    item_id = parse_int(item_id, minimum=1)
    item = db.session.get(SupplyItem, item_id) if item_id else None
    return _order_action(
        order_id,
        lambda o: supplies.add_line(
            o,
            item=item,
            quantity=request.form.get("quantity"),
            actor=current_user,
            seen_version=_version(),
        ),
    )


@bp.post("/orders/<int:order_id>/lines/<int:line_id>/delete")
@requires("purchase.create")
def order_remove_line(order_id: int, line_id: int):
    return _order_action(
        order_id,
        lambda o: supplies.remove_line(
            o, line_id=line_id, actor=current_user, seen_version=_version()
        ),
    )


@bp.post("/orders/<int:order_id>/submit")
@requires("purchase.create")
def order_submit(order_id: int):
    return _order_action(
        order_id,
        lambda o: supplies.submit_order(o, actor=current_user, seen_version=_version()),
        _("Order submitted for approval."),
    )


@bp.post("/orders/<int:order_id>/cancel")
@requires("purchase.create")
def order_cancel(order_id: int):
    return _order_action(
        order_id,
        lambda o: supplies.cancel_order(
            o, actor=current_user, reason=request.form.get("reason", ""), seen_version=_version()
        ),
        _("Order cancelled."),
    )


@bp.post("/orders/<int:order_id>/close")
@requires("supplies.manage")
def order_close(order_id: int):
    return _order_action(
        order_id,
        lambda o: supplies.close_order(o, actor=current_user, seen_version=_version()),
        _("Order closed."),
    )


@bp.post("/orders/<int:order_id>/receive")
@requires("supplies.manage")
def order_receive(order_id: int):
    quantities = {
        line_id: v
        for k, v in request.form.items()
        if k.startswith("qty-") and (line_id := parse_int(k[4:])) is not None
    }
    return _order_action(
        order_id,
        lambda o: supplies.receive_order(
            o,
            actor=current_user,
            quantities=quantities,
            note=request.form.get("note"),
            seen_version=_version(),
        ),
        _("Delivery recorded."),
    )


@bp.post("/orders/<int:order_id>/submission/confirm")
@requires("supplies.manage")
def order_confirm_sent(order_id: int):
    return _order_action(
        order_id,
        lambda o: supplies.confirm_submission(o, actor=current_user),
        _("Marked as received by the supplier."),
    )


@bp.post("/orders/<int:order_id>/submission/resend")
@requires("supplies.manage")
def order_resend(order_id: int):
    return _order_action(
        order_id,
        lambda o: supplies.resend_submission(o, actor=current_user),
        _("The order will be sent to the supplier again."),
    )


# --- approvals --------------------------------------------------------------------------------


def _queue_labels(entries) -> dict[str, Any]:
    """The queue's labels, translated once per locale and process (each row repeats them)."""
    line_counts = {e.line_count for e in entries}
    return {
        **_queue_texts(str(get_locale() or "en")),
        "lines": {n: ngettext("%(num)d line", "%(num)d lines", n) for n in line_counts},
    }


@lru_cache(maxsize=8)
def _queue_texts(locale: str) -> dict[str, str]:
    """The fixed texts of the queue for ``locale`` (the catalogues do not change at run time)."""
    return {
        "order": _("Order"),
        "who": _("Supplier / requester"),
        "total": _("Total"),
        "budget": _("Budget this month"),
        "decision": _("Decision"),
        # Formatted per row with |format(...): the placeholders stay as in the catalogue.
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
    }


def _queue_context() -> dict[str, Any]:
    page = supplies.pending_queue(
        page=page_arg(), per_page=current_app.config["PAGE_SIZE"], viewer=current_user
    )
    t = _queue_labels(page.items)
    urls = {
        "order": _url_pattern("supplies.order"),
        "lines": _url_pattern("supplies.order_lines"),
        "approve": _url_pattern("supplies.order_approve"),
        "reject_form": _url_pattern("supplies.order_reject_form"),
        "queue": url_for("supplies.queue"),
        "bulk": url_for("supplies.bulk_approve"),
    }
    csrf = generate_csrf()
    return {
        "page": page,
        "t": t,
        "urls": urls,
        "csrf": csrf,
        "rows_html": rows.queue_rows(
            page.items,
            t=t,
            urls=urls,
            csrf=csrf,
            me=current_user.id,
            money=formatting.money_formatter(),
            when=formatting.datetime_formatter("short"),
        ),
        "on_behalf": supplies.approved_on_behalf_of(current_user),
    }


@bp.get("/approvals")
@requires("purchase.approve")
def queue():
    return htmx.render(
        "supplies/queue.html", "supplies/_partials/_queue.html", **_queue_context(), refused=[]
    )


def _decided_row(order, message: str):
    return render_template("supplies/_partials/_queue_decided.html", order=order, message=message)


@bp.post("/orders/<int:order_id>/approve")
@requires("purchase.approve")
def order_approve(order_id: int):
    order = supplies.get_order_or_404(order_id)
    supplies.approve_order(order, approver=current_user, seen_version=_version())
    db.session.commit()
    if htmx.wants_fragment():
        return _decided_row(order, _("Approved"))
    flash(_("%(number)s approved.", number=order.number), "success")
    return htmx.redirect_to(_next_url() or url_for("supplies.order", order_id=order.id))


@bp.get("/orders/<int:order_id>/reject")
@requires("purchase.approve")
def order_reject_form(order_id: int):
    """The reason field of the queue's inline reject (loaded when "Reject…" is clicked)."""
    order = supplies.get_order_or_404(order_id)
    if htmx.wants_fragment():
        return render_template(
            "supplies/_partials/_reject_form.html", order=order, error=None, compact=True
        )
    return _order_page(order)


@bp.post("/orders/<int:order_id>/reject")
@requires("purchase.approve")
def order_reject(order_id: int):
    order = supplies.get_order_or_404(order_id)
    try:
        supplies.reject_order(
            order,
            approver=current_user,
            reason=request.form.get("reason", ""),
            seen_version=_version(),
        )
    except ValidationError as error:
        db.session.rollback()
        order = supplies.get_order_or_404(order_id)
        if htmx.wants_fragment():
            response = make_response(
                render_template(
                    "supplies/_partials/_reject_form.html",
                    order=order,
                    error=error.message,
                    compact=True,
                ),
                422,
            )
            response.headers["HX-Retarget"] = f"#reject-{order.id}"
            response.headers["HX-Reswap"] = "outerHTML"
            return response
        return _order_page(order, _errors(error), request.form.to_dict(), 422)
    db.session.commit()
    if htmx.wants_fragment():
        return _decided_row(order, _("Sent back to the requester"))
    flash(_("%(number)s sent back to the requester.", number=order.number), "success")
    return htmx.redirect_to(_next_url() or url_for("supplies.order", order_id=order.id))


@bp.post("/approvals/bulk")
@requires("purchase.approve")
def bulk_approve():
    try:
        done, refused = supplies.bulk_approve(request.form.getlist("orders"), approver=current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
        return htmx.redirect_to(url_for("supplies.queue"))
    db.session.commit()
    if done:
        flash(_("Approved: %(numbers)s.", numbers=", ".join(o.number for o in done)), "success")
    for number, reason in refused:
        flash(f"{number}: {reason}", "error")
    return htmx.redirect_to(url_for("supplies.queue"))


# --- budgets, rules, absences -----------------------------------------------------------------


def _settings_page(errors=None, status=200):
    return render_template(
        "supplies/settings.html",
        spend=supplies.spend_by_category(),
        rules=supplies.list_rules(),
        categories=supplies.list_categories(),
        errors=errors or {},
    ), status


@bp.get("/settings")
@requires("budgets.manage")
def settings():
    return _settings_page()


@bp.post("/settings/budgets")
@requires("budgets.manage")
def budgets_update():
    try:
        for category in supplies.list_categories():
            key = f"budget-{category.id}"
            if key in request.form:
                supplies.set_budget(category, amount=request.form[key], actor=current_user)
    except DomainError as error:
        db.session.rollback()
        return _settings_page(_errors(error), 422)
    db.session.commit()
    flash(_("Budgets saved."), "success")
    return htmx.redirect_to(url_for("supplies.settings"))


@bp.post("/settings/rules")
@requires("budgets.manage")
def rule_create():
    try:
        supplies.add_rule(
            category_id=request.form.get("category_id"),
            max_amount=request.form.get("max_amount"),
            allow_delegate=request.form.get("allow_delegate") == "y",
            actor=current_user,
        )
    except DomainError as error:
        db.session.rollback()
        return _settings_page(_errors(error), 422)
    db.session.commit()
    flash(_("Approval rule added."), "success")
    return htmx.redirect_to(url_for("supplies.settings"))


@bp.post("/settings/rules/<int:rule_id>/delete")
@requires("budgets.manage")
def rule_delete(rule_id: int):
    supplies.delete_rule(rule_id, actor=current_user)
    db.session.commit()
    flash(_("Approval rule removed."), "success")
    return htmx.redirect_to(url_for("supplies.settings"))


def _absences_page(errors=None, values=None, status=200):
    return render_template(
        "supplies/absences.html",
        delegations=supplies.list_delegations(current_user),
        people=supplies.delegate_choices(current_user),
        errors=errors or {},
        values=values or {},
        today=supplies.local_today(),
    ), status


@bp.get("/absences")
@requires("purchase.delegate")
def absences():
    return _absences_page()


@bp.post("/absences")
@requires("purchase.delegate")
def absence_create():
    form = request.form
    try:
        supplies.create_delegation(
            manager=current_user,
            delegate_id=form.get("delegate_id"),
            starts_on=parse_date(form.get("starts_on")),
            ends_on=parse_date(form.get("ends_on")),
            amount_limit=form.get("amount_limit"),
            note=form.get("note"),
        )
    except DomainError as error:
        db.session.rollback()
        return _absences_page(_errors(error), form.to_dict(), 422)
    db.session.commit()
    flash(_("Absence saved; your delegate was notified."), "success")
    return htmx.redirect_to(url_for("supplies.absences"))


@bp.post("/absences/<int:delegation_id>/cancel")
@requires("purchase.delegate")
def absence_cancel(delegation_id: int):
    supplies.cancel_delegation(delegation_id, manager=current_user)
    db.session.commit()
    flash(_("Absence cancelled."), "success")
    return htmx.redirect_to(url_for("supplies.absences"))


# --- supply requests from the front desk ------------------------------------------------------

REQUEST_ROWS = 5


@bp.get("/requests")
@requires("requests.triage")
def supply_requests():
    page = paginate(supplies.list_supply_requests())
    return render_template("supplies/requests.html", page=page)


def _request_page(req, errors=None, values=None, status=200):
    return render_template(
        "supplies/request.html",
        req=req,
        items=db.session.scalars(supplies.list_items(status="active")).all(),
        rows=range(REQUEST_ROWS),
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/requests/<int:request_id>")
@requires("requests.triage")
def supply_request(request_id: int):
    return _request_page(supplies.get_supply_request_or_404(request_id))


@bp.post("/requests/<int:request_id>")
@requires("requests.triage")
def supply_request_fulfil(request_id: int):
    req = supplies.get_supply_request_or_404(request_id)
    lines = [
        (request.form.get(f"item-{i}", ""), request.form.get(f"qty-{i}", ""))
        for i in range(REQUEST_ROWS)
    ]
    try:
        issued, short = supplies.fulfil_supply_request(req, actor=current_user, lines=lines)
    except ValidationError as error:
        db.session.rollback()
        req = supplies.get_supply_request_or_404(request_id)
        return _request_page(req, _errors(error), request.form.to_dict(), 422)
    db.session.commit()
    if short:
        flash(_("Issued what was on hand; the rest went to draft orders."), "success")
    else:
        flash(_("Everything was issued from stock."), "success")
    return htmx.redirect_to(url_for("supplies.supply_requests"))
