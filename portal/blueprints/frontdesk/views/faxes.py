"""Faxes: register, download, correct and void faxes."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.frontdesk import desk_bp
from portal.blueprints.frontdesk.forms import (
    FaxForm,
    VoidForm,
)
from portal.blueprints.frontdesk.views.common import desk_context, settle
from portal.blueprints.frontdesk.views.corrections import render_correction_row, save_correction
from portal.exports import export_response
from portal.pagination import paginate
from portal.security import requires, signed_in
from portal.services import frontdesk as desk
from portal.services.frontdesk import exports as desk_exports
from portal.web import unit_of_work

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
        **desk_context(page=not htmx.wants_fragment()),
    )


@desk_bp.get("/faxes")
@requires("fax.manage")
def faxes():
    return _faxes_page(FaxForm())


@desk_bp.get("/faxes/export")
@requires("fax.manage")
def export_faxes():
    """The fax register as CSV or XLSX (``?format=xlsx``)."""
    return export_response(desk_exports.fax_rows(), "faxes", title=_("Faxes"))


@desk_bp.post("/faxes")
@requires("fax.manage")
def create_fax():
    form = FaxForm()
    if form.validate_on_submit():
        filename, data = _upload(form)
        with unit_of_work(form) as work:
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
        settle(form, work)
        if work.ok:
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
    with unit_of_work():
        desk.void_fax(fax, actor=current_user, reason=VoidForm().reason.data)
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


def _save_fax(fax, form: FaxForm) -> None:
    filename, data = _upload(form)
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


def _corrected_fax(fax) -> Response:
    return make_response(
        render_template(
            "frontdesk/_partials/_fax_rows.html", faxes=[fax], **desk_context(page=False)
        )
    )


@desk_bp.get("/faxes/<int:fax_id>/edit")
@requires("fax.manage")
def edit_fax(fax_id: int):
    fax = desk.get_fax_or_404(fax_id)
    desk.check_correctable(fax, actor=current_user)
    return render_correction_row("fax", fax, _fax_edit_form(fax))


@desk_bp.post("/faxes/<int:fax_id>")
@requires("fax.manage")
def update_fax(fax_id: int):
    return save_correction(
        fax_id,
        load=desk.get_fax_or_404,
        make_form=lambda fax: _fax_edit_form(fax, submitted=True),
        apply=_save_fax,
        done=_("Fax corrected."),
        next_url=lambda fax: url_for("frontdesk.desk.faxes"),
        again=lambda fax, form, status: render_correction_row("fax", fax, form, status),
        fragment=_corrected_fax,
    )
