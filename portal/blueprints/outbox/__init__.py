from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal import ui

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

ui.nav_item(_l("Outbox & jobs"), "outbox.index", "admin.outbox", order=920)
