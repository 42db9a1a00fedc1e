"""The call console: logging calls, caller look-up, export, call detail and corrections."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from portal import htmx
from portal.blueprints.frontdesk import desk_bp
from portal.blueprints.frontdesk.forms import (
    CallForm,
    VoidForm,
)
from portal.blueprints.frontdesk.views.common import desk_context, fail
from portal.blueprints.frontdesk.views.corrections import save_correction
from portal.errors import DomainError
from portal.exports import stream_csv
from portal.extensions import db
from portal.models.base import utcnow
from portal.pagination import page_arg
from portal.security import requires
from portal.services import frontdesk as desk


def _fresh_call_fields(*, oob: bool = False) -> Markup:
    """The empty quick-call fields, rendered once per language (they never change).

    The console shows them on every page view and every logged call returns them (out of band)
    to clear old errors, so they are the hottest markup of the area.
    """
    cache = current_app.extensions.setdefault("frontdesk_fresh_fields", {})
    key = (str(get_locale()), oob)
    html = cache.get(key)
    if html is None:
        form = CallForm(formdata=None, meta={"csrf": False})
        html = Markup(render_template("frontdesk/_partials/_call_fields.html", form=form, oob=oob))
        cache[key] = html
    return html


FILTER_BARS_KEPT = 256  # rendered filter bars kept per app (most views use the default filters)


def _call_filters(filters: desk.CallFilters) -> Markup:
    """The console's filter bar, rendered once per language, filter values and export right."""
    can_export = current_user.can("calls.view_all")
    cache = current_app.extensions.setdefault("frontdesk_call_filters", {})
    key = (str(get_locale()), tuple(filters.as_args().items()), can_export)
    html = cache.get(key)
    if html is None:
        if len(cache) >= FILTER_BARS_KEPT:
            cache.clear()
        html = Markup(
            render_template(
                "frontdesk/_partials/_call_filters.html", filters=filters, can_export=can_export
            )
        )
        cache[key] = html
    return html


# --- console ----------------------------------------------------------------------------------


def _console(form: FlaskForm, *, status: int = 200, fresh_fields: Markup | None = None) -> Response:
    filters = desk.CallFilters.from_args(request.args)
    page = desk.call_page(filters, page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    full = not htmx.wants_fragment()
    return htmx.render(
        "frontdesk/console.html",
        "frontdesk/_partials/_call_list.html",
        status_code=status,
        form=form,
        fresh_fields=fresh_fields,
        page=page,
        filters=filters,
        call_filters=_call_filters(filters) if full else Markup(""),
        **desk_context(page=full),
    )


@desk_bp.get("/")
@requires("calls.log")
def console():
    # The empty fields come pre-rendered; the form itself only adds its CSRF token.
    return _console(FlaskForm(), fresh_fields=_fresh_call_fields())


def _call_input(form: CallForm) -> desk.CallInput:
    return desk.CallInput(
        direction=form.direction.data or "in",
        phone=form.phone.data,
        caller_name=form.caller_name.data,
        company=form.company.data,
        for_whom=form.for_whom.data,
        transferred_to=form.transferred_to.data,
        message=form.message.data,
        urgency=form.urgency.data or "normal",
        outcome=form.outcome.data,
        callback_due=form.callback_due.data,
    )


@desk_bp.post("/calls")
@requires("calls.log")
def create_call():
    form = CallForm()
    if form.validate_on_submit():
        try:
            call = desk.log_call(_call_input(form), actor=current_user)
            call_id, caller_name = call.id, call.caller_name
        except DomainError as error:
            fail(form, error)
        else:
            db.session.commit()
            if htmx.wants_fragment():
                # The new row goes on top of today's list; a fresh, empty form replaces the old
                # one out of band so earlier error messages disappear too.
                return make_response(
                    render_template(
                        "frontdesk/_partials/_call_created.html",
                        call=desk.call_row(call_id),
                        oob_fields=_fresh_call_fields(oob=True),
                        **desk_context(page=False),
                    )
                )
            flash(_("Call from %(name)s logged.", name=caller_name), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.console"))
    if htmx.wants_fragment():
        response = make_response(
            render_template(
                "frontdesk/_partials/_call_form.html", form=form, **desk_context(page=False)
            ),
            422,
        )
        response.headers["HX-Retarget"] = "#call-form"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return _console(form, status=422)


@desk_bp.get("/calls/lookup")
@requires("calls.log")
def lookup_caller():
    found = desk.caller_lookup(request.args.get("phone"))
    if found is None:
        return Response(status=204)
    return render_template(
        "frontdesk/_partials/_caller_lookup.html",
        found=found,
        caller_name=request.args.get("caller_name", "").strip(),
        company=request.args.get("company", "").strip(),
    )


@desk_bp.get("/calls.csv")
@requires("calls.view_all")
def export_calls():
    filters = desk.CallFilters.from_args(request.args)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(stream_csv(desk.export_rows(filters))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="calls-{stamp}.csv"'},
    )


def _call_page(call, form: CallForm, void_form: VoidForm, status: int = 200):
    return render_template(
        "frontdesk/call.html", call=call, form=form, void_form=void_form, **desk_context()
    ), status


@desk_bp.get("/calls/<int:call_id>")
@requires("calls.log")
def call_detail(call_id: int):
    call = desk.get_call_or_404(call_id)
    form = CallForm(
        formdata=None,
        direction=call.direction,
        phone=desk.format_phone(call.phone),
        caller_name=call.caller_name,
        company=call.company,
        for_whom=desk.person_label(call.for_user) if call.for_user else "",
        transferred_to=desk.person_label(call.transferred_to) if call.transferred_to else "",
        message=call.message,
        urgency="urgent" if call.urgent else "normal",
        outcome=call.outcome,
        callback_due=desk.to_local_input(call.callback_due_at),
    )
    return _call_page(call, form, VoidForm(formdata=None))


@desk_bp.post("/calls/<int:call_id>")
@requires("calls.log")
def update_call(call_id: int):
    return save_correction(
        call_id,
        load=desk.get_call_or_404,
        make_form=lambda call: CallForm(),
        apply=lambda call, form: desk.update_call(call, _call_input(form), actor=current_user),
        done=_("Call corrected."),
        next_url=lambda call: url_for("frontdesk.desk.call_detail", call_id=call.id),
        again=lambda call, form, status: _call_page(call, form, VoidForm(formdata=None), status),
    )


@desk_bp.post("/calls/<int:call_id>/void")
@requires("calls.log")
def void_call(call_id: int):
    call = desk.get_call_or_404(call_id)
    form = VoidForm()
    try:
        desk.void_call(call, actor=current_user, reason=form.reason.data)
    except DomainError as error:
        fail(form, error)
        call = desk.get_call_or_404(call_id)
        return _call_page(call, CallForm(formdata=None, obj=None), form, 422)
    db.session.commit()
    flash(_("Call voided."), "success")
    return htmx.redirect_to(url_for("frontdesk.desk.call_detail", call_id=call.id))
