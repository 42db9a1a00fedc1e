"""Redirect targets taken from the request go through ``safe_next``: a path on this site, as a
browser would parse it, or the fallback — never another site, never a 500."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD

# Each of these, followed by a browser from a page of the portal, leaves the site (or runs
# script), either directly or once tabs/newlines are dropped, a backslash is read as a slash,
# %-escapes are decoded or Unicode compatibility forms are folded on the way.
LEAVES_THE_SITE = [
    "https://evil.example/",
    "HTTPS://evil.example/",
    "https:evil.example",
    "http:/evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\t//evil.example",
    "\n//evil.example",
    " //evil.example",
    "\x00//evil.example",
    "\x1f//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "//evil.example\t",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "/\uff0fevil.example",
    "\uff0f\uff0fevil.example",
    "/\uff3cevil.example",
    "javascript:alert(1)",
    "java\nscript:alert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "evil.example/notifications/",
    "./notifications/",
    "\x00",
    "/ok\x00evil",
    "/ok\x0bevil",
    "/ok\x7fevil",
    "",
    "   ",
    "/" + "a" * 5000,
]

# Paths on this site, and the (cleaned, %-encoded) path the redirect sends the browser to.
STAYS_ON_THE_SITE = [
    ("/notifications/", "/notifications/"),
    ("/supplies/items?q=pens&page=2", "/supplies/items?q=pens&page=2"),
    ("/supplies/items?q=a//b", "/supplies/items?q=a//b"),
    ("/search?q=%2F%2F", "/search?q=%2F%2F"),
    ("/caf\u00e9", "/caf%C3%A9"),
    ("  /notifications/\n", "/notifications/"),
    ("/notifi\tcations/", "/notifications/"),
    ("/a b", "/a%20b"),
    ("/\x00", "/"),  # a browser strips trailing controls too
]


@pytest.mark.parametrize("target", LEAVES_THE_SITE)
def test_safe_next_refuses_what_a_browser_would_take_elsewhere(app, target):
    from portal.web import safe_next

    with app.test_request_context():
        assert safe_next(target) == "/"
        assert safe_next(target, "/fallback") == "/fallback"


@pytest.mark.parametrize(("target", "expected"), STAYS_ON_THE_SITE)
def test_safe_next_keeps_paths_on_this_site(app, target, expected):
    from portal.web import safe_next

    with app.test_request_context():
        assert safe_next(target) == expected


def test_safe_next_of_nothing_is_the_fallback(app):
    from portal.web import safe_next

    with app.test_request_context():
        assert safe_next(None) == "/"
        assert safe_next(None, "") == ""


@pytest.fixture
def ana(make_user):
    return make_user(email="ana@example.com")


@pytest.mark.parametrize("target", LEAVES_THE_SITE)
def test_sign_in_never_redirects_off_site_and_never_fails(client, ana, target):
    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"email": "ana@example.com", "password": PASSWORD},
    )
    if "\x00" in target and response.status_code == 400:
        return  # a NUL anywhere in the query may be refused outright: fine, never a 500
    assert response.status_code == 303, target
    assert response.headers["Location"] == "/", target
    # once signed in, the login page redirects at once: same rule
    again = client.get("/login?next=" + quote(target, safe=""))
    assert again.status_code == 302 and again.headers["Location"] == "/", target


def test_sign_in_follows_a_local_next_from_the_query_or_the_form(client, ana):
    page = client.get("/login?next=/notifications/").get_data(as_text=True)
    assert 'action="/login?next=/notifications/"' in page
    response = client.post(
        "/login", data={"email": "ana@example.com", "password": PASSWORD, "next": "/account"}
    )
    assert response.headers["Location"] == "/account"


def test_the_login_form_carries_only_a_safe_next(client):
    page = client.get("/login?next=" + quote("/\t/evil.example", safe="")).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]*)"[^>]*id="login-form"', page)
    assert action.group(1) == "/login"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r/x", "https:evil.example"])
def test_language_switch_returns_only_to_this_site(client, target):
    response = client.post("/language", data={"locale": "pt_BR", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page(client):
    response = client.post("/language", data={"locale": "pt_BR", "next": "/login?x=1"})
    assert response.headers["Location"] == "/login?x=1"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r/x", "/%5Cevil.example"])
def test_marking_a_notification_read_returns_only_to_this_site(client, login_as, ana, target):
    login_as(ana)
    response = client.post("/notifications/0/read", data={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications/"
    fragment = client.post(
        "/notifications/0/read", data={"next": target}, headers={"HX-Request": "true"}
    )
    assert fragment.headers["HX-Location"] == "/notifications/"
