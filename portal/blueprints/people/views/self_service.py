"""What every employee does here: their own record, onboarding steps, training and warnings;
setting the first password from the invitation; ticking steps assigned to them."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.forms import AcknowledgeForm, RefusalForm, WelcomeForm
from portal.blueprints.people.privacy import MANAGE, readable_url
from portal.errors import DomainError
from portal.models.people import ONBOARDING, WARNING_LEVELS, WARNING_STATUSES
from portal.security import public, signed_in
from portal.services import people
from portal.web import safe_next, unit_of_work


@bp.get("/me")
@signed_in
def me():
    employee = people.employee_of(current_user)
    return htmx.render(
        "people/me.html",
        "people/_partials/_me.html",
        employee=employee,
        onboarding=people.tasks_of(employee, ONBOARDING) if employee else [],
        training=people.record_of(employee) if employee else [],
        warnings=people.warnings_of(employee) if employee else [],
        my_tasks=people.my_open_tasks(current_user),
        levels=WARNING_LEVELS,
        warning_statuses=WARNING_STATUSES,
        is_lapsed=people.is_lapsed,
    )


@bp.post("/tasks/<int:task_id>")
@signed_in
def task(task_id: int):
    step = people.get_task_or_404(task_id)
    with unit_of_work():
        people.complete_task(step, actor=current_user, done=request.form.get("done") != "0")
    target = safe_next(request.form.get("next"), url_for("people.me"))
    return htmx.redirect_to(target)


def _warning_page(warning, status_code: int = 200, **forms):
    return htmx.render(
        "people/warning.html",
        "people/_partials/_warning.html",
        status_code=status_code,
        warning=warning,
        levels=WARNING_LEVELS,
        statuses=WARNING_STATUSES,
        lapsed=people.is_lapsed(warning),
        is_employee=warning.employee.user_id == current_user.id,
        ack_form=forms.get("ack_form") or AcknowledgeForm(),
        refusal_form=forms.get("refusal_form") or RefusalForm(),
        may_manage=current_user.can(MANAGE),
    )


@bp.get("/warnings/<int:warning_id>")
@signed_in
def warning(warning_id: int):
    item = people.get_warning_or_404(warning_id, user=current_user)
    with unit_of_work():
        people.record_opened(item, user=current_user)
    return _warning_page(people.get_warning_or_404(warning_id, user=current_user))


@bp.get("/warnings/<int:warning_id>/pdf")
@signed_in
def warning_pdf(warning_id: int):
    """The printable warning (Portuguese) for the paper file; same visibility as the page."""
    item = people.get_warning_or_404(warning_id, user=current_user)
    name, data = people.warning_pdf(item)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/warnings/<int:warning_id>/acknowledge")
@signed_in
def acknowledge(warning_id: int):
    item = people.get_warning_or_404(warning_id, user=current_user)
    form = AcknowledgeForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people.acknowledge(
                item,
                actor=current_user,
                agree=form.answer.data == "agree",
                statement=form.statement.data or "",
            )
        if work.ok:
            flash(_("Your answer is recorded."), "success")
            return htmx.redirect_to(url_for("people.warning", warning_id=warning_id))
        if work.error is not None and work.error.status_code == 403:
            raise work.error
        item = people.get_warning_or_404(warning_id, user=current_user)
    return _warning_page(item, 422, ack_form=form)


@bp.post("/warnings/<int:warning_id>/refusal")
@signed_in
def refusal(warning_id: int):
    item = people.get_warning_or_404(warning_id, user=current_user)
    form = RefusalForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            people.record_refusal(item, actor=current_user, witness=form.witness.data)
        if work.ok:
            flash(_("The refusal is recorded."), "success")
            return htmx.redirect_to(url_for("people.warning", warning_id=warning_id))
        if work.error is not None and work.error.status_code == 403:
            raise work.error
        item = people.get_warning_or_404(warning_id, user=current_user)
    return _warning_page(item, 422, refusal_form=form)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@public
def welcome(token: str):
    """The invitation link: the new hire chooses their password, then signs in."""
    try:
        invitation = people.invitation_for(token)
    except DomainError as error:
        return htmx.render(
            "people/welcome.html",
            "people/_partials/_welcome.html",
            status_code=404,
            form=None,
            message=error.message,
            name=None,
        )
    form = WelcomeForm()
    name = invitation.user.name
    if request.method == "POST":
        if form.validate_on_submit():
            with unit_of_work(form) as work:
                people.accept_invitation(token, password=form.password.data)
            if work.ok:
                flash(_("Your password is set. Sign in to continue."), "success")
                return redirect(url_for("auth.login", next=url_for("people.me")), 303)
        return htmx.render(
            "people/welcome.html",
            "people/_partials/_welcome.html",
            status_code=422,
            form=form,
            message=None,
            name=name,
        )
    return htmx.render(
        "people/welcome.html",
        "people/_partials/_welcome.html",
        form=form,
        message=None,
        name=name,
    )


__all__ = ["readable_url"]
