"""Stock outside orders: issuing to a person, receiving without an order."""

from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx, ui
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import RECEIPT, StockForm
from portal.blueprints.supplies.views.items import item_page
from portal.extensions import db
from portal.models import User
from portal.security import requires
from portal.services import supplies
from portal.web import unit_of_work


@bp.post("/items/<int:item_id>/stock")
@requires("supplies.manage")
def item_stock(item_id: int):
    """Issue (to a person) or receive stock outside an order."""
    item = supplies.get_item_or_404(item_id)
    form = StockForm()
    if form.validate():
        with unit_of_work(form) as work:
            if form.kind.data == RECEIPT:
                supplies.receive_stock(
                    item, quantity=form.quantity.data, actor=current_user, reason=form.reason.data
                )
            else:
                person_id = form.issued_to_id.data
                person = db.session.get(User, person_id) if person_id else None
                issue_to_machine = ui.machine_issue()
                if form.machine_id.data and issue_to_machine:
                    # the stock ledger and the machine's history, in this one transaction
                    issue_to_machine(
                        item,
                        machine_id=form.machine_id.data,
                        quantity=form.quantity.data,
                        actor=current_user,
                        issued_to=person,
                        reason=form.reason.data,
                    )
                else:
                    supplies.issue_stock(
                        item,
                        quantity=form.quantity.data,
                        actor=current_user,
                        issued_to=person,
                        department_id=person.department_id if person else None,
                        reason=form.reason.data,
                    )
        if work.ok:
            flash(_("Stock of %(name)s is now %(n)d.", name=item.name, n=item.on_hand), "success")
            return htmx.redirect_to(url_for("supplies.item", item_id=item.id))
        item = supplies.get_item_or_404(item_id)
    return item_page(item, form, fragment="supplies/_partials/_stock_form.html", status=422)
