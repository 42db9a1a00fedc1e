"""The search results: a dropdown under the header field (htmx) and a full page without JS."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from portal import htmx
from portal.blueprints.search import bp
from portal.errors import ValidationError
from portal.security import signed_in
from portal.services import search


@bp.get("/")
@signed_in
def index():
    q = request.args.get("q", "")
    kind = request.args.get("kind", "")
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page = 1
    error, groups = None, []
    if q.strip() or kind:
        try:
            groups = search.search(q, current_user, kind=kind, page=min(page, 1000))
        except ValidationError as exc:
            error = exc.message
    fragment = (
        "search/_partials/_dropdown.html"
        if request.args.get("box")
        else "search/_partials/_results.html"
    )
    return htmx.render(
        "search/index.html",
        fragment,
        q=q,
        kind=kind,
        page=page,
        groups=groups,
        error=error,
        status_code=200,
    )
