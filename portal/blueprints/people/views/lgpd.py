"""LGPD: the data-subject export (one ZIP) and anonymisation, both logged; the retention policy,
its dry-run preview and "run now"; a candidate's talent-pool consent.  HR only."""

from __future__ import annotations

from flask import Response, flash
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.lgpd_forms import ConsentForm, RetentionForm, RunForm
from portal.blueprints.people.privacy import readable_url
from portal.security import requires
from portal.services import people
from portal.services.people import retention
from portal.web import unit_of_work


@bp.get("/lgpd")
@requires("hr.employees.manage")
def lgpd():
    return htmx.render(
        "people/lgpd.html", "people/_partials/_lgpd.html", requests=people.requests_log()
    )


@bp.post("/employees/<int:employee_id>/export")
@requires("hr.employees.manage")
def export(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    if not current_user.can("hr.employees.view"):
        return htmx.redirect_to(readable_url("people.employee", employee_id=employee_id))
    with unit_of_work():
        name, data = people.export_subject(employee, actor=current_user)
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/employees/<int:employee_id>/anonymise")
@requires("hr.employees.manage")
def anonymise(employee_id: int):
    employee = people.get_employee_or_404(employee_id)
    with unit_of_work():
        people.anonymise(employee, actor=current_user)
    flash(_("The record is anonymised."), "success")
    return htmx.redirect_to(readable_url("people.employees"))


# --- retention policy, dry run, run now -----------------------------------------------------------


def _retention_page(form: RetentionForm, status_code: int = 200):
    return htmx.render(
        "people/retention.html",
        "people/_partials/_retention_policy.html",
        status_code=status_code,
        form=form,
        policies=retention.POLICIES,
        preview=retention.preview(),
        run_form=RunForm(),
    )


@bp.get("/retention")
@requires("hr.employees.manage")
def retention_policy():
    return _retention_page(RetentionForm(data=retention.policy_months()))


@bp.post("/retention")
@requires("hr.employees.manage")
def save_retention():
    form = RetentionForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            changes = retention.save_policies(form.months(), actor=current_user)
        if work.ok:
            flash(
                _("Retention policy saved.") if changes else _("Nothing changed."),
                "success",
            )
            return htmx.redirect_to(readable_url("people.retention_policy"))
    return _retention_page(form, status_code=422)


@bp.post("/retention/run")
@requires("hr.employees.manage")
def run_retention():
    form = RunForm()
    if form.validate_on_submit():
        with unit_of_work():
            retention.request_run(actor=current_user)
        flash(
            _("The anonymisation runs in the background; refresh this page in a minute."),
            "success",
        )
    return htmx.redirect_to(readable_url("people.retention_policy"))


# --- talent-pool consent ------------------------------------------------------------------------


def _consent_page(candidate, form: ConsentForm, status_code: int = 200):
    return htmx.render(
        "people/retention_consent.html",
        "people/_partials/_retention_consent.html",
        status_code=status_code,
        candidate=candidate,
        form=form,
        withdraw_form=RunForm(),
        text=retention.consent_preview(),
        valid=retention.consent_is_valid(candidate),
    )


@bp.get("/candidates/<int:candidate_id>/consent")
@requires("hr.employees.manage")
def consent(candidate_id: int):
    return _consent_page(retention.get_candidate_or_404(candidate_id), ConsentForm())


@bp.post("/candidates/<int:candidate_id>/consent")
@requires("hr.employees.manage")
def record_consent(candidate_id: int):
    candidate = retention.get_candidate_or_404(candidate_id)
    form = ConsentForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            retention.record_pool_consent(candidate, actor=current_user)
        if work.ok:
            flash(_("Consent recorded."), "success")
            return htmx.redirect_to(readable_url("people.consent", candidate_id=candidate_id))
    return _consent_page(candidate, form, status_code=422)


@bp.post("/candidates/<int:candidate_id>/consent/withdraw")
@requires("hr.employees.manage")
def withdraw_consent(candidate_id: int):
    candidate = retention.get_candidate_or_404(candidate_id)
    if RunForm().validate_on_submit():
        with unit_of_work():
            retention.withdraw_pool_consent(candidate, actor=current_user)
        flash(_("Consent withdrawn."), "success")
    return htmx.redirect_to(readable_url("people.consent", candidate_id=candidate_id))
