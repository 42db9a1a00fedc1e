"""Interviews: schedule, reschedule, cancel, scorecards, the interviewer's working hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import htmx
from portal.blueprints.recruiting import bp
from portal.blueprints.recruiting.forms import InterviewForm, RescheduleForm, ScorecardForm
from portal.blueprints.recruiting.views.applications import application_url
from portal.blueprints.recruiting.views.common import (
    PlainForm,
    active_people,
    int_or_none,
    local_to_utc,
)
from portal.extensions import db
from portal.models import User
from portal.models.recruiting import Application
from portal.security import requires, signed_in
from portal.services import recruiting
from portal.web import unit_of_work


def _interview_form_choices(form: InterviewForm, application: Application) -> None:
    form.interviewers.choices = [(str(u.id), u.name) for u in active_people()]


@bp.get("/applications/<int:application_id>/interviews/new")
@requires("hr.interviews.schedule")
def new_interview(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    form = InterviewForm(
        interviewers=[str(u.id) for u in application.opening.interviewers],
        location=application.opening.location,
    )
    _interview_form_choices(form, application)
    return _interview_page(application, form)


def _interview_page(application: Application, form: InterviewForm, status_code: int = 200):
    now = datetime.now(UTC)
    busy = recruiting.busy_slots(current_user, now, now + timedelta(days=14))
    hours = recruiting.working_hours_of(current_user)
    page = "recruiting/interview_form.html"
    return htmx.render(
        page,
        page,
        status_code=status_code,
        form=form,
        application=application,
        busy=busy,
        hours=hours,
    )


@bp.post("/applications/<int:application_id>/interviews")
@requires("hr.interviews.schedule")
def create_interview(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    form = InterviewForm()
    _interview_form_choices(form, application)
    if form.validate_on_submit():
        start = local_to_utc(form.start.data)
        people = list(
            db.session.scalars(
                select(User).where(User.id.in_([int(i) for i in form.interviewers.data or []]))
            )
        )
        with unit_of_work(form) as work:
            recruiting.schedule_interview(
                application,
                actor=current_user,
                start=start,
                end=start + timedelta(minutes=form.duration.data),
                interviewers=people,
                location=form.location.data or "",
            )
        if work.ok:
            flash(_("Interview scheduled; invitations are on their way."), "success")
            return htmx.redirect_to(application_url(application.id))
    return _interview_page(application, form, 422)


@bp.post("/interviews/<int:interview_id>/reschedule")
@requires("hr.interviews.schedule")
def reschedule(interview_id: int):
    interview = recruiting.get_interview_or_404(interview_id)
    form = RescheduleForm()
    if form.validate_on_submit():
        start = local_to_utc(form.start.data)
        with unit_of_work(form) as work:
            recruiting.reschedule_interview(
                interview,
                actor=current_user,
                start=start,
                end=start + timedelta(minutes=form.duration.data),
            )
        if work.ok:
            flash(_("Interview moved; updated invitations are on their way."), "success")
            return htmx.redirect_to(application_url(interview.application_id))
    # The form again with the error by its field — never the application page, which a
    # scheduler without hr.candidates.view may not read (issue 10, item 1).
    interview = recruiting.get_interview_or_404(interview_id)
    return htmx.render(
        "recruiting/reschedule.html",
        "recruiting/_partials/_reschedule.html",
        status_code=422,
        interview=interview,
        form=form,
        back_url=application_url(interview.application_id),
    )


@bp.post("/interviews/<int:interview_id>/cancel")
@requires("hr.interviews.schedule")
def cancel(interview_id: int):
    interview = recruiting.get_interview_or_404(interview_id)
    with unit_of_work():  # a refusal answers with its status (the error handler)
        recruiting.cancel_interview(interview, actor=current_user)
    flash(_("Interview cancelled; everyone is told."), "success")
    return htmx.redirect_to(application_url(interview.application_id))


@bp.route("/interviews/<int:interview_id>/scorecard", methods=["GET", "POST"])
@signed_in
def scorecard(interview_id: int):
    interview = recruiting.get_interview_or_404(interview_id)
    if current_user not in interview.interviewers:
        abort(403)
    existing = next((c for c in interview.scorecards if c.interviewer_id == current_user.id), None)
    form = ScorecardForm(
        data={
            **existing.ratings,
            "notes": existing.notes,
            "recommendation": existing.recommendation,
        }
        if existing and request.method == "GET"
        else None
    )
    form.recommendation.choices = [(k, str(v)) for k, v in recruiting.RECOMMENDATIONS.items()]
    if request.method == "POST":
        if form.validate_on_submit():
            with unit_of_work(form) as work:
                recruiting.save_scorecard(
                    interview,
                    interviewer=current_user,
                    ratings={k: int_or_none(getattr(form, k).data) for k in recruiting.CRITERIA},
                    notes=form.notes.data or "",
                    recommendation=form.recommendation.data,
                )
            if work.ok:
                flash(_("Scorecard saved."), "success")
                return htmx.redirect_to(application_url(interview.application_id))
        status = 422
    else:
        status = 200
    page = "recruiting/scorecard.html"
    return htmx.render(
        page,
        page,
        status_code=status,
        form=form,
        interview=interview,
        is_open=recruiting.scorecard_open(interview),
    )


@bp.route("/availability", methods=["GET", "POST"])
@requires("hr.interviews.schedule")
def availability():
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        hours: dict[int, tuple[int, int] | None] = {}
        for day in range(7):
            start, end = request.form.get(f"start{day}", ""), request.form.get(f"end{day}", "")
            if not start and not end:
                hours[day] = None
                continue
            try:
                sh, sm = (int(x) for x in start.split(":"))
                eh, em = (int(x) for x in end.split(":"))
                hours[day] = (sh * 60 + sm, eh * 60 + em)
            except ValueError:
                errors[f"day{day}"] = _("Use hours like 09:00.")
        if not errors:
            with unit_of_work(PlainForm()) as work:
                recruiting.set_working_hours(current_user, hours)
            if work.ok:
                flash(_("Working hours saved."), "success")
                return htmx.redirect_to(url_for("recruiting.availability"))
            errors[work.error.field or "day0"] = work.error.message
        status = 422
    now = datetime.now(UTC)
    page = "recruiting/availability.html"
    return htmx.render(
        page,
        page,
        status_code=status,
        hours=recruiting.working_hours_of(current_user),
        busy=recruiting.busy_slots(current_user, now, now + timedelta(days=14)),
        errors=errors,
        form_data=request.form,
    )
