"""The one place that decides "fragment or full page" for a response."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, redirect, render_template

from portal.extensions import htmx


def wants_fragment() -> bool:
    """Return True for an htmx swap; boosted navigation and history restores get full pages.

    Reads the request through flask-htmx's helpers (``HX-Request``, ``HX-Boosted``,
    ``HX-History-Restore-Request``).
    """
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str, /, *, status_code: int = 200, **context: Any) -> Response:
    """Render ``fragment`` for an htmx swap, else ``page`` (which includes the fragment)."""
    template = fragment if wants_fragment() else page
    return make_response(render_template(template, **context), status_code)


def redirect_to(url: str) -> Response:
    """Post/Redirect/Get: 303 for forms; htmx swaps get HX-Location so the whole page moves."""
    if wants_fragment():
        return Response(status=204, headers={"HX-Location": url})
    return redirect(url, 303)


def trigger(response: Response, event: str) -> Response:
    """Ask the page to fire ``event`` after the swap (e.g. to refresh a counter)."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response
