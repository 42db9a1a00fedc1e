"""Back Office Portal: ``create_app`` builds the Flask application."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as portal_config
from portal import routing
from portal.extensions import babel, csrf, db, login_manager, migrate
from portal.extensions import htmx as htmx_extension

log = logging.getLogger(__name__)

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development"}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (tests win)."""
    app = Flask(__name__, instance_path=str(portal_config.INSTANCE))
    routing.init_app(app)  # before any route: <int:...> beyond 64 bits is a 404
    app.config.from_object(portal_config.Defaults)
    app.config.update(portal_config.from_environment())
    if config:
        app.config.update(config)
    _check_secret_key(app)
    production = app.config["PORTAL_ENV"] == "production"
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not config or key not in config:
            app.config[key] = production
    if production:
        _pin_host(app)
    proxies = int(app.config.get("PORTAL_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        # Read the client address (and scheme) from the last N hops of X-Forwarded-For, as
        # appended by our own proxies; what the client itself wrote further left is ignored.
        # X-Forwarded-Host is not trusted: absolute URLs come from PORTAL_BASE_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_size": 10,
            "max_overflow": 10,
        }

    _init_extensions(app)
    from portal import web

    web.init_app(app)
    from portal import areas

    areas.register_all(app)  # blueprints, nav, cards, kinds, request types, periodic jobs
    from portal.cli import register_cli

    register_cli(app)
    return app


def _pin_host(app: Flask) -> None:
    """Production answers only its own host names (TRUSTED_HOSTS; any other Host gets 400).

    Code that builds URLs outside a request (jobs, the CLI) opens its request context on
    ``portal.config.base_origin`` rather than Flask's default "localhost", which is refused.
    """
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)


def trusted_hosts(config: Mapping[str, Any]) -> list[str]:
    """The Host headers production answers: PORTAL_BASE_URL's host and PORTAL_ALLOWED_HOSTS."""
    hosts = [urlsplit(config["PORTAL_BASE_URL"]).hostname or ""]
    hosts.append(urlsplit(config.get("PORTAL_PUBLIC_URL") or "").hostname or "")
    extra = config.get("PORTAL_ALLOWED_HOSTS") or []
    if isinstance(extra, str):
        extra = extra.split(",")
    hosts += [h.strip().lower() for h in extra if h.strip()]
    return [h for h in dict.fromkeys(hosts) if h]


def _check_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY") or ""
    if app.config["PORTAL_ENV"] == "production":
        if key.lower() in WEAK_SECRETS or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random string of at least 32 characters in "
                "production (PORTAL_ENV=production)."
            )
        return
    if not key:
        app.config["SECRET_KEY"] = portal_config.development_secret_key(Path(app.instance_path))


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        render_as_batch=True,
        directory=str(Path(__file__).resolve().parent.parent / "migrations"),
    )
    csrf.init_app(app)
    htmx_extension.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=None)
    from portal import i18n

    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    from sqlalchemy.orm import joinedload

    from portal import models  # noqa: F401  (register every table)
    from portal.models import User
    from portal.security import unauthorized

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        # one statement: the user, their department and their roles (joined, not a 2nd query)
        user = (
            db.session.scalars(
                db.select(User)
                .options(joinedload(User.role_rows))
                .where(User.session_token == token)
            )
            .unique()
            .first()
        )
        if user is None or not user.active:
            return None
        return user

    login_manager.unauthorized_handler(unauthorized)


def select_locale() -> str | None:
    """The user's choice, else the session's, else the browser's, else the default."""
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, worker: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Make SQLite behave under several processes: WAL, a busy timeout, foreign keys."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
