"""The colleague directory: everyone, accent-insensitive search, nothing HR-private."""

from __future__ import annotations

from flask import request

from portal import htmx
from portal.blueprints.people import bp
from portal.routing import parse_int
from portal.security import requires
from portal.services import people


def _department_arg() -> int | None:
    raw = request.args.get("department", "")
    return parse_int(raw)


@bp.get("/")
@requires("directory.view")
def index():
    q = (request.args.get("q") or "").strip()[:100]
    department_id = _department_arg()
    page = people.search(q, department_id)
    if htmx.wants_fragment():  # the list alone: the filters are not swapped
        return htmx.render("people/directory.html", "people/_partials/_directory.html", page=page)
    return htmx.render(
        "people/directory.html",
        "people/_partials/_directory.html",
        page=page,
        q=q,
        department_id=department_id,
        departments=people.departments(),
    )
