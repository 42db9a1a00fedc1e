"""The access rule every view must declare (deny by default), and the roles' labels.

The role and permission table itself is ``portal.permissions`` (models read it too); its names
are re-exported here so views keep importing them from one place.

A view declares who may use it with one of three decorators:

- ``@public`` — anyone, signed in or not (login page, health check, self-booking links);
- ``@signed_in`` — any signed-in user (their own profile, notifications, the dashboard);
- ``@requires("purchase.approve")`` — a signed-in user holding that permission.

``enforce_access`` runs before every request and refuses any endpoint without a declaration, so a
forgotten decorator is a 403, never an open door.  ``tests/test_access.py`` walks ``app.url_map``
and fails for any route without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.permissions import PERMISSIONS, ROLES, permissions_for_roles
from portal.services import audit

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "ROLE_LABELS",
    "access_of",
    "enforce_access",
    "permissions_for_roles",
    "public",
    "requires",
    "signed_in",
    "unauthorized",
]

F = TypeVar("F", bound=Callable[..., Any])

ROLE_LABELS = {
    "staff": _l("Staff"),
    "back_office": _l("Back office"),
    "office_manager": _l("Office manager"),
    "director": _l("Director / owner"),
    "hr_manager": _l("HR manager"),
    "admin": _l("Admin"),
}


def _declare(func: F, rule: str, permission: str | None = None) -> F:
    func._access = rule  # type: ignore[attr-defined]
    func._permission = permission  # type: ignore[attr-defined]
    return func


def public(func: F) -> F:
    """Let anyone use this view, signed in or not."""
    return _declare(func, "public")


def signed_in(func: F) -> F:
    """Let any signed-in user use this view."""
    return _declare(func, "signed_in")


def requires(permission: str) -> Callable[[F], F]:
    """Let only signed-in users holding ``permission`` use this view."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(func: F) -> F:
        return _declare(func, "permission", permission)

    return decorator


def access_of(view: Callable[..., Any] | None) -> tuple[str | None, str | None]:
    """Return ``(rule, permission)`` declared on a view function, or ``(None, None)``."""
    if view is None:
        return None, None
    return getattr(view, "_access", None), getattr(view, "_permission", None)


def enforce_access() -> Response | None:
    """Refuse the request unless the endpoint's declared rule lets this user in."""
    if request.endpoint is None:  # 404 / 405: let Flask answer
        return None
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    rule, permission = access_of(view)
    if rule == "public":
        return None
    if not current_user.is_authenticated:
        if rule is None:
            abort(403)
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if rule == "signed_in":
        return None
    if rule == "permission" and permission is not None and current_user.can(permission):
        return None
    audit.record_denial(current_user, request.endpoint, permission)
    abort(403)


def unauthorized() -> Response:
    """Send anonymous users to the login page; htmx calls get 401 + HX-Redirect instead."""
    target = request.full_path if request.query_string else request.path
    login = url_for("auth.login", next=target)
    if request.headers.get("HX-Request") == "true":
        return Response(status=401, headers={"HX-Redirect": login})
    return redirect(login)
