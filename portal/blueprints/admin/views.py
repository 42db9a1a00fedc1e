"""Administration of users and roles, and the audit log."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import NewUserForm, TemporaryPasswordForm, UserForm
from portal.exports import export_response
from portal.extensions import db
from portal.models import Department
from portal.pagination import paginate
from portal.routing import id_arg, parse_date
from portal.security import ROLES, requires
from portal.services import audit_labels
from portal.services import users as accounts
from portal.web import unit_of_work


def _department_choices(form: UserForm) -> None:
    form.department_id.choices = [("", "—")] + [
        (str(d.id), d.name) for d in accounts.list_departments()
    ]


def _department(form: UserForm) -> Department | None:
    value = form.department_id.data
    return db.session.get(Department, int(value)) if value else None


@bp.get("/users")
@requires("admin.users")
def users():
    q = request.args.get("q", "")
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    page = paginate(accounts.list_users(q=q, role=role, status=status))
    return htmx.render(
        "admin/users.html",
        "admin/_partials/_user_rows.html",
        page=page,
        q=q,
        role=role,
        status=status,
        roles=ROLES,
    )


@bp.get("/users/new")
@requires("admin.users")
def new_user():
    form = NewUserForm(roles=["staff"])
    _department_choices(form)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.post("/users")
@requires("admin.users")
def create_user():
    form = NewUserForm()
    _department_choices(form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            user = accounts.create_user(
                actor=current_user,
                email=form.email.data,
                name=form.name.data,
                roles=form.roles.data,
                password=form.password.data,
                department=_department(form),
                job_title=form.job_title.data or None,
                phone=form.phone.data or None,
                extension=form.extension.data or None,
            )
            user.active = bool(form.active.data)
        if work.ok:
            flash(_("User %(name)s created.", name=user.name), "success")
            return htmx.redirect_to(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), 422


@bp.get("/users/<int:user_id>")
@requires("admin.users")
def edit_user(user_id: int):
    user = accounts.get_user_or_404(user_id)
    form = UserForm(obj=user, roles=user.roles, department_id=str(user.department_id or ""))
    _department_choices(form)
    return render_template(
        "admin/user_form.html", form=form, user=user, password_form=TemporaryPasswordForm()
    )


@bp.post("/users/<int:user_id>")
@requires("admin.users")
def update_user(user_id: int):
    user = accounts.get_user_or_404(user_id)
    form = UserForm()
    _department_choices(form)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            accounts.update_user(
                user,
                actor=current_user,
                email=form.email.data,
                name=form.name.data,
                roles=form.roles.data,
                active=bool(form.active.data),
                department=_department(form),
                job_title=form.job_title.data or None,
                phone=form.phone.data or None,
                extension=form.extension.data or None,
            )
        if work.ok:
            flash(_("User %(name)s saved.", name=user.name), "success")
            return htmx.redirect_to(url_for("admin.users"))
    return render_template(
        "admin/user_form.html", form=form, user=user, password_form=TemporaryPasswordForm()
    ), 422


@bp.post("/users/<int:user_id>/password")
@requires("admin.users")
def set_password(user_id: int):
    user = accounts.get_user_or_404(user_id)
    form = TemporaryPasswordForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            accounts.set_temporary_password(user, actor=current_user, password=form.password.data)
        if work.ok:
            flash(
                _(
                    "Temporary password set. %(name)s must change it at the next sign-in.",
                    name=user.name,
                ),
                "success",
            )
            return htmx.redirect_to(url_for("admin.edit_user", user_id=user.id))
    edit_form = UserForm(obj=user, roles=user.roles, department_id=str(user.department_id or ""))
    _department_choices(edit_form)
    return render_template(
        "admin/user_form.html", form=edit_form, user=user, password_form=form
    ), 422


@bp.get("/audit")
@requires("admin.audit")
def audit():
    filters = _audit_filters()
    page = paginate(audit_labels.filtered(**filters))
    return htmx.render(
        "admin/audit.html",
        "admin/_partials/_audit_rows.html",
        page=page,
        filters=filters,
        areas=audit_labels.AREAS,
        people=audit_labels.people(),
        labels=audit_labels,
        **filters,
    )


def _audit_filters() -> dict:
    """The log's filters from the query string (page, export and links alike)."""
    return {
        "action": request.args.get("action", "").strip()[:64],
        "area": request.args.get("area", "").strip()[:32],
        "actor_id": id_arg("actor"),
        "target_type": request.args.get("target_type", "").strip()[:64],
        "target_id": id_arg("target_id"),
        "date_from": parse_date(request.args.get("from")),
        "date_to": parse_date(request.args.get("to")),
    }


@bp.get("/audit/export")
@requires("admin.audit")
def audit_export():
    """The filtered audit log as CSV or XLSX (labels, local times)."""
    rows = audit_labels.export_rows(audit_labels.filtered(**_audit_filters()))
    return export_response(rows, "audit-log", title=_("Audit log"))
