"""Staff requests: filing, the list, triage, status changes and comments."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.frontdesk import requests_bp
from portal.blueprints.frontdesk.forms import (
    CommentForm,
    RequestForm,
    StatusForm,
    TriageForm,
)
from portal.blueprints.frontdesk.views.common import settle
from portal.exports import export_response
from portal.pagination import paginate
from portal.security import requires
from portal.services import frontdesk as desk
from portal.services.frontdesk import exports as desk_exports
from portal.web import unit_of_work

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


@requests_bp.get("/requests/export")
@requires("requests.create")
def export_requests():
    """The request list as the caller sees it (status, "mine"), as CSV or XLSX."""
    rows = desk_exports.request_rows(
        current_user._get_current_object(),
        status=request.args.get("status", ""),
        mine=request.args.get("mine") == "1",
    )
    return export_response(rows, "requests", title=_("Requests"))


@requests_bp.get("/requests/new")
@requires("requests.create")
def new_request():
    return render_template("frontdesk/request_new.html", form=RequestForm())


@requests_bp.post("/requests")
@requires("requests.create")
def create_request():
    form = RequestForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            req = desk.file_request(
                requester=current_user,
                type=form.type.data,
                title=form.title.data,
                description=form.description.data,
            )
        settle(form, work)
        if work.ok:
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
    with unit_of_work(form) as work:
        desk.add_request_comment(req, author=current_user, body=form.body.data)
    settle(form, work)
    if not work.ok:
        return _request_page(
            desk.get_request_for(request_id, current_user), comment_form=form, code=422
        )
    return htmx.redirect_to(url_for("frontdesk.requests.request_detail", request_id=req.id))


@requests_bp.post("/requests/<int:request_id>/triage")
@requires("requests.triage")
def triage_request(request_id: int):
    req = desk.get_request_for(request_id, current_user)
    form = _triage_form(req, formdata=True)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            desk.triage_request(
                req,
                actor=current_user,
                assignee_id=int(form.assignee_id.data) if form.assignee_id.data else None,
                priority=form.priority.data,
                due_date=form.due_date.data,
            )
        settle(form, work)
        if work.ok:
            flash(_("Request updated."), "success")
            return htmx.redirect_to(url_for("frontdesk.requests.request_detail", request_id=req.id))
    req = desk.get_request_for(request_id, current_user)
    return _request_page(req, triage_form=form, code=422)


@requests_bp.post("/requests/<int:request_id>/status")
@requires("requests.triage")
def request_status(request_id: int):
    req = desk.get_request_for(request_id, current_user)
    form = StatusForm()
    with unit_of_work(form) as work:
        desk.change_request_status(
            req, actor=current_user, status=form.status.data or "", reason=form.reason.data
        )
    settle(form, work)
    if not work.ok:
        return _request_page(
            desk.get_request_for(request_id, current_user), status_form=form, code=422
        )
    flash(_("Request is now: %(status)s", status=desk.REQUEST_STATUS_LABELS[req.status]), "success")
    return htmx.redirect_to(url_for("frontdesk.requests.request_detail", request_id=req.id))
