"""Self-booking: an opening's interview slots and the public booking page."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.recruiting import bp
from portal.blueprints.recruiting.forms import SlotForm
from portal.blueprints.recruiting.views.common import PlainForm, int_or_none, local_to_utc
from portal.errors import DomainError
from portal.security import public, requires
from portal.services import recruiting
from portal.web import unit_of_work


@bp.route("/openings/<int:opening_id>/slots", methods=["GET", "POST"])
@requires("hr.interviews.schedule")
def slots(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = SlotForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            start = local_to_utc(form.start.data)
            with unit_of_work(form) as work:
                recruiting.add_slot(
                    opening,
                    actor=current_user,
                    start=start,
                    end=start + timedelta(minutes=form.duration.data),
                )
            if work.ok:
                flash(_("Slot offered."), "success")
                return htmx.redirect_to(url_for("recruiting.slots", opening_id=opening.id))
        status = 422
    page = "recruiting/slots.html"
    return htmx.render(
        page,
        page,
        status_code=status,
        form=form,
        opening=opening,
        slots=recruiting.list_slots(opening),
    )


@bp.route("/book/<token>", methods=["GET", "POST"])
@public
def book(token: str):
    locale = recruiting.booking_locale(token)
    if locale is None:
        return _book(token)
    with force_locale(locale):  # the candidate's language, not the browser's
        return _book(token)


def _book(token: str):
    page = "recruiting/book.html"
    try:
        booking = recruiting.booking_for(token)  # reads only
    except DomainError as error:  # unknown, used or expired link
        status = 410 if error.status_code == 409 else 404
        return htmx.render(page, page, status_code=status, error=error.message, booking=None)
    if request.method == "POST":
        with unit_of_work(PlainForm()) as work:
            interview = recruiting.book_slot(token, int_or_none(request.form.get("slot")) or 0)
        if work.ok:
            return htmx.render(page, page, booking=None, booked=interview, error=None)
        booking = recruiting.booking_for(token)  # as it is now (the slot may be gone)
        return htmx.render(
            page,
            page,
            status_code=409,
            booking=booking,
            slots=recruiting.list_slots(booking.application.opening, free_only=True),
            error=work.error.message,
        )
    return htmx.render(
        page,
        page,
        booking=booking,
        slots=recruiting.list_slots(booking.application.opening, free_only=True),
        error=None,
    )
