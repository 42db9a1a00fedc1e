"""Visitors: sign in, sign out, correct and void visits."""

from __future__ import annotations

from flask import (
    Response,
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
    VisitEditForm,
    VisitForm,
    VoidForm,
)
from portal.blueprints.frontdesk.views.common import desk_context, settle
from portal.blueprints.frontdesk.views.corrections import render_correction_row, save_correction
from portal.exports import export_response
from portal.pagination import paginate
from portal.security import requires
from portal.services import frontdesk as desk
from portal.services.frontdesk import exports as desk_exports
from portal.web import unit_of_work

# --- visitors ---------------------------------------------------------------------------------


def _visitors_page(form: VisitForm, status: int = 200):
    q = request.args.get("q", "").strip()[:100]
    page = paginate(desk.list_visits(q))
    return htmx.render(
        "frontdesk/visitors.html",
        "frontdesk/_partials/_visit_list.html",
        status_code=status,
        form=form,
        page=page,
        inside=desk.visitors_in_building(),
        q=q,
        **desk_context(page=not htmx.wants_fragment()),
    )


@desk_bp.get("/visitors")
@requires("visitors.manage")
def visitors():
    return _visitors_page(VisitForm())


@desk_bp.get("/visitors/export")
@requires("visitors.manage")
def export_visits():
    """The visitor register (with its search) as CSV or XLSX (``?format=xlsx``)."""
    rows = desk_exports.visit_rows(request.args.get("q", "").strip()[:100])
    return export_response(rows, "visitors", title=_("Visitors"))


@desk_bp.post("/visitors")
@requires("visitors.manage")
def create_visit():
    form = VisitForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            visit = desk.register_visit(
                actor=current_user,
                visitor_name=form.visitor_name.data,
                company=form.company.data,
                host=form.host.data,
                badge_number=form.badge_number.data,
            )
        settle(form, work)
        if work.ok:
            flash(_("%(name)s signed in.", name=visit.visitor_name), "success")
            return htmx.redirect_to(url_for("frontdesk.desk.visitors"))
    return _visitors_page(form, 422)


@desk_bp.post("/visitors/<int:visit_id>/leave")
@requires("visitors.manage")
def visit_left(visit_id: int):
    visit = desk.get_visit_or_404(visit_id)
    with unit_of_work():
        desk.sign_out_visit(visit, actor=current_user)
    flash(_("%(name)s signed out.", name=visit.visitor_name), "success")
    return htmx.redirect_to(url_for("frontdesk.desk.visitors"))


@desk_bp.post("/visitors/<int:visit_id>/void")
@requires("visitors.manage")
def void_visit(visit_id: int):
    visit = desk.get_visit_or_404(visit_id)
    with unit_of_work():
        desk.void_visit(visit, actor=current_user, reason=VoidForm().reason.data)
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


def _save_visit(visit, form: VisitEditForm) -> None:
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


def _corrected_visit(visit) -> Response:
    # The corrected row replaces the form; "in the building" follows out of band.
    context = desk_context(page=False)
    row = render_template("frontdesk/_partials/_visit_rows.html", visits=[visit], **context)
    inside = render_template(
        "frontdesk/_partials/_in_building.html", inside=desk.visitors_in_building(), oob=True
    )
    return make_response(row + inside)


@desk_bp.get("/visitors/<int:visit_id>/edit")
@requires("visitors.manage")
def edit_visit(visit_id: int):
    visit = desk.get_visit_or_404(visit_id)
    desk.check_correctable(visit, actor=current_user)
    return render_correction_row("visit", visit, _visit_edit_form(visit))


@desk_bp.post("/visitors/<int:visit_id>")
@requires("visitors.manage")
def update_visit(visit_id: int):
    return save_correction(
        visit_id,
        load=desk.get_visit_or_404,
        make_form=lambda visit: _visit_edit_form(visit, submitted=True),
        apply=_save_visit,
        done=_("Visit corrected."),
        next_url=lambda visit: url_for("frontdesk.desk.visitors"),
        again=lambda visit, form, status: render_correction_row("visit", visit, form, status),
        fragment=_corrected_visit,
    )
