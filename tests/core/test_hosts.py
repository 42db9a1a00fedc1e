"""Absolute URLs come from PORTAL_BASE_URL, never from the Host header; production answers only
the hosts it is configured for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string, url_for

from portal import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_absolute_urls_ignore_a_poisoned_host_header(app):
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        link = render_template_string("{{ absolute_url('recruiting.book', token='abc') }}")
    assert link == "http://portal.test/recruiting/book/abc"


def test_absolute_urls_keep_the_base_urls_prefix(app):
    app.config["PORTAL_BASE_URL"] = "https://intranet.example.com/portal"
    with app.test_request_context(
        "/", headers={"Host": "evil.example"}, environ_base={"SCRIPT_NAME": "/portal"}
    ):
        link = render_template_string("{{ absolute_url('notifications.index') }}")
    assert link == "https://intranet.example.com/portal/notifications/"


def test_nothing_builds_urls_from_the_request_host():
    pattern = re.compile(r"_external\s*=\s*True|\burl_root\b|\bhost_url\b|request\.host\b")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("portal", "worker")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and pattern.search(path.read_text("utf-8"))
    ]
    assert offenders == []


@pytest.fixture
def production_app(base_config, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = {k: v for k, v in base_config.items() if k != "SECRET_KEY"}
    return create_app({**config, "PORTAL_ALLOWED_HOSTS": ["lb.internal"]})


def test_production_refuses_an_unknown_host(production_app):
    client = production_app.test_client()
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "portal.test"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "lb.internal:8000"}).status_code == 200


def test_production_builds_urls_outside_requests_on_its_own_host(production_app):
    # jobs and the CLI build links in a request context of their own, on PORTAL_BASE_URL
    from portal.config import base_origin
    from portal.services import supplies

    with production_app.app_context():
        with production_app.test_request_context(base_url=base_origin(production_app.config)):
            assert url_for("notifications.index") == "/notifications/"
        assert supplies._url("notifications.index") == "/notifications/"  # as the worker does


def test_production_hosts_come_from_the_environment(base_config, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.com/")
    monkeypatch.setenv("PORTAL_ALLOWED_HOSTS", "lb.internal, 10.0.0.5")
    config = {k: v for k, v in base_config.items() if k not in ("SECRET_KEY", "PORTAL_BASE_URL")}
    app = create_app(config)
    assert app.config["TRUSTED_HOSTS"] == ["portal.example.com", "lb.internal", "10.0.0.5"]


def test_development_answers_any_host(app, client):
    assert app.config["TRUSTED_HOSTS"] is None
    assert client.get("/login", headers={"Host": "127.0.0.1:5000"}).status_code == 200
