"""Security headers, cookie flags, CSRF (with the token check switched on), htmx contract."""

from __future__ import annotations

import re

import pytest

from portal import create_app
from portal.extensions import db
from portal.models import User
from tests.conftest import PASSWORD


def test_security_headers_on_pages_and_fragments(client, make_user, login_as):
    for resp in (client.get("/login"), client.get("/healthz")):
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
    login_as(make_user(roles=["admin"]))
    fragment = client.get("/admin/users", headers={"HX-Request": "true"})
    assert "frame-ancestors 'none'" in fragment.headers["Content-Security-Policy"]
    assert "HX-Request" in fragment.headers["Vary"]


def test_no_inline_script_in_pages(client, make_user, login_as):
    login_as(make_user(roles=["admin", "staff"]))
    for url in ("/", "/admin/users", "/admin/audit", "/account", "/notifications/"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, (url, tag)
        assert " style=" not in html, url
        assert "https://" not in html.split("</head>")[0], "no CDN"


def test_cookie_flags(client, make_user):
    make_user(email="ana@example.com")
    resp = client.post(
        "/login", data={"email": "ana@example.com", "password": PASSWORD, "remember": "y"}
    )
    cookies = resp.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("portal_session="))
    remember = next(c for c in cookies if c.startswith("portal_remember="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # development over plain http


def test_cookies_are_secure_in_production(base_config, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app({k: v for k, v in base_config.items() if k not in ("SECRET_KEY",)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize("secret", ["", "dev", "short-key"])
def test_production_refuses_a_weak_secret_key(base_config, monkeypatch, secret):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secret)
    config = {k: v for k, v in base_config.items() if k != "SECRET_KEY"}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _token(client, url="/login") -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    html = resp.get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_csrf_missing_or_wrong_token_is_refused_and_changes_nothing(csrf_app, make_user):
    client = csrf_app.test_client()
    admin = make_user(roles=["admin"], email="root@example.com")
    token = _token(client)
    resp = client.post(
        "/login", data={"email": "root@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 303
    before = db.session.scalar(db.select(db.func.count(User.id)))
    new_user = {
        "name": "Eve",
        "email": "eve@example.com",
        "roles": ["admin"],
        "password": "a long enough password",
        "active": "y",
    }
    no_token = client.post("/admin/users", data=new_user)
    assert no_token.status_code == 400
    assert b"Form expired" in no_token.data
    wrong = client.post("/admin/users", data={**new_user, "csrf_token": "forged"})
    assert wrong.status_code == 400
    htmx_wrong = client.post(
        "/admin/users", data=new_user, headers={"HX-Request": "true", "X-CSRFToken": "forged"}
    )
    assert htmx_wrong.status_code == 400
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(User.id))) == before
    # the header htmx sends (hx-headers on <body>) is accepted
    good = _token(client, "/admin/users/new")
    ok = client.post(
        "/admin/users", data=new_user, headers={"HX-Request": "true", "X-CSRFToken": good}
    )
    assert ok.status_code == 204 and ok.headers["HX-Location"].endswith("/admin/users")
    assert admin.id


def test_body_carries_the_csrf_header_for_htmx(csrf_app, make_user):
    client = csrf_app.test_client()
    make_user(email="ana@example.com")
    client.post(
        "/login",
        data={"email": "ana@example.com", "password": PASSWORD, "csrf_token": _token(client)},
    )
    html = client.get("/").get_data(as_text=True)
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'", html)


def test_htmx_contract_for_a_list(client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    full = client.get("/admin/users")
    assert b"<html" in full.data and b'id="user-rows"' in full.data
    boosted = client.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert b"<html" in boosted.data
    fragment = client.get("/admin/users?q=user", headers={"HX-Request": "true"})
    assert b"<html" not in fragment.data and fragment.data.lstrip().startswith(
        b'<div id="user-rows"'
    )
    restore = client.get(
        "/admin/users", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in restore.data


def test_anonymous_htmx_gets_401_with_hx_redirect(client):
    resp = client.get("/admin/users", headers={"HX-Request": "true"})
    assert resp.status_code == 401
    assert resp.headers["HX-Redirect"].startswith("/login?next=")
    assert resp.data == b""


def test_htmx_error_is_readable_not_blank(client, make_user, login_as):
    login_as(make_user(roles=["staff"]))
    resp = client.get("/admin/users", headers={"HX-Request": "true"})
    assert resp.status_code == 403
    assert b"<html" not in resp.data
    assert "permission" in resp.headers["X-Portal-Error"]


def test_error_pages_use_the_layout(client, make_user, login_as):
    login_as(make_user())
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert b"Page not found" in resp.data and b'class="topbar"' in resp.data
    big = client.post("/login", data={"email": "x" * (27 * 1024 * 1024)})
    assert big.status_code == 413


def test_500_shows_a_calm_page_without_traceback(app, client, make_user, login_as):
    from portal.security import signed_in

    @app.get("/__boom")
    @signed_in
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    login_as(make_user())
    resp = client.get("/__boom")
    assert resp.status_code == 500
    assert b"Something went wrong" in resp.data
    assert b"secret internals" not in resp.data and b"Traceback" not in resp.data


def test_500_page_survives_a_broken_database(app, client, make_user, login_as):
    from sqlalchemy import text

    from portal.security import signed_in

    @app.get("/__dbboom")
    @signed_in
    def dbboom():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    login_as(make_user())
    resp = client.get("/__dbboom")
    assert resp.status_code == 500 and b"Something went wrong" in resp.data
