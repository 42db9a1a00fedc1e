"""Deny by default: every route declares who may use it, and the matrix holds for every role."""

from __future__ import annotations

import re

from werkzeug.routing.converters import NumberConverter

from portal.security import PERMISSIONS, ROLES, access_of


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def _url(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        numeric = isinstance(rule._converters[arg], NumberConverter)
        value = "999999" if numeric else "x"
        url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, url)
    return url


def _method(rule) -> str:
    return "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        rule.rule
        for rule in _routes(app)
        if access_of(app.view_functions[rule.endpoint])[0] is None
    ]
    assert undeclared == [], f"routes without @public/@signed_in/@requires: {undeclared}"


def test_declared_permissions_exist(app):
    for rule in _routes(app):
        kind, permission = access_of(app.view_functions[rule.endpoint])
        if kind == "permission":
            assert permission in PERMISSIONS, rule.rule


def test_undeclared_view_is_denied(app, make_user, login_as, client):
    @app.get("/__undeclared")
    def undeclared():  # pragma: no cover - must never run
        return "open door"

    assert client.get("/__undeclared").status_code == 403
    login_as(make_user(roles=list(ROLES)))
    assert client.get("/__undeclared").status_code == 403


def _call(client, rule, headers=None):
    method = _method(rule)
    return client.open(_url(rule), method=method, headers=headers or {}, data={})


def test_authorization_matrix(app, make_user):
    from portal.extensions import db

    users = {role: make_user(roles=[role], email=f"{role}@matrix.test") for role in ROLES}
    failures: list[str] = []
    anon = app.test_client()
    for rule in _routes(app):
        kind, permission = access_of(app.view_functions[rule.endpoint])
        # Anonymous: public routes answer; everything else goes to the login page.
        resp = _call(anon, rule)
        if kind != "public":
            if resp.status_code != 302 or "/login" not in resp.headers.get("Location", ""):
                failures.append(f"anonymous {rule.rule}: {resp.status_code}")
            htmx = _call(anon, rule, {"HX-Request": "true"})
            if htmx.status_code != 401 or "/login" not in htmx.headers.get("HX-Redirect", ""):
                failures.append(f"anonymous htmx {rule.rule}: {htmx.status_code}")
        elif resp.status_code >= 500 or resp.status_code in (401, 403):
            failures.append(f"anonymous public {rule.rule}: {resp.status_code}")
        for role, user in users.items():
            client = app.test_client()
            db.session.rollback()  # end the read snapshot: a route (logout) may have rotated it
            db.session.refresh(user)
            with client.session_transaction() as sess:
                sess["_user_id"] = user.session_token
                sess["_fresh"] = True
            resp = _call(client, rule)
            allowed = kind in ("public", "signed_in") or role in PERMISSIONS.get(permission, ())
            location = resp.headers.get("Location", "")
            if allowed:
                if (
                    resp.status_code in (401, 403)
                    or resp.status_code >= 500
                    or (resp.status_code == 302 and "/login" in location)
                ):
                    failures.append(
                        f"{role} {_method(rule)} {rule.rule}: {resp.status_code} (expected allowed)"
                    )
            elif resp.status_code != 403:
                failures.append(
                    f"{role} {_method(rule)} {rule.rule}: {resp.status_code} "
                    f"(expected 403) {location}"
                )
    assert failures == [], "\n".join(failures)


def test_denial_is_audited(client, make_user, login_as):
    from portal.extensions import db
    from portal.models import AuditEntry

    login_as(make_user(roles=["staff"]))
    assert client.get("/admin/users").status_code == 403
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "access.denied")
    ).one()
    assert entry.changes["permission"] == "admin.users"
