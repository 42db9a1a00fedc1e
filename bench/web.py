"""Signing in to a running portal the way a browser does, for the load benchmarks."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request


def sign_in(base: str, email: str, password: str):  # type: ignore[no-untyped-def]
    """Sign in through the real login form (CSRF token included).

    Returns the opener, which keeps the session cookie for further requests, and its cookie jar
    (``cookie_header(jar)`` gives the ``Cookie:`` value for wrk).
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token, "no CSRF token on the login page"
    data = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": token.group(1)}
    ).encode()
    opener.open(f"{base}/login", data=data).read()
    return opener, jar


def cookie_header(jar: http.cookiejar.CookieJar) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in jar)
