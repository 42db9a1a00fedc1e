"""Supply requests filed at the front desk: issue from stock, order the rest."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import REQUEST_ROWS, FulfilForm, fulfil_form
from portal.blueprints.supplies.views.common import reraise_unless_invalid
from portal.extensions import db
from portal.pagination import paginate
from portal.security import requires
from portal.services import supplies
from portal.web import unit_of_work


@bp.get("/requests")
@requires("requests.triage")
def supply_requests():
    page = paginate(supplies.list_supply_requests())
    return render_template("supplies/requests.html", page=page)


def _request_page(req: Any, form: FulfilForm, status: int = 200):
    items = db.session.scalars(supplies.list_items(status="active")).all()
    for i in range(REQUEST_ROWS):
        form[f"item-{i}"].set_choices(
            items, label=lambda it: f"{it.name} ({_('on hand %(n)d', n=it.on_hand)})"
        )
    return render_template(
        "supplies/request.html", req=req, form=form, rows=range(REQUEST_ROWS)
    ), status


@bp.get("/requests/<int:request_id>")
@requires("requests.triage")
def supply_request(request_id: int):
    return _request_page(supplies.get_supply_request_or_404(request_id), fulfil_form())


@bp.post("/requests/<int:request_id>")
@requires("requests.triage")
def supply_request_fulfil(request_id: int):
    req = supplies.get_supply_request_or_404(request_id)
    form = fulfil_form()
    if form.validate():
        with unit_of_work(form) as work:
            issued, short = supplies.fulfil_supply_request(
                req, actor=current_user, lines=form.lines()
            )
        reraise_unless_invalid(work)
        if work.ok:
            if short:
                flash(_("Issued what was on hand; the rest went to draft orders."), "success")
            else:
                flash(_("Everything was issued from stock."), "success")
            return htmx.redirect_to(url_for("supplies.supply_requests"))
        req = supplies.get_supply_request_or_404(request_id)
    return _request_page(req, form, 422)
