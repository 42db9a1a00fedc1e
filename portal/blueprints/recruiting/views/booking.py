"""Self-booking: an opening's interview slots and the public booking page."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.forms_util import attach_error
from portal.blueprints.recruiting import bp
from portal.blueprints.recruiting.forms import SlotForm
from portal.blueprints.recruiting.views.common import int_or_none, local_to_utc
from portal.errors import DomainError
from portal.extensions import db
from portal.security import public, requires
from portal.services import recruiting


@bp.route("/openings/<int:opening_id>/slots", methods=["GET", "POST"])
@requires("hr.interviews.schedule")
def slots(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = SlotForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            start = local_to_utc(form.start.data)
            try:
                recruiting.add_slot(
                    opening,
                    actor=current_user,
                    start=start,
                    end=start + timedelta(minutes=form.duration.data),
                )
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                db.session.commit()
                flash(_("Slot offered."), "success")
                return htmx.redirect_to(url_for("recruiting.slots", opening_id=opening.id))
        status = 422
    return render_template(
        "recruiting/slots.html", form=form, opening=opening, slots=recruiting.list_slots(opening)
    ), status


@bp.route("/book/<token>", methods=["GET", "POST"])
@public
def book(token: str):
    locale = recruiting.booking_locale(token)
    if locale is None:
        return _book(token)
    with force_locale(locale):  # the candidate's language, not the browser's
        return _book(token)


def _book(token: str):
    try:
        booking = recruiting.booking_for(token)
    except DomainError as error:
        db.session.rollback()
        return render_template("recruiting/book.html", error=error.message, booking=None), (
            410 if error.status_code == 409 else 404
        )
    application = booking.application
    if request.method == "POST":
        try:
            interview = recruiting.book_slot(token, int_or_none(request.form.get("slot")) or 0)
        except DomainError as error:
            db.session.rollback()
            booking = recruiting.booking_for(token)
            return render_template(
                "recruiting/book.html",
                booking=booking,
                slots=recruiting.list_slots(booking.application.opening, free_only=True),
                error=error.message,
            ), 409
        db.session.commit()
        return render_template("recruiting/book.html", booking=None, booked=interview, error=None)
    return render_template(
        "recruiting/book.html",
        booking=booking,
        slots=recruiting.list_slots(application.opening, free_only=True),
        error=None,
    )
