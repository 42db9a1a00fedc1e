"""Request hooks shared by every page: access, security headers, errors, template helpers."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.urls import iri_to_uri

from portal import form_fields, formatting
from portal.errors import DomainError
from portal.extensions import db
from portal.htmx import wants_fragment
from portal.security import ROLE_LABELS, enforce_access

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

ERROR_TITLES = {
    400: lambda: _("Bad request"),
    401: lambda: _("Please sign in"),
    403: lambda: _("Not allowed"),
    404: lambda: _("Page not found"),
    405: lambda: _("Not allowed"),
    409: lambda: _("Changed by someone else"),
    413: lambda: _("File too large"),
    422: lambda: _("Please check the form"),
    500: lambda: _("Something went wrong"),
}
ERROR_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    401: lambda: _("Sign in to continue."),
    403: lambda: _("You do not have permission to do this. Ask an admin if you need access."),
    404: lambda: _("There is nothing at this address. It may have been moved or removed."),
    405: lambda: _("This address does not accept this kind of request."),
    409: lambda: _("This record was changed by someone else. Reload to see the current version."),
    413: lambda: _("The upload is larger than allowed. Choose a smaller file."),
    422: lambda: _("Some of the values could not be accepted."),
    500: lambda: _("An unexpected error happened. It has been logged; please try again."),
}


def init_app(app: Flask) -> None:
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.context_processor(_template_context)
    app.jinja_env.filters.update(
        datetime=formatting.format_datetime,
        date=formatting.format_date,
        money=formatting.format_money,
        number=lambda v: format_decimal(v or 0),
        ago=_fmt_ago,
        combine_attrs=_combine_attrs,
        form_element=form_fields.element,
        combine_url=lambda extra, args: {**args, **extra},
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["absolute_url"] = absolute_url


# --- where a redirect may go, and absolute URLs ------------------------------------------------

# What the WHATWG URL parser strips from both ends (C0 controls and space) and removes anywhere
# (tab, LF, CR) before it looks at the URL: "\t//evil" and "/\n/evil" are "//evil" to a browser.
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_AND_NEWLINES = str.maketrans("", "", "\t\n\r")
_MAX_NEXT = 2000


def _browser_path(url: str) -> str | None:
    """The same-site path a browser would follow for ``url``, or None if it may leave the site.

    Only an absolute path is accepted ("/..."), never a scheme ("https:evil", "javascript:"),
    a scheme-relative "//host", or anything a browser turns into one: for http(s) a backslash
    is a slash ("/\\evil" is "//evil").  Any other control character is refused outright.
    """
    url = url.strip(_C0_AND_SPACE).translate(_TAB_AND_NEWLINES).replace("\\", "/")
    if not url.startswith("/") or url.startswith("//"):
        return None
    if any(ch < " " or ch == "\x7f" for ch in url):
        return None
    return url


def safe_next(target: str | None, default: str | None = None) -> str:
    """Return ``target`` if it is a path on this site, else ``default`` (the dashboard).

    The one check for every redirect whose target comes from the request (``next`` and the
    like).  It decides on the URL as a browser parses it, and again after decoding %-escapes
    and folding Unicode compatibility forms ("/%2F/evil", "/\uff0fevil"), so that a proxy or a
    framework that decodes on the way cannot turn it into another site either.  The answer is
    the cleaned path, %-encoded where needed, safe to put in a Location or HX-Location header.
    """
    fallback = url_for("core.dashboard") if default is None else default
    if not isinstance(target, str) or not target or len(target) > _MAX_NEXT:
        return fallback
    path = _browser_path(target)
    if path is None:
        return fallback
    decoded = unquote(path)
    for variant in (decoded, unicodedata.normalize("NFKC", decoded)):
        if _browser_path(variant) is None:
            return fallback
    return iri_to_uri(path)


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on ``PORTAL_BASE_URL``: never built from the request's Host header."""
    path = url_for(endpoint, **values)
    if has_request_context() and request.script_root and path.startswith(request.script_root):
        path = path[len(request.script_root) :]  # PORTAL_BASE_URL already names any prefix
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path


def _before_request() -> Response | None:
    denied = enforce_access()
    if denied is not None:
        return denied
    # Settle "signed in?" and the language now, while the user row is fresh: asked for the first
    # time after the view commits, each would reload the expired user with one more query.
    g.portal_signed_in = current_user.is_authenticated
    if g.portal_signed_in:
        get_locale()
    # A temporary password must be changed before anything else.
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint
        not in {
            "auth.password",
            "auth.change_password",
            "auth.logout",
            "static",
            "core.healthz",
            "core.set_language",
        }
    ):
        return redirect(url_for("auth.password"))
    return None


def _signed_in() -> bool:
    """Whether a user is signed in, as settled before the view ran (see ``_before_request``)."""
    settled = g.get("portal_signed_in")
    if settled is None:  # the request failed before that point
        return bool(current_user and current_user.is_authenticated)
    # signed out during the request: Flask-Login now holds an anonymous user (no query to tell)
    return bool(settled) and not isinstance(current_user._get_current_object(), AnonymousUserMixin)


def _after_request(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["PORTAL_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    response.vary.add("HX-Request")
    if _signed_in() and request.endpoint != "static":
        headers.setdefault("Cache-Control", "private, no-cache")
    return response


def attach_error(form: Any, error: DomainError) -> None:
    """Show a service's refusal next to the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


@dataclass
class Work:
    """What ``unit_of_work`` did: ``ok`` after a commit, ``error`` after a refusal."""

    ok: bool = False
    error: DomainError | None = None


@contextmanager
def unit_of_work(form: Any = None) -> Iterator[Work]:
    """The one way a view changes data: commit on success, roll back on anything else.

    ::

        with unit_of_work(form) as work:
            orders.approve(order, actor=current_user)
        if work.ok:
            return htmx.redirect_to(...)
        return htmx.render(page, fragment, form=form, status_code=422)

    A ``DomainError`` raised inside the block is rolled back and, when a form is given, put next
    to the field it names (``work.ok`` stays False, ``work.error`` holds it) so the view answers
    422 with the form as the user filled it; without a form it propagates to the error handler,
    which answers with its status code.  Any other exception rolls back and propagates.
    """
    work = Work()
    try:
        yield work
    except DomainError as error:
        db.session.rollback()
        if form is None:
            raise
        attach_error(form, error)
        work.error = error
        return
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    work.ok = True


def error_response(status: int, message: str | None = None, title: str | None = None) -> Response:
    """Answer an error in the page layout, or as a small notice for an htmx swap."""
    title = title or ERROR_TITLES.get(status, ERROR_TITLES[500])()
    message = message or ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])()
    if request.accept_mimetypes.best == "application/json" and not request.headers.get(
        "HX-Request"
    ):
        return make_response(jsonify(error=title, message=message), status)
    template = "_partials/_error.html" if wants_fragment() else "error.html"
    response = make_response(
        render_template(template, status=status, title=title, message=message), status
    )
    if wants_fragment():
        # htmx does not swap errors (see base.html's htmx-config); portal.js shows this text.
        response.headers["X-Portal-Error"] = _header_safe(message)
    return response


def _header_safe(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def _domain_error(error: DomainError) -> Response:
    db.session.rollback()
    return error_response(error.status_code, error.message)


def _csrf_error(error: CSRFError) -> Response:
    db.session.rollback()
    return error_response(
        400,
        _("Your form expired or was sent from another site. Reload the page and try again."),
        _("Form expired"),
    )


def _untrusted_host(error: SecurityError) -> Response:
    """A Host header outside TRUSTED_HOSTS (production): no URL can be built, so no layout."""
    return Response("400 Bad Request: unknown host\n", status=400, mimetype="text/plain")


def _http_error(error: HTTPException) -> Response:
    if error.code is None or error.code < 400:
        return error  # type: ignore[return-value]
    if error.code in (301, 302, 303, 307, 308):
        return error  # type: ignore[return-value]
    return error_response(error.code)


def _unexpected_error(error: Exception) -> Response:
    db.session.rollback()
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    if current_app.config.get("PROPAGATE_EXCEPTIONS") and current_app.testing:
        raise error
    try:
        return error_response(500)
    except Exception:  # the layout itself failed (database down?): a page that needs nothing
        db.session.rollback()
        log.exception("could not render the error page")
        html = render_template(
            "error_minimal.html", title=ERROR_TITLES[500](), message=ERROR_MESSAGES[500]()
        )
        return make_response(html, 500)


def _template_context() -> dict[str, Any]:
    from portal import ui

    nav = ui.visible_nav(current_user) if _signed_in() else []
    return {
        "nav_items": nav,
        "current_locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        "portal_name": current_app.config["PORTAL_NAME"],
        "languages": (("en", "English"), ("pt_BR", "Português (Brasil)")),
        "now_local": _now_local,
        "role_label": lambda r: ROLE_LABELS.get(r, r),
        "active_nav": ui.active_nav,
    }


def _now_local() -> datetime:
    from portal.models.base import utcnow

    return utcnow()


def _combine_attrs(attrs: dict[str, Any], errors: list[str], err_id: str) -> dict[str, Any]:
    """Mark an invalid field for assistive technology and point it at its error text."""
    if not errors:
        return dict(attrs)
    return {**attrs, "aria-invalid": "true", "aria-describedby": err_id}


def _fmt_ago(value: datetime | None) -> str:
    from portal.models.base import utcnow

    if not value:
        return ""
    return format_timedelta(value - utcnow(), add_direction=True, granularity="minute")


format_money = formatting.format_money  # kept for importers
