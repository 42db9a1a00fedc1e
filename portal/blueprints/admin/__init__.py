from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("admin", __name__, url_prefix="/admin")

ui.nav_item(_l("Users"), "admin.users", "admin.users", order=900)
ui.nav_item(_l("Audit log"), "admin.audit", "admin.audit", order=910)
