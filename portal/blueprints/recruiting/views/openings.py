"""Openings: the list, create / edit, the ranked candidates of an opening, bulk rejection."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal import htmx
from portal.blueprints.recruiting import bp, privacy
from portal.blueprints.recruiting.forms import OpeningForm
from portal.blueprints.recruiting.views.common import PlainForm, active_people, int_or_none
from portal.exports import export_response
from portal.extensions import db
from portal.models import Department
from portal.models.recruiting import OPENING_STATUSES, STAGES, Application
from portal.pagination import page_arg, paginate
from portal.routing import parse_int
from portal.security import requires
from portal.services import recruiting
from portal.services.recruiting import exports as recruiting_exports
from portal.web import unit_of_work


def _opening_choices(form: OpeningForm) -> None:
    form.department_id.choices = [("", "—")] + [
        (str(d.id), d.name)
        for d in db.session.scalars(select(Department).order_by(Department.name))
    ]
    people = active_people()
    form.hiring_manager_id.choices = [("", "—")] + [(str(u.id), u.name) for u in people]
    form.interviewer_ids.choices = [(str(u.id), u.name) for u in people]
    form.status.choices = [(s, str(recruiting.OPENING_STATUS_LABELS[s])) for s in OPENING_STATUSES]


@bp.get("/")
@requires("hr.cv.upload")
def index():
    status = request.args.get("status", "")
    page = paginate(recruiting.list_openings(status or None))
    ids = [o.id for o in page.items]
    counts = dict(
        db.session.execute(
            select(Application.opening_id, func.count(Application.id))
            .where(Application.opening_id.in_(ids))
            .group_by(Application.opening_id)
        ).all()
    )
    return htmx.render(
        "recruiting/index.html",
        "recruiting/_partials/_openings.html",
        page=page,
        counts=counts,
        status=status,
        statuses=OPENING_STATUSES,
        labels=recruiting.OPENING_STATUS_LABELS,
    )


@bp.get("/openings/new")
@requires("hr.openings.manage")
def new_opening():
    form = OpeningForm(status="open", min_years=0)
    _opening_choices(form)
    return _opening_form_page(form, None)


def _opening_form_page(form: OpeningForm, opening, status_code: int = 200):
    page = "recruiting/opening_form.html"
    return htmx.render(page, page, status_code=status_code, form=form, opening=opening)


def _save_opening(opening, form: OpeningForm):
    return recruiting.save_opening(
        opening,
        actor=current_user,
        title=form.title.data,
        description=form.description.data or "",
        must_haves=form.must_haves.data or "",
        nice_to_haves=form.nice_to_haves.data or "",
        min_years=form.min_years.data or 0,
        languages=form.languages.data or "",
        location=form.location.data or "",
        status=form.status.data,
        department_id=int_or_none(form.department_id.data),
        hiring_manager_id=int_or_none(form.hiring_manager_id.data),
        interviewer_ids=[int(i) for i in form.interviewer_ids.data or []],
    )


@bp.post("/openings")
@requires("hr.openings.manage")
def create_opening():
    form = OpeningForm()
    _opening_choices(form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            opening = _save_opening(None, form)
        if work.ok:
            return _opening_saved(opening)
    return _opening_form_page(form, None, 422)


def _opening_saved(opening):
    flash(_("Opening %(title)s saved.", title=opening.title), "success")
    return htmx.redirect_to(privacy.readable_url("recruiting.opening", opening_id=opening.id))


@bp.get("/openings/<int:opening_id>/edit")
@requires("hr.openings.manage")
def edit_opening(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = OpeningForm(
        obj=opening,
        department_id=str(opening.department_id or ""),
        hiring_manager_id=str(opening.hiring_manager_id or ""),
        interviewer_ids=[str(u.id) for u in opening.interviewers],
        must_haves=recruiting.format_requirements(opening.requirements, "must"),
        nice_to_haves=recruiting.format_requirements(opening.requirements, "nice"),
    )
    _opening_choices(form)
    return _opening_form_page(form, opening)


@bp.post("/openings/<int:opening_id>/edit")
@requires("hr.openings.manage")
def update_opening(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = OpeningForm()
    _opening_choices(form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            _save_opening(opening, form)
        if work.ok:
            return _opening_saved(opening)
    return _opening_form_page(form, opening, 422)


@bp.get("/openings/<int:opening_id>")
@requires("hr.candidates.view")
def opening(opening_id: int):
    stage = request.args.get("stage", "active")
    min_score = int_or_none(request.args.get("min_score"))
    missing = request.args.get("missing", "")
    blind = request.args.get("blind") == "1"
    opening, page = recruiting.ranked_page(
        opening_id, stage=stage, min_score=min_score, missing=missing, page=page_arg()
    )
    # Built once per page; each row appends its id ("/recruiting/applications/" + id).
    app_url = url_for("recruiting.application", application_id=0)[:-1]
    labels = recruiting.stage_labels()
    return htmx.render(
        "recruiting/opening.html",
        "recruiting/_partials/_ranked.html",
        opening=opening,
        page=page,
        rows=recruiting.ranked_rows(page.items, blind=blind, labels=labels),
        app_url=app_url,
        app_url_suffix="?blind=1" if blind else "",
        stage=stage,
        min_score=min_score,
        missing=missing,
        blind=blind,
        stages=STAGES,
        labels=labels,
        status_labels=recruiting.OPENING_STATUS_LABELS,
        t=recruiting.ranked_texts(),
    )


@bp.get("/openings/<int:opening_id>/export")
@requires("hr.candidates.view")
def export_candidates(opening_id: int):
    """The ranked list under its current filters, as CSV or XLSX (HR only)."""
    recruiting.get_opening_or_404(opening_id)
    stage = request.args.get("stage", "active")
    rows = recruiting_exports.candidate_rows(
        opening_id,
        stage="" if stage == "all" else stage,
        min_score=int_or_none(request.args.get("min_score")),
        missing=request.args.get("missing", "")[:200],
        blind=request.args.get("blind") == "1",
    )
    return export_response(rows, f"candidates-{opening_id}", title=_("Candidates"))


@bp.post("/openings/<int:opening_id>/reject")
@requires("hr.openings.manage")
def bulk_reject(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    ids = [i for i in map(parse_int, request.form.getlist("ids")) if i is not None]
    with unit_of_work(PlainForm()) as work:
        count = recruiting.bulk_reject(
            opening, ids, actor=current_user, reason=request.form.get("reason", "")
        )
    if work.ok:
        flash(
            _("%(n)d candidates rejected; each will receive a courteous e-mail.", n=count),
            "success",
        )
    else:  # the list again, the refusal on top (the boxes are ticked on the list itself)
        flash(work.error.message, "error")
    return htmx.redirect_to(privacy.readable_url("recruiting.opening", opening_id=opening.id))
