"""Recruiting: openings, CV intake, ranking, interviews, self-booking, hiring."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal import ui
from portal.blueprints.recruiting import privacy

bp = Blueprint("recruiting", __name__, url_prefix="/recruiting")
privacy.protect(bp)  # HR pages only for HR, on every answer; no-store everywhere

ui.nav_item(_l("Recruiting"), "recruiting.index", "hr.cv.upload", order=400)

from portal.blueprints.recruiting import cards  # noqa: E402,F401  (register dashboard cards)
