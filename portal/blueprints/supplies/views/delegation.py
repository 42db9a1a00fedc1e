"""My absences: who approves on my behalf while I am away."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import AbsenceForm
from portal.security import requires
from portal.services import supplies
from portal.web import unit_of_work


def _absences_page(form: AbsenceForm, status: int = 200):
    form.delegate_id.set_choices(supplies.delegate_choices(current_user))
    return render_template(
        "supplies/absences.html",
        delegations=supplies.list_delegations(current_user),
        form=form,
        today=supplies.local_today(),
        absence_status=supplies.absence_status,  # labels agree with "absence" (pgettext)
    ), status


@bp.get("/absences")
@requires("purchase.delegate")
def absences():
    return _absences_page(AbsenceForm())


@bp.post("/absences")
@requires("purchase.delegate")
def absence_create():
    form = AbsenceForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplies.create_delegation(
                manager=current_user,
                delegate_id=form.delegate_id.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                amount_limit=form.amount_limit.data,
                note=form.note.data,
            )
        if work.ok:
            flash(_("Absence saved; your delegate was notified."), "success")
            return htmx.redirect_to(url_for("supplies.absences"))
    return _absences_page(form, 422)


@bp.post("/absences/<int:delegation_id>/cancel")
@requires("purchase.delegate")
def absence_cancel(delegation_id: int):
    with unit_of_work():
        supplies.cancel_delegation(delegation_id, manager=current_user)
    flash(_("Absence cancelled."), "success")
    return htmx.redirect_to(url_for("supplies.absences"))
