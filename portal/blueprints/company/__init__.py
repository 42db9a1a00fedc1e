"""The company profile: who the portal speaks for on outgoing documents (admin.company)."""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("company", __name__, url_prefix="/company")


def register(app: Flask) -> None:
    from portal.blueprints.company import views  # noqa: F401  (views import bp: attach routes)
    from portal.services import company

    app.register_blueprint(bp)
    app.add_template_global(company.format_phone, "company_phone")
    # Whom candidates and suppliers hear from (e-mails, the booking page): the trade name.
    app.add_template_global(company.display_name, "company_name")
    ui.registry(app).nav_item(_l("Company"), "company.profile", "admin.company", order=920)
