"""Recruiting views: thin — parse, call one service, commit once, respond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from flask import abort, flash, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal import htmx
from portal.blueprints.forms_util import attach_error, commit_or_attach
from portal.blueprints.recruiting import bp, privacy
from portal.blueprints.recruiting.forms import (
    CandidateForm,
    HireForm,
    InterviewForm,
    OpeningForm,
    RescheduleForm,
    ScorecardForm,
    SlotForm,
    UploadForm,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Department, User
from portal.models.recruiting import OPENING_STATUSES, STAGES, Application
from portal.pagination import page_arg, paginate
from portal.routing import parse_int
from portal.security import public, requires, signed_in
from portal.services import recruiting
from portal.services import recruiting_files as files
from portal.web import error_response


def _local_to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=recruiting.local_tz()).astimezone(UTC)


def _people() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active).order_by(User.name)))


def _opening_choices(form: OpeningForm) -> None:
    form.department_id.choices = [("", "—")] + [
        (str(d.id), d.name)
        for d in db.session.scalars(select(Department).order_by(Department.name))
    ]
    people = _people()
    form.hiring_manager_id.choices = [("", "—")] + [(str(u.id), u.name) for u in people]
    form.interviewer_ids.choices = [(str(u.id), u.name) for u in people]
    form.status.choices = [(s, str(recruiting.OPENING_STATUS_LABELS[s])) for s in OPENING_STATUSES]


def _int_or_none(value: str | None) -> int | None:
    return parse_int(value)


# --- openings ----------------------------------------------------------------------------------


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
    return render_template("recruiting/opening_form.html", form=form, opening=None)


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
        department_id=_int_or_none(form.department_id.data),
        hiring_manager_id=_int_or_none(form.hiring_manager_id.data),
        interviewer_ids=[int(i) for i in form.interviewer_ids.data or []],
    )


@bp.post("/openings")
@requires("hr.openings.manage")
def create_opening():
    form = OpeningForm()
    _opening_choices(form)
    if form.validate_on_submit():
        ok, opening = commit_or_attach(form, lambda: _save_opening(None, form))
        if ok:
            return _opening_saved(opening)
    return render_template("recruiting/opening_form.html", form=form, opening=None), 422


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
    return render_template("recruiting/opening_form.html", form=form, opening=opening)


@bp.post("/openings/<int:opening_id>/edit")
@requires("hr.openings.manage")
def update_opening(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = OpeningForm()
    _opening_choices(form)
    if form.validate_on_submit():
        ok, _saved = commit_or_attach(form, lambda: _save_opening(opening, form))
        if ok:
            return _opening_saved(opening)
    return render_template("recruiting/opening_form.html", form=form, opening=opening), 422


@bp.get("/openings/<int:opening_id>")
@requires("hr.candidates.view")
def opening(opening_id: int):
    stage = request.args.get("stage", "active")
    min_score = _int_or_none(request.args.get("min_score"))
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


@bp.post("/openings/<int:opening_id>/reject")
@requires("hr.openings.manage")
def bulk_reject(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    ids = [i for i in map(parse_int, request.form.getlist("ids")) if i is not None]
    try:
        count = recruiting.bulk_reject(
            opening, ids, actor=current_user, reason=request.form.get("reason", "")
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return htmx.redirect_to(privacy.readable_url("recruiting.opening", opening_id=opening.id))
    db.session.commit()
    flash(_("%(n)d candidates rejected; each will receive a courteous e-mail.", n=count), "success")
    return htmx.redirect_to(privacy.readable_url("recruiting.opening", opening_id=opening.id))


# --- intake ------------------------------------------------------------------------------------


@bp.get("/openings/<int:opening_id>/upload")
@requires("hr.cv.upload")
def upload(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = UploadForm(form_token=recruiting.new_form_token())
    return render_template("recruiting/upload.html", form=form, opening=opening, quota=_quota())


def _quota() -> dict[str, float]:
    files_max, mb_max = recruiting.quota()
    used_files, used_bytes = recruiting.uploaded_today(current_user)
    return {
        "files": files_max,
        "mb": mb_max,
        "left_files": max(0, files_max - used_files),
        "left_mb": max(0.0, mb_max - used_bytes / (1024 * 1024)),
    }


@bp.post("/openings/<int:opening_id>/upload")
@requires("hr.cv.upload")
def upload_post(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = UploadForm()
    token = form.form_token.data or None
    if form.validate_on_submit():
        uploads = [(f.filename, f.read()) for f in request.files.getlist("files") if f]
        try:
            batch = recruiting.upload_cvs(opening, uploads, actor=current_user, token=token)
        except recruiting.AlreadySubmitted:
            db.session.rollback()  # a double click: show what the first submission made
            batch = recruiting.submitted_result(token, kind="upload", actor=current_user)
            if batch:
                return htmx.redirect_to(url_for("recruiting.batch", batch=batch))
            form.form_errors.append(_("This form was already submitted."))
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            return htmx.redirect_to(url_for("recruiting.batch", batch=batch))
    if not form.form_token.data:
        form.form_token.data = recruiting.new_form_token()
    page = render_template("recruiting/upload.html", form=form, opening=opening, quota=_quota())
    return page, 422


@bp.get("/batches/<batch>")
@requires("hr.cv.upload")
def batch(batch: str):
    cvs = recruiting.list_batch(batch)
    if not cvs:
        abort(404)
    pending = any(cv.status in ("queued", "extracting", "extracted") for cv in cvs)
    return htmx.render(
        "recruiting/batch.html",
        "recruiting/_partials/_progress.html",
        cvs=cvs,
        batch=batch,
        opening=cvs[0].opening,
        pending=pending,
        labels=recruiting.CV_STATUS_LABELS,
        reason=files.reason,
    )


@bp.get("/openings/<int:opening_id>/candidates/new")
@requires("hr.cv.upload")
def new_candidate(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = CandidateForm(locale="pt_BR", form_token=recruiting.new_form_token())
    return render_template("recruiting/candidate_form.html", form=form, opening=opening)


@bp.post("/openings/<int:opening_id>/candidates/new")
@requires("hr.cv.upload")
def create_candidate(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = CandidateForm()
    token = form.form_token.data or None
    if form.validate_on_submit():
        try:
            application = recruiting.add_candidate(
                opening,
                actor=current_user,
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data,
                cv_text=form.cv_text.data or "",
                locale=form.locale.data,
                token=token,
            )
        except recruiting.AlreadySubmitted:
            db.session.rollback()  # a double click: go where the first submission went
            added = recruiting.submitted_result(token, kind="candidate", actor=current_user)
            if added:
                return htmx.redirect_to(_application_url(int(added)))
            form.form_errors.append(_("This form was already submitted."))
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Candidate added (score %(score)d).", score=application.score), "success")
            return htmx.redirect_to(_application_url(application.id))
    if not form.form_token.data:
        form.form_token.data = recruiting.new_form_token()
    return render_template("recruiting/candidate_form.html", form=form, opening=opening), 422


# --- one application ---------------------------------------------------------------------------


def _application_url(application_id: int) -> str:
    """The application page, or a start page for a caller who may act on it but not read it."""
    return privacy.readable_url("recruiting.application", application_id=application_id)


def _application_page(
    application: Application, status_code: int = 200, *, message: str | None = None, **forms
):
    """The application page; a caller who may act on it but not read it gets only ``message``."""
    if not privacy.may(privacy.VIEW_CANDIDATES):
        if status_code < 400:
            return htmx.redirect_to(privacy.readable_url("recruiting.index"))
        return error_response(status_code, message)
    if message:
        flash(message, "error")
    blind = request.args.get("blind") == "1"
    interviews = recruiting.interviews_of(application)
    ctx = {
        "application": application,
        "opening": application.opening,
        "candidate": application.candidate,
        "evidence": recruiting.blind_view(application) if blind else application.evidence,
        "blind": blind,
        "interviews": interviews,
        "scorecards": [c for i in interviews for c in i.scorecards],
        "events": recruiting.timeline(application),
        "cvs": recruiting.cv_files_of(application),
        "labels": recruiting.STAGE_LABELS,
        "stages": STAGES,
        "criteria": recruiting.CRITERIA,
        "recommendations": recruiting.RECOMMENDATIONS,
        "hire_form": forms.get("hire_form") or HireForm(position=application.opening.title),
        "reschedule_form": RescheduleForm(),
        "token": forms.get("token"),
    }
    return render_template("recruiting/application.html", **ctx), status_code


@bp.get("/applications/<int:application_id>")
@requires("hr.candidates.view")
def application(application_id: int):
    return _application_page(recruiting.get_application_or_404(application_id))


@bp.post("/applications/<int:application_id>/stage")
@requires("hr.openings.manage")
def stage(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    try:
        recruiting.move_stage(
            application,
            stage=request.form.get("stage", ""),
            actor=current_user,
            reason=request.form.get("reason", ""),
        )
    except DomainError as error:
        db.session.rollback()
        application = recruiting.get_application_or_404(application_id)
        return _application_page(application, 422, message=error.message)
    db.session.commit()
    return htmx.redirect_to(_application_url(application.id))


@bp.post("/applications/<int:application_id>/duplicate")
@requires("hr.openings.manage")
def duplicate(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    recruiting.resolve_duplicate(
        application, action=request.form.get("action", ""), actor=current_user
    )
    db.session.commit()
    return htmx.redirect_to(_application_url(application.id))


@bp.post("/applications/<int:application_id>/hire")
@requires("hr.employees.manage")
def hire(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    form = HireForm()
    message = None
    if form.validate_on_submit():
        try:
            recruiting.hire(
                application,
                actor=current_user,
                start_date=form.start_date.data,
                position=form.position.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            message = error.message
        else:
            db.session.commit()
            flash(
                _("%(name)s hired; the employee record is ready.", name=application.candidate.name),
                "success",
            )
            return htmx.redirect_to(_application_url(application.id))
    return _application_page(application, 422, message=message, hire_form=form)


@bp.post("/applications/<int:application_id>/booking-link")
@requires("hr.interviews.schedule")
def booking_link(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    token = recruiting.create_booking_link(application, actor=current_user)
    db.session.commit()
    flash(_("Booking link sent to the candidate."), "success")
    return _application_page(application, token=token)


@bp.get("/cvs/<int:cv_id>")
@requires("hr.candidates.view")
def cv_download(cv_id: int):
    cv = recruiting.get_cv_or_404(cv_id)
    recruiting.record_cv_view(cv, actor=current_user)
    db.session.commit()
    response = send_file(
        files.path_of(cv.stored_name),
        # the bare media type: Werkzeug adds "; charset=utf-8" to text/* itself (the stored
        # type already has it, and passing it on sent the charset twice)
        mimetype=files.EXTENSIONS[cv.kind].partition(";")[0].strip(),
        as_attachment=True,
        download_name=f"cv-{cv.id}.{cv.kind}",
        max_age=0,
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"cv-{cv.id}.{cv.kind}\"; filename*=UTF-8''{quote(cv.original_name)}"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- interviews --------------------------------------------------------------------------------


def _interview_form_choices(form: InterviewForm, application: Application) -> None:
    form.interviewers.choices = [(str(u.id), u.name) for u in _people()]


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
    return render_template(
        "recruiting/interview_form.html",
        form=form,
        application=application,
        busy=busy,
        hours=hours,
    ), status_code


@bp.post("/applications/<int:application_id>/interviews")
@requires("hr.interviews.schedule")
def create_interview(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    form = InterviewForm()
    _interview_form_choices(form, application)
    if form.validate_on_submit():
        start = _local_to_utc(form.start.data)
        people = list(
            db.session.scalars(
                select(User).where(User.id.in_([int(i) for i in form.interviewers.data or []]))
            )
        )
        try:
            recruiting.schedule_interview(
                application,
                actor=current_user,
                start=start,
                end=start + timedelta(minutes=form.duration.data),
                interviewers=people,
                location=form.location.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Interview scheduled; invitations are on their way."), "success")
            return htmx.redirect_to(_application_url(application.id))
    return _interview_page(application, form, 422)


@bp.post("/interviews/<int:interview_id>/reschedule")
@requires("hr.interviews.schedule")
def reschedule(interview_id: int):
    interview = recruiting.get_interview_or_404(interview_id)
    form = RescheduleForm()
    if form.validate_on_submit():
        start = _local_to_utc(form.start.data)
        try:
            recruiting.reschedule_interview(
                interview,
                actor=current_user,
                start=start,
                end=start + timedelta(minutes=form.duration.data),
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Interview moved; updated invitations are on their way."), "success")
            return htmx.redirect_to(_application_url(interview.application_id))
    # The form again with the error by its field — never the application page, which a
    # scheduler without hr.candidates.view may not read (issue 10, item 1).
    interview = recruiting.get_interview_or_404(interview_id)
    return htmx.render(
        "recruiting/reschedule.html",
        "recruiting/_partials/_reschedule.html",
        status_code=422,
        interview=interview,
        form=form,
        back_url=_application_url(interview.application_id),
    )


@bp.post("/interviews/<int:interview_id>/cancel")
@requires("hr.interviews.schedule")
def cancel(interview_id: int):
    interview = recruiting.get_interview_or_404(interview_id)
    recruiting.cancel_interview(interview, actor=current_user)
    db.session.commit()
    flash(_("Interview cancelled; everyone is told."), "success")
    return htmx.redirect_to(_application_url(interview.application_id))


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
            try:
                recruiting.save_scorecard(
                    interview,
                    interviewer=current_user,
                    ratings={k: _int_or_none(getattr(form, k).data) for k in recruiting.CRITERIA},
                    notes=form.notes.data or "",
                    recommendation=form.recommendation.data,
                )
            except DomainError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                db.session.commit()
                flash(_("Scorecard saved."), "success")
                return htmx.redirect_to(url_for("core.dashboard"))
        return render_template("recruiting/scorecard.html", form=form, interview=interview), 422
    return render_template("recruiting/scorecard.html", form=form, interview=interview)


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
            try:
                recruiting.set_working_hours(current_user, hours)
            except DomainError as error:
                db.session.rollback()
                errors[error.field or "day0"] = error.message
            else:
                db.session.commit()
                flash(_("Working hours saved."), "success")
                return htmx.redirect_to(url_for("recruiting.availability"))
        status = 422
    now = datetime.now(UTC)
    return render_template(
        "recruiting/availability.html",
        hours=recruiting.working_hours_of(current_user),
        busy=recruiting.busy_slots(current_user, now, now + timedelta(days=14)),
        errors=errors,
        form_data=request.form,
    ), status


@bp.route("/openings/<int:opening_id>/slots", methods=["GET", "POST"])
@requires("hr.interviews.schedule")
def slots(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = SlotForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            start = _local_to_utc(form.start.data)
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


# --- public self-booking -----------------------------------------------------------------------


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
            interview = recruiting.book_slot(token, _int_or_none(request.form.get("slot")) or 0)
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


# --- employees ---------------------------------------------------------------------------------


@bp.get("/employees")
@requires("hr.employees.view")
def employees():
    page = paginate(recruiting.list_employees())
    return htmx.render(
        "recruiting/employees.html", "recruiting/_partials/_employees.html", page=page
    )
