"""The staff type-ahead's options, loaded once by the pages that offer it."""

from __future__ import annotations

from flask import make_response, render_template, request

from portal.blueprints.frontdesk import desk_bp
from portal.blueprints.frontdesk.views.common import staff_list, staff_list_version
from portal.security import requires

# The URL names the list's version (``?v=``), so the browser may keep an answer for a day: a
# changed list or language is a new URL.  A day, not longer: a name removed from the list must
# not be suggested for ever to a page opened from an old, cached console.
STAFF_LIST_MAX_AGE = 86_400


@desk_bp.get("/staff-list")
@requires("directory.view")
def staff_list_options():
    """The ``<datalist>`` of colleagues (name and e-mail, job title, extension).

    A sub-resource, like the caller look-up: the same fragment with or without ``HX-Request``.
    Pages hold an empty ``<datalist>`` that loads this once (``_staff_datalist_slot.html``), so
    the hundreds of options are not rendered into every page; typing works without them.
    """
    version = staff_list_version()
    if version in request.if_none_match:
        response = make_response("", 304)
    else:
        response = make_response(
            render_template("frontdesk/_partials/_staff_datalist.html", staff=staff_list().options)
        )
    response.set_etag(version)
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = f"private, max-age={STAFF_LIST_MAX_AGE}"
    else:  # an old or missing version: answer the current list, but do not keep it
        response.headers["Cache-Control"] = "private, no-cache"
    return response
