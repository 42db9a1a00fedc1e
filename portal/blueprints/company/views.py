"""The company profile page, its logo upload, and the logo itself."""

from __future__ import annotations

from flask import Response, abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.company import bp
from portal.blueprints.company.forms import CompanyForm, LogoForm
from portal.security import requires
from portal.services import company
from portal.web import unit_of_work

PAGE, FRAGMENT = "company/profile.html", "company/_partials/_form.html"


def _form_for_profile() -> CompanyForm:
    profile = company.get()
    form = CompanyForm(obj=profile)
    if profile is not None:
        form.cnpj.data = profile.cnpj_formatted
        form.phone.data = company.format_phone(profile.phone)
    return form


def _page(form: CompanyForm, logo_form: LogoForm, status_code: int = 200):
    return htmx.render(
        PAGE,
        FRAGMENT,
        form=form,
        logo_form=logo_form,
        profile=company.get(),
        status_code=status_code,
    )


@bp.get("/")
@requires("admin.company")
def profile():
    return _page(_form_for_profile(), LogoForm())


@bp.post("/")
@requires("admin.company")
def save():
    form = CompanyForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            company.save(
                actor=current_user,
                legal_name=form.legal_name.data,
                trade_name=form.trade_name.data,
                cnpj=form.cnpj.data,
                address=form.address.data,
                delivery_address=form.delivery_address.data,
                phone=form.phone.data,
                email=form.email.data,
            )
        if work.ok:
            flash(_("The company profile was saved."), "success")
            return htmx.redirect_to(url_for("company.profile"))
    return _page(form, LogoForm(), status_code=422)


@bp.post("/logo")
@requires("admin.company")
def upload_logo():
    logo_form = LogoForm()
    if logo_form.validate_on_submit():
        upload = logo_form.logo.data
        data = upload.read(company.MAX_LOGO_BYTES + 1) if upload else b""
        with unit_of_work(logo_form) as work:
            company.set_logo(actor=current_user, data=data)
        if work.ok:
            flash(_("The logo was saved."), "success")
            return htmx.redirect_to(url_for("company.profile"))
    return _page(_form_for_profile(), logo_form, status_code=422)


@bp.post("/logo/remove")
@requires("admin.company")
def remove_logo():
    with unit_of_work():
        company.remove_logo(actor=current_user)
    flash(_("The logo was removed."), "success")
    return htmx.redirect_to(url_for("company.profile"))


@bp.get("/logo")
@requires("admin.company")
def logo():
    found = company.logo()
    if found is None:
        abort(404)
    data, content_type = found
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = "inline; filename=logo.png"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
