"""The call console: logging calls, caller look-up, export, call detail and corrections."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.frontdesk import desk_bp
from portal.blueprints.frontdesk.forms import (
    CallForm,
    VoidForm,
)
from portal.blueprints.frontdesk.views.common import desk_context, settle
from portal.blueprints.frontdesk.views.corrections import save_correction
from portal.exports import export_response
from portal.pagination import page_arg
from portal.security import requires
from portal.services import frontdesk as desk
from portal.web import unit_of_work

# --- console ----------------------------------------------------------------------------------


def _empty_call_form(*, csrf: bool = True) -> CallForm:
    return CallForm(formdata=None, meta={"csrf": csrf})


def _console(form: CallForm, *, status: int = 200) -> Response:
    filters = desk.CallFilters.from_args(request.args)
    page = desk.call_page(filters, page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    full = not htmx.wants_fragment()
    return htmx.render(
        "frontdesk/console.html",
        "frontdesk/_partials/_call_list.html",
        status_code=status,
        form=form,
        page=page,
        filters=filters,
        can_export=full and current_user.can("calls.view_all"),
        **desk_context(page=full),
    )


@desk_bp.get("/")
@requires("calls.log")
def console():
    return _console(_empty_call_form())


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
        with unit_of_work(form) as work:
            call = desk.log_call(_call_input(form), actor=current_user)
            call_id, caller_name = call.id, call.caller_name
        settle(form, work)
        if work.ok:
            if htmx.wants_fragment():
                # The new row goes on top of today's list; a fresh, empty form replaces the old
                # one out of band so earlier error messages disappear too.
                return make_response(
                    render_template(
                        "frontdesk/_partials/_call_created.html",
                        call=desk.call_row(call_id),
                        oob_form=_empty_call_form(csrf=False),
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
    return export_response(desk.export_rows(filters), "calls", title=_("Calls"))


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
    with unit_of_work(form) as work:
        desk.void_call(call, actor=current_user, reason=form.reason.data)
    settle(form, work)
    if not work.ok:
        call = desk.get_call_or_404(call_id)
        return _call_page(call, CallForm(formdata=None, obj=None), form, 422)
    flash(_("Call voided."), "success")
    return htmx.redirect_to(url_for("frontdesk.desk.call_detail", call_id=call.id))
