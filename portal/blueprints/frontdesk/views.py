"""Front-desk views: thin — parse, call one service, commit once, respond."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from portal import htmx
from portal.blueprints.forms_util import attach_error
from portal.blueprints.frontdesk import desk_bp, inbox_bp, requests_bp
from portal.blueprints.frontdesk.forms import (
    CallForm,
    CommentForm,
    FaxForm,
    RequestForm,
    ReturnedForm,
    StatusForm,
    TriageForm,
    VisitEditForm,
    VisitForm,
    VoidForm,
)
from portal.errors import DomainError
from portal.exports import stream_csv
from portal.extensions import db
from portal.models.base import utcnow
from portal.pagination import page_arg, paginate
from portal.security import requires, signed_in
from portal.services import frontdesk as desk


def _fail(form: FlaskForm, error: DomainError) -> None:
    """Undo the half-done change and put each refusal next to its field.

    Refusals that are not about the input (403, 404, 409) go to the error handler instead.
    """
    db.session.rollback()
    if error.status_code != 422:
        raise error
    errors = getattr(error, "errors", None)
    if errors:
        for field, message in errors.items():
            attach_error(form, DomainError(message, field=field or None))
    else:
        attach_error(form, error)


STAFF_LIST_TTL = 60  # seconds a rendered type-ahead list is reused (per app, per language)


def _staff_datalist() -> Markup:
    """The staff type-ahead (hundreds of options), rendered once a minute rather than per page.

    A new colleague shows up in the suggestions within a minute; typing an e-mail works at once.
    """
    cache = current_app.extensions.setdefault("frontdesk_staff_datalist", {})
    key = str(get_locale())
    hit = cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    html = Markup(
        render_template("frontdesk/_partials/_staff_datalist.html", staff=desk.staff_directory())
    )
    cache[key] = (time.monotonic() + STAFF_LIST_TTL, html)
    return html


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


_ID = 987654321


def _url_around_id(endpoint: str, arg: str) -> tuple[str, str]:
    """An endpoint's URL split around its id, so list rows add the id instead of url_for each."""
    before, after = url_for(endpoint, **{arg: _ID}).split(str(_ID))
    return before, after


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


def _common(*, page: bool = True) -> dict[str, Any]:
    """Context shared by front-desk templates; the staff list only where a page shows it."""
    return {
        "desk": desk,
        "labels": desk.row_labels(),
        "now": utcnow(),
        "staff_datalist": _staff_datalist() if page else Markup(""),
        "call_url": _url_around_id("frontdesk.desk.call_detail", "call_id"),
        "viewer": current_user._get_current_object(),  # rows ask once, not through the proxy
    }


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
        **_common(page=full),
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
            _fail(form, error)
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
                        **_common(page=False),
                    )
                )
            flash(_("Call from %(name)s logged.", name=caller_name), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.console"))
    if htmx.wants_fragment():
        response = make_response(
            render_template(
                "frontdesk/_partials/_call_form.html", form=form, **_common(page=False)
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
        "frontdesk/call.html", call=call, form=form, void_form=void_form, **_common()
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
    call = desk.get_call_or_404(call_id)
    form = CallForm()
    if form.validate_on_submit():
        try:
            desk.update_call(call, _call_input(form), actor=current_user)
        except DomainError as error:
            _fail(form, error)
            call = desk.get_call_or_404(call_id)
        else:
            db.session.commit()
            flash(_("Call corrected."), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.call_detail", call_id=call.id))
    return _call_page(call, form, VoidForm(formdata=None), 422)


@desk_bp.post("/calls/<int:call_id>/void")
@requires("calls.log")
def void_call(call_id: int):
    call = desk.get_call_or_404(call_id)
    form = VoidForm()
    try:
        desk.void_call(call, actor=current_user, reason=form.reason.data)
    except DomainError as error:
        _fail(form, error)
        call = desk.get_call_or_404(call_id)
        return _call_page(call, CallForm(formdata=None, obj=None), form, 422)
    db.session.commit()
    flash(_("Call voided."), "success")
    return htmx.redirect_to(url_for("frontdesk.desk.call_detail", call_id=call.id))


# --- my messages ------------------------------------------------------------------------------


@inbox_bp.get("/messages")
@requires("messages.view_own")
def messages():
    show = "open" if request.args.get("show") == "open" else "all"
    page = desk.message_page(
        current_user, show=show, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    return htmx.render(
        "frontdesk/messages.html",
        "frontdesk/_partials/_message_list.html",
        page=page,
        show=show,
        now=utcnow(),
        labels=desk.row_labels(),
        returned_url=_url_around_id("frontdesk.inbox.mark_returned", "call_id"),
    )


@inbox_bp.post("/messages/<int:call_id>/returned")
@requires("messages.view_own")
def mark_returned(call_id: int):
    call = desk.get_call_or_404(call_id)
    form = ReturnedForm()
    desk.mark_returned(call, actor=current_user, note=form.note.data)
    db.session.commit()
    if htmx.wants_fragment():
        item = render_template(
            "frontdesk/_partials/_message_items.html",
            calls=[desk.message_row(call_id)],
            now=utcnow(),
            labels=desk.row_labels(),
            returned_url=_url_around_id("frontdesk.inbox.mark_returned", "call_id"),
        )
        badge = render_template(
            "frontdesk/_partials/_nav_badge.html",
            open_count=desk.open_message_count(current_user),
        )
        return make_response(item + badge)
    flash(_("Marked as returned."), "success")
    return htmx.redirect_to(url_for("frontdesk.inbox.messages"))


# --- visitors ---------------------------------------------------------------------------------


def _visitors_page(form: VisitForm, status: int = 200):
    page = paginate(desk.list_visits())
    return htmx.render(
        "frontdesk/visitors.html",
        "frontdesk/_partials/_visit_list.html",
        status_code=status,
        form=form,
        page=page,
        inside=desk.visitors_in_building(),
        **_common(page=not htmx.wants_fragment()),
    )


@desk_bp.get("/visitors")
@requires("visitors.manage")
def visitors():
    return _visitors_page(VisitForm())


@desk_bp.post("/visitors")
@requires("visitors.manage")
def create_visit():
    form = VisitForm()
    if form.validate_on_submit():
        try:
            visit = desk.register_visit(
                actor=current_user,
                visitor_name=form.visitor_name.data,
                company=form.company.data,
                host=form.host.data,
                badge_number=form.badge_number.data,
            )
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s signed in.", name=visit.visitor_name), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.visitors"))
    return _visitors_page(form, 422)


@desk_bp.post("/visitors/<int:visit_id>/leave")
@requires("visitors.manage")
def visit_left(visit_id: int):
    visit = desk.get_visit_or_404(visit_id)
    desk.sign_out_visit(visit, actor=current_user)
    db.session.commit()
    flash(_("%(name)s signed out.", name=visit.visitor_name), "success")
    return htmx.redirect_to(url_for("frontdesk.desk.visitors"))


@desk_bp.post("/visitors/<int:visit_id>/void")
@requires("visitors.manage")
def void_visit(visit_id: int):
    visit = desk.get_visit_or_404(visit_id)
    desk.void_visit(visit, actor=current_user, reason=VoidForm().reason.data)
    db.session.commit()
    flash(_("Visit voided."), "success")
    return htmx.redirect_to(url_for("frontdesk.desk.visitors"))


def _visit_edit_form(visit, *, submitted: bool = False) -> VisitEditForm:
    prefix = f"visit-{visit.id}"  # the list page already has the sign-in form's field ids
    if submitted:
        return VisitEditForm(prefix=prefix)
    return VisitEditForm(
        formdata=None,
        prefix=prefix,
        visitor_name=visit.visitor_name,
        company=visit.company,
        host=desk.person_label(visit.host) if visit.host else "",
        badge_number=visit.badge_number,
        arrived_at=desk.to_local_input(visit.arrived_at),
        left_at=desk.to_local_input(visit.left_at),
    )


def _visit_edit(visit, form: VisitEditForm, status: int = 200) -> Response:
    return htmx.render(
        "frontdesk/visit_edit.html",
        "frontdesk/_partials/_visit_edit_row.html",
        status_code=status,
        visit=visit,
        form=form,
        **_common(page=not htmx.wants_fragment()),
    )


@desk_bp.get("/visitors/<int:visit_id>/edit")
@requires("visitors.manage")
def edit_visit(visit_id: int):
    visit = desk.get_visit_or_404(visit_id)
    desk.check_correctable(visit, actor=current_user)
    return _visit_edit(visit, _visit_edit_form(visit))


@desk_bp.post("/visitors/<int:visit_id>")
@requires("visitors.manage")
def update_visit(visit_id: int):
    visit = desk.get_visit_or_404(visit_id)
    form = _visit_edit_form(visit, submitted=True)
    if form.validate_on_submit():
        try:
            desk.update_visit(
                visit,
                actor=current_user,
                visitor_name=form.visitor_name.data,
                company=form.company.data,
                host=form.host.data,
                badge_number=form.badge_number.data,
                arrived_at=form.arrived_at.data,
                left_at=form.left_at.data,
            )
        except DomainError as error:
            _fail(form, error)
            visit = desk.get_visit_or_404(visit_id)
        else:
            db.session.commit()
            if htmx.wants_fragment():
                # The corrected row replaces the form; "in the building" follows out of band.
                context = _common(page=False)
                row = render_template(
                    "frontdesk/_partials/_visit_rows.html", visits=[visit], **context
                )
                inside = render_template(
                    "frontdesk/_partials/_in_building.html",
                    inside=desk.visitors_in_building(),
                    oob=True,
                )
                return make_response(row + inside)
            flash(_("Visit corrected."), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.visitors"))
    return _visit_edit(visit, form, 422)


# --- faxes ------------------------------------------------------------------------------------


def _upload(form: FaxForm) -> tuple[str | None, bytes | None]:
    """The attached file's name and bytes (None, None when nothing was chosen)."""
    upload = form.file.data
    if not (upload and upload.filename):
        return None, None
    limit = current_app.config["FAX_MAX_BYTES"]
    return upload.filename, upload.stream.read(limit + 1)  # one byte more tells "too large"


def _faxes_page(form: FaxForm, status: int = 200):
    page = paginate(desk.list_faxes())
    return htmx.render(
        "frontdesk/faxes.html",
        "frontdesk/_partials/_fax_list.html",
        status_code=status,
        form=form,
        page=page,
        **_common(page=not htmx.wants_fragment()),
    )


@desk_bp.get("/faxes")
@requires("fax.manage")
def faxes():
    return _faxes_page(FaxForm())


@desk_bp.post("/faxes")
@requires("fax.manage")
def create_fax():
    form = FaxForm()
    if form.validate_on_submit():
        filename, data = _upload(form)
        try:
            desk.log_fax(
                actor=current_user,
                direction=form.direction.data,
                number=form.number.data,
                correspondent=form.correspondent.data,
                pages=form.pages.data,
                for_whom=form.for_whom.data,
                status=form.status.data,
                filename=filename,
                data=data,
            )
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("Fax registered."), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.faxes"))
    return _faxes_page(form, 422)


@desk_bp.get("/faxes/<int:fax_id>/file")
@signed_in
def fax_file(fax_id: int):
    fax = desk.get_fax_or_404(fax_id)
    path = desk.fax_file_for(fax, current_user)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=fax.original_name or f"fax-{fax.id}.pdf",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@desk_bp.post("/faxes/<int:fax_id>/void")
@requires("fax.manage")
def void_fax(fax_id: int):
    fax = desk.get_fax_or_404(fax_id)
    desk.void_fax(fax, actor=current_user, reason=VoidForm().reason.data)
    db.session.commit()
    flash(_("Fax voided."), "success")
    return htmx.redirect_to(url_for("frontdesk.desk.faxes"))


def _fax_edit_form(fax, *, submitted: bool = False) -> FaxForm:
    prefix = f"fax-{fax.id}"  # the list page already has the register form's field ids
    if submitted:
        return FaxForm(prefix=prefix)
    return FaxForm(
        formdata=None,
        prefix=prefix,
        direction=fax.direction,
        number=desk.format_phone(fax.number),
        correspondent=fax.correspondent,
        pages=fax.pages,
        for_whom=desk.person_label(fax.for_user) if fax.for_user else "",
        status=fax.status,
    )


def _fax_edit(fax, form: FaxForm, status: int = 200) -> Response:
    return htmx.render(
        "frontdesk/fax_edit.html",
        "frontdesk/_partials/_fax_edit_row.html",
        status_code=status,
        fax=fax,
        form=form,
        **_common(page=not htmx.wants_fragment()),
    )


@desk_bp.get("/faxes/<int:fax_id>/edit")
@requires("fax.manage")
def edit_fax(fax_id: int):
    fax = desk.get_fax_or_404(fax_id)
    desk.check_correctable(fax, actor=current_user)
    return _fax_edit(fax, _fax_edit_form(fax))


@desk_bp.post("/faxes/<int:fax_id>")
@requires("fax.manage")
def update_fax(fax_id: int):
    fax = desk.get_fax_or_404(fax_id)
    form = _fax_edit_form(fax, submitted=True)
    if form.validate_on_submit():
        filename, data = _upload(form)
        try:
            desk.update_fax(
                fax,
                actor=current_user,
                direction=form.direction.data,
                number=form.number.data,
                correspondent=form.correspondent.data,
                pages=form.pages.data,
                for_whom=form.for_whom.data,
                status=form.status.data,
                filename=filename,
                data=data,
            )
        except DomainError as error:
            _fail(form, error)
            fax = desk.get_fax_or_404(fax_id)
        else:
            db.session.commit()
            if htmx.wants_fragment():
                return make_response(
                    render_template(
                        "frontdesk/_partials/_fax_rows.html", faxes=[fax], **_common(page=False)
                    )
                )
            flash(_("Fax corrected."), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.faxes"))
    return _fax_edit(fax, form, 422)


# --- staff requests ---------------------------------------------------------------------------


@requests_bp.get("/requests")
@requires("requests.create")
def requests():
    status = request.args.get("status", "")
    mine = request.args.get("mine") == "1"
    page = paginate(desk.list_requests(current_user, status=status, mine=mine))
    return htmx.render(
        "frontdesk/requests.html",
        "frontdesk/_partials/_request_list.html",
        page=page,
        status=status,
        mine=mine,
        desk=desk,
    )


@requests_bp.get("/requests/new")
@requires("requests.create")
def new_request():
    return render_template("frontdesk/request_new.html", form=RequestForm())


@requests_bp.post("/requests")
@requires("requests.create")
def create_request():
    form = RequestForm()
    if form.validate_on_submit():
        try:
            req = desk.file_request(
                requester=current_user,
                type=form.type.data,
                title=form.title.data,
                description=form.description.data,
            )
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("Request #%(id)d filed.", id=req.id), "success")
            return htmx.redirect_to(url_for("frontdesk.requests.request_detail", request_id=req.id))
    return render_template("frontdesk/request_new.html", form=form), 422


def _triage_form(req, formdata: Any = None) -> TriageForm:
    if formdata is None:
        form = TriageForm(
            formdata=None,
            assignee_id=str(req.assignee_id or ""),
            priority=req.priority,
            due_date=req.due_date,
        )
    else:
        form = TriageForm()
    form.assignee_id.choices = [("", "—")] + [
        (str(u.id), u.name) for u in desk.back_office_people()
    ]
    return form


def _request_page(req, *, comment_form=None, triage_form=None, status_form=None, code=200):
    return render_template(
        "frontdesk/request.html",
        req=req,
        comment_form=comment_form or CommentForm(formdata=None),
        triage_form=triage_form
        or (_triage_form(req) if current_user.can("requests.triage") else None),
        status_form=status_form or StatusForm(formdata=None),
        desk=desk,
    ), code


@requests_bp.get("/requests/<int:request_id>")
@requires("requests.create")
def request_detail(request_id: int):
    req = desk.get_request_for(request_id, current_user)
    return _request_page(req)


@requests_bp.post("/requests/<int:request_id>/comments")
@requires("requests.create")
def comment_request(request_id: int):
    req = desk.get_request_for(request_id, current_user)
    form = CommentForm()
    try:
        desk.add_request_comment(req, author=current_user, body=form.body.data)
    except DomainError as error:
        _fail(form, error)
        return _request_page(
            desk.get_request_for(request_id, current_user), comment_form=form, code=422
        )
    db.session.commit()
    return htmx.redirect_to(url_for("frontdesk.requests.request_detail", request_id=req.id))


@requests_bp.post("/requests/<int:request_id>/triage")
@requires("requests.triage")
def triage_request(request_id: int):
    req = desk.get_request_for(request_id, current_user)
    form = _triage_form(req, formdata=True)
    if form.validate_on_submit():
        try:
            desk.triage_request(
                req,
                actor=current_user,
                assignee_id=int(form.assignee_id.data) if form.assignee_id.data else None,
                priority=form.priority.data,
                due_date=form.due_date.data,
            )
        except DomainError as error:
            _fail(form, error)
        else:
            db.session.commit()
            flash(_("Request updated."), "success")
            return htmx.redirect_to(url_for("frontdesk.requests.request_detail", request_id=req.id))
    req = desk.get_request_for(request_id, current_user)
    return _request_page(req, triage_form=form, code=422)


@requests_bp.post("/requests/<int:request_id>/status")
@requires("requests.triage")
def request_status(request_id: int):
    req = desk.get_request_for(request_id, current_user)
    form = StatusForm()
    try:
        desk.change_request_status(
            req, actor=current_user, status=form.status.data or "", reason=form.reason.data
        )
    except DomainError as error:
        _fail(form, error)
        return _request_page(
            desk.get_request_for(request_id, current_user), status_form=form, code=422
        )
    db.session.commit()
    flash(_("Request is now: %(status)s", status=desk.REQUEST_STATUS_LABELS[req.status]), "success")
    return htmx.redirect_to(url_for("frontdesk.requests.request_detail", request_id=req.id))
