"""Sign-in, throttling, revocable sessions, temporary passwords."""

from __future__ import annotations

from portal.extensions import db
from portal.models import AuditEntry, User
from tests.conftest import PASSWORD


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    make_user(email="ana@example.com")
    wrong = _login(client, "ana@example.com", "not the password")
    unknown = _login(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    assert b"Wrong e-mail or password." in wrong.data
    assert b"Wrong e-mail or password." in unknown.data


def test_login_is_throttled_per_account(client, make_user):
    make_user(email="ana@example.com")
    for _ in range(5):
        _login(client, "ana@example.com", "wrong password!")
    resp = _login(client, "ana@example.com", PASSWORD)  # right password, but throttled
    assert resp.status_code == 422
    assert b"Too many failed sign-ins" in resp.data
    assert client.get("/").status_code == 302


def test_login_is_throttled_per_address(app, client, make_user):
    app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 3
    make_user(email="ana@example.com")
    for n in range(3):
        _login(client, f"guess{n}@example.com", "wrong password!")
    assert b"Too many failed sign-ins" in _login(client, "ana@example.com").data


def test_failed_and_successful_sign_ins_are_audited(client, make_user):
    make_user(email="ana@example.com")
    _login(client, "ana@example.com", "wrong password!")
    _login(client, "ana@example.com")
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["auth.login_failed", "auth.login"]


def test_next_is_honoured_only_for_local_paths(client, make_user):
    make_user(email="ana@example.com")
    resp = client.post(
        "/login?next=/notifications/", data={"email": "ana@example.com", "password": PASSWORD}
    )
    assert resp.headers["Location"] == "/notifications/"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        resp = client.post(
            f"/login?next={evil}", data={"email": "ana@example.com", "password": PASSWORD}
        )
        assert resp.status_code == 303
        assert resp.headers["Location"] == "/", evil
        client.post("/logout")


def test_disabled_user_cannot_sign_in(client, make_user):
    make_user(email="ana@example.com", active=False)
    assert _login(client, "ana@example.com").status_code == 422


def _cookies(client) -> dict[str, str]:
    return {c.key: c.value for c in client._cookies.values()}


def _replay(app, cookies: dict[str, str]):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other.get("/")


def test_cookie_replayed_after_logout_is_refused(app, client, make_user):
    make_user(email="ana@example.com")
    _login(client, "ana@example.com", remember="y")
    stolen = _cookies(client)
    assert "portal_remember" in stolen and "portal_session" in stolen
    assert _replay(app, stolen).status_code == 200
    client.post("/logout")
    assert _replay(app, stolen).status_code == 302
    # the remember-me cookie alone does not work either
    assert _replay(app, {"portal_remember": stolen["portal_remember"]}).status_code == 302


def test_disabling_a_user_ends_their_sessions(app, client, make_user, login_as):
    ana = make_user(email="ana@example.com")
    _login(client, "ana@example.com", remember="y")
    stolen = _cookies(client)
    admin = make_user(roles=["admin"], email="root@example.com")
    admin_client = app.test_client()
    with admin_client.session_transaction() as sess:
        sess["_user_id"] = admin.session_token
    resp = admin_client.post(
        f"/admin/users/{ana.id}", data={"name": ana.name, "email": ana.email, "roles": ["staff"]}
    )  # active unticked
    assert resp.status_code == 303
    assert _replay(app, stolen).status_code == 302
    assert _replay(app, {"portal_remember": stolen["portal_remember"]}).status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, make_user):
    make_user(email="ana@example.com")
    _login(client, "ana@example.com", remember="y")
    other = app.test_client()
    _login(other, "ana@example.com", remember="y")
    stolen = _cookies(other)
    resp = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert resp.status_code == 303
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert _replay(app, stolen).status_code == 302


def test_password_change_validates_next_to_the_field(client, make_user, login_as):
    login_as(make_user())
    resp = client.post(
        "/account/password",
        data={"current_password": "wrong", "password": "short", "confirm": "short"},
    )
    assert resp.status_code == 422
    assert b'id="current_password-error"' in resp.data
    resp = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "short", "confirm": "short"},
    )
    assert resp.status_code == 422
    assert b"Use at least 10 characters." in resp.data


def test_temporary_password_must_be_changed_first(client, make_user):
    make_user(email="ana@example.com", must_change_password=True)
    _login(client, "ana@example.com")
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/password")
    client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "my own passphrase",
            "confirm": "my own passphrase",
        },
    )
    assert client.get("/").status_code == 200
    user = db.session.scalars(db.select(User).where(User.email == "ana@example.com")).one()
    assert user.must_change_password is False


def test_language_choice_is_kept_and_used(client, make_user, login_as):
    user = login_as(make_user())
    resp = client.post("/account", data={"locale": "pt_BR"})
    assert resp.status_code == 303
    page = client.get("/")
    assert b"Painel" in page.data
    db.session.refresh(user)
    assert user.locale == "pt_BR"


def test_browser_language_is_the_fallback(client, make_user, login_as):
    login_as(make_user())
    page = client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    assert b"Painel" in page.data
    page = client.get("/", headers={"Accept-Language": "en-US"})
    assert b"Dashboard" in page.data
