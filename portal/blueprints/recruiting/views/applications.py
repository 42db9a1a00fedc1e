"""CV intake and one application: upload, batches, candidates by hand, stage, hire, CV download."""

from __future__ import annotations

from urllib.parse import quote

from flask import abort, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from portal import htmx
from portal.blueprints.recruiting import bp, privacy
from portal.blueprints.recruiting.forms import CandidateForm, HireForm, RescheduleForm, UploadForm
from portal.models.recruiting import STAGES, Application
from portal.security import requires
from portal.services import recruiting
from portal.services.people import retention
from portal.services.recruiting import files
from portal.web import error_response, unit_of_work


class StageForm(FlaskForm):
    """The application page's "Move to" panel (its inputs are written in application.html).

    CSRF is checked for every POST by CSRFProtect; a refusal goes next to ``stage`` or
    ``reason`` through ``unit_of_work``.
    """

    class Meta:
        csrf = False

    stage = StringField()
    reason = StringField()


@bp.get("/openings/<int:opening_id>/upload")
@requires("hr.cv.upload")
def upload(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = UploadForm(form_token=recruiting.new_form_token())
    return _upload_page(opening, form)


def _upload_page(opening, form: UploadForm, status_code: int = 200):
    if not form.form_token.data:  # a fresh token for the next try
        form.form_token.data = recruiting.new_form_token()
    return htmx.render(
        "recruiting/upload.html",
        "recruiting/upload.html",
        status_code=status_code,
        form=form,
        opening=opening,
        quota=_quota(),
    )


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
            with unit_of_work(form) as work:
                outcome = recruiting.upload_cv_batch(
                    opening, uploads, actor=current_user, token=token
                )
        except recruiting.AlreadySubmitted:  # a double click: show what the first one made
            batch = recruiting.submitted_result(token, kind="upload", actor=current_user)
            if batch:
                return htmx.redirect_to(url_for("recruiting.batch", batch=batch))
            form.form_errors.append(_("This form was already submitted."))
        else:
            if work.ok:
                _flash_upload(outcome)
                return htmx.redirect_to(url_for("recruiting.batch", batch=outcome.batch))
    return _upload_page(opening, form, 422)


def _flash_upload(outcome: recruiting.UploadOutcome) -> None:
    """Say what was kept and name each refused file with its reason (shown on the batch page)."""
    flash(
        ngettext(
            "%(num)d file stored and queued for reading.",
            "%(num)d files stored and queued for reading.",
            outcome.stored,
        ),
        "success",
    )
    if outcome.refused:
        flash(
            ngettext(
                "%(num)d file was refused and not stored:",
                "%(num)d files were refused and not stored:",
                len(outcome.refused),
            ),
            "error",
        )
        for refusal in outcome.refused:
            flash(refusal, "error")


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
    return _candidate_page(opening, form)


def _candidate_page(opening, form: CandidateForm, status_code: int = 200):
    if not form.form_token.data:  # a fresh token for the next try
        form.form_token.data = recruiting.new_form_token()
    page = "recruiting/candidate_form.html"
    return htmx.render(
        page,
        page,
        status_code=status_code,
        form=form,
        opening=opening,
        consent_text=retention.consent_preview(),
    )


@bp.post("/openings/<int:opening_id>/candidates/new")
@requires("hr.cv.upload")
def create_candidate(opening_id: int):
    opening = recruiting.get_opening_or_404(opening_id)
    form = CandidateForm()
    token = form.form_token.data or None
    if form.validate_on_submit():
        try:
            with unit_of_work(form) as work:
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
                if form.pool_consent.data:
                    retention.record_pool_consent(application.candidate, actor=current_user)
        except recruiting.AlreadySubmitted:  # a double click: go where the first one went
            added = recruiting.submitted_result(token, kind="candidate", actor=current_user)
            if added:
                return htmx.redirect_to(application_url(int(added)))
            form.form_errors.append(_("This form was already submitted."))
        else:
            if work.ok:
                flash(_("Candidate added (score %(score)d).", score=application.score), "success")
                return htmx.redirect_to(application_url(application.id))
    return _candidate_page(opening, form, 422)


def application_url(application_id: int) -> str:
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
    blind = request.args.get("blind") == "1" or privacy.in_blind_review(application.id)
    if blind:
        privacy.enter_blind_review(application.id)
    interviews = recruiting.interviews_of(application)
    ctx = {
        "application": application,
        "row": recruiting.application_row(application, blind=blind),
        "opening": application.opening,
        "candidate": application.candidate,
        "evidence": recruiting.blind_view(application) if blind else application.evidence or {},
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
        "hire_early": application.stage in recruiting.EARLY_STAGES,
        "reschedule_form": RescheduleForm(),
        "token": forms.get("token"),
    }
    page = "recruiting/application.html"
    return htmx.render(page, page, status_code=status_code, **ctx)


@bp.get("/applications/<int:application_id>")
@requires("hr.candidates.view")
def application(application_id: int):
    return _application_page(recruiting.get_application_or_404(application_id))


@bp.post("/applications/<int:application_id>/stage")
@requires("hr.openings.manage")
def stage(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    form = StageForm()
    with unit_of_work(form) as work:
        recruiting.move_stage(
            application,
            stage=form.stage.data or "",
            actor=current_user,
            reason=form.reason.data or "",
        )
    if work.ok:
        flash(
            # no name: the page may be in blind review
            _("Moved to the stage “%(stage)s”.", stage=recruiting.STAGE_LABELS[application.stage]),
            "success",
        )
        return htmx.redirect_to(application_url(application.id))
    application = recruiting.get_application_or_404(application_id)  # as it was
    return _application_page(application, 422, message=work.error.message)


@bp.post("/applications/<int:application_id>/duplicate")
@requires("hr.openings.manage")
def duplicate(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    newer, original = application.candidate.name, application.duplicate_of
    action = request.form.get("action", "")
    with unit_of_work():  # a refusal answers with its status (the error handler)
        survivor = recruiting.resolve_duplicate(application, action=action, actor=current_user)
    if not privacy.may(privacy.VIEW_CANDIDATES):  # may act on it, not read names
        flash(_("Duplicate resolved."), "success")
    elif action == "merge":
        flash(
            _(
                "%(newer)s was merged into %(original)s; the ranked list shows them once.",
                newer=newer,
                original=original.name if original else "",
            ),
            "success",
        )
    else:
        flash(_("Kept apart: %(name)s stays a separate candidate.", name=newer), "success")
    return htmx.redirect_to(application_url(survivor.id))


@bp.post("/applications/<int:application_id>/hire")
@requires("hr.employees.manage")
def hire(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    form = HireForm()
    message = None
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            recruiting.hire(
                application,
                actor=current_user,
                start_date=form.start_date.data,
                position=form.position.data or None,
                confirm_early=bool(form.confirm_early.data),
            )
        if work.ok:
            flash(
                _("%(name)s hired; the employee record is ready.", name=application.candidate.name),
                "success",
            )
            return htmx.redirect_to(application_url(application.id))
        message = work.error.message
    return _application_page(application, 422, message=message, hire_form=form)


@bp.post("/applications/<int:application_id>/booking-link")
@requires("hr.interviews.schedule")
def booking_link(application_id: int):
    application = recruiting.get_application_or_404(application_id)
    with unit_of_work():
        token = recruiting.create_booking_link(application, actor=current_user)
    flash(_("Booking link sent to the candidate."), "success")
    return _application_page(application, token=token)


@bp.post("/applications/<int:application_id>/reveal")
@requires("hr.candidates.view")
def reveal(application_id: int):
    """Lift blind review on one application (audited): name, contacts and CV files show."""
    application = recruiting.get_application_or_404(application_id)
    with unit_of_work():
        recruiting.record_identity_reveal(application, actor=current_user)
    privacy.leave_blind_review(application.id)
    flash(_("Identity revealed; this is recorded in the audit log."), "success")
    return htmx.redirect_to(application_url(application.id))


@bp.get("/cvs/<int:cv_id>")
@requires("hr.candidates.view")
def cv_download(cv_id: int):
    cv = recruiting.get_cv_or_404(cv_id)
    if cv.application_id is not None and privacy.in_blind_review(cv.application_id):
        return error_response(
            403, _("The CV shows who the candidate is: reveal the identity first (audited).")
        )
    with unit_of_work():  # the view is audited before the file leaves
        recruiting.record_cv_view(cv, actor=current_user)
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
