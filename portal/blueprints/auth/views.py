"""Sign in, sign out, change one's password and language."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal import htmx
from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import LoginForm, PasswordForm, ProfileForm
from portal.security import public, signed_in
from portal.services import users
from portal.web import safe_next, unit_of_work


@bp.get("/login")
@public
def login():
    next_url = safe_next(request.args.get("next"), "")
    if current_user.is_authenticated:
        return redirect(next_url or url_for("core.dashboard"))
    return render_template("auth/login.html", form=LoginForm(), next=next_url)


@bp.post("/login")
@public
def authenticate():
    form = LoginForm()
    next_url = safe_next(request.args.get("next") or request.form.get("next"), "")
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, next=next_url), 422
    try:
        user = users.authenticate(
            form.email.data, form.password.data, address=request.remote_addr or "?"
        )
    except users.LoginRefused as refused:
        form.form_errors.append(str(refused))
        response = make_response(render_template("auth/login.html", form=form, next=next_url))
        if refused.retry_after:
            response.headers["Retry-After"] = str(refused.retry_after)
        return response, 422
    locale = session.get("locale")
    session.clear()  # a fresh session on sign-in (no fixation)
    if locale:
        session["locale"] = locale
    login_user(user, remember=bool(form.remember.data))
    return redirect(next_url or url_for("core.dashboard"), 303)


@bp.post("/logout")
@signed_in
def logout():
    locale = current_user.locale or session.get("locale")
    with unit_of_work():
        users.logout(current_user._get_current_object())  # the audit names the user, not the proxy
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale  # the sign-in page stays in the user's language
    return htmx.redirect_to(url_for("auth.login"))


@bp.get("/account/password")
@signed_in
def password():
    return render_template("auth/password.html", form=PasswordForm())


@bp.post("/account/password")
@signed_in
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            users.change_password(
                current_user._get_current_object(),
                current=form.current_password.data,
                new=form.password.data,
            )
        if work.ok:
            login_user(current_user._get_current_object())  # this session keeps going
            flash(_("Your password was changed. Other sessions were signed out."), "success")
            return redirect(url_for("core.dashboard"), 303)
    return render_template("auth/password.html", form=form), 422


@bp.get("/account")
@signed_in
def profile():
    form = ProfileForm(locale=current_user.locale or "")
    return render_template("auth/profile.html", form=form)


@bp.post("/account")
@signed_in
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return render_template("auth/profile.html", form=form), 422
    with unit_of_work():
        users.set_locale(current_user, form.locale.data or None)
    session.pop("locale", None)
    flash(_("Your preferences were saved."), "success")
    return redirect(url_for("auth.profile"), 303)
