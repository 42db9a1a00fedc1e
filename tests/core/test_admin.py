"""Administration of users, the audit log, the CLI, the demo seed and /healthz."""

from __future__ import annotations

from portal.extensions import db
from portal.models import AuditEntry, User
from tests.conftest import PASSWORD


def test_admin_creates_a_user_with_a_temporary_password(client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    resp = client.post(
        "/admin/users",
        data={
            "name": "Carla Dias",
            "email": "Carla@Example.com",
            "roles": ["staff", "back_office"],
            "password": "temporary passphrase",
            "active": "y",
        },
    )
    assert resp.status_code == 303
    user = db.session.scalars(db.select(User).where(User.email == "carla@example.com")).one()
    assert sorted(user.roles) == ["back_office", "staff"]
    assert user.must_change_password
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "user.create")
    ).one()
    assert entry.target_id == user.id and entry.changes["roles"] == ["back_office", "staff"]
    listing = client.get("/admin/users?q=carla")
    assert b"Carla Dias" in listing.data


def test_user_form_errors_are_next_to_the_field_and_nothing_is_saved(client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    make_user(email="taken@example.com")
    before = db.session.scalar(db.select(db.func.count(User.id)))
    resp = client.post(
        "/admin/users", data={"name": "", "email": "not-an-email", "roles": [], "password": "short"}
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="name-error"' in html and 'id="email-error"' in html and 'id="roles-error"' in html
    resp = client.post(
        "/admin/users",
        data={
            "name": "X",
            "email": "taken@example.com",
            "roles": ["staff"],
            "password": "a good long passphrase",
        },
    )
    assert resp.status_code == 422
    assert "Another user already has this e-mail." in resp.get_data(as_text=True)
    resp = client.post(
        "/admin/users",
        data={"name": "X", "email": "new@example.com", "roles": ["staff"], "password": "short"},
    )
    assert resp.status_code == 422 and 'id="password-error"' in resp.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(User.id))) == before


def test_admin_edits_roles_and_the_change_is_audited(client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    ana = make_user(email="ana@example.com", name="Ana")
    resp = client.post(
        f"/admin/users/{ana.id}",
        data={
            "name": "Ana Souza",
            "email": "ana@example.com",
            "roles": ["staff", "hr_manager"],
            "active": "y",
        },
    )
    assert resp.status_code == 303
    db.session.refresh(ana)
    assert ana.roles == ["hr_manager", "staff"] and ana.name == "Ana Souza"
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "user.update")
    ).one()
    assert entry.changes["roles"] == [["staff"], ["hr_manager", "staff"]]
    audit = client.get("/admin/audit?action=user.")
    assert b"user.update" in audit.data and b"Ana Souza" in audit.data


def test_admin_cannot_lock_themself_out(client, make_user, login_as):
    admin = login_as(make_user(roles=["admin"], email="root@example.com"))
    resp = client.post(
        f"/admin/users/{admin.id}",
        data={"name": admin.name, "email": admin.email, "roles": ["staff"], "active": "y"},
    )
    assert resp.status_code == 422
    assert b"You cannot remove your own admin role" in resp.data
    db.session.refresh(admin)
    assert "admin" in admin.roles


def test_temporary_password_set_by_admin(app, client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    ana = make_user(email="ana@example.com")
    resp = client.post(f"/admin/users/{ana.id}/password", data={"password": "a temporary one!"})
    assert resp.status_code == 303
    db.session.refresh(ana)
    assert ana.must_change_password and ana.check_password("a temporary one!")


def test_audit_log_is_paginated(client, make_user, login_as):
    from portal.services import audit

    admin = login_as(make_user(roles=["admin"]))
    for n in range(60):
        audit.record(admin, "test.event", None, {"n": n})
    db.session.commit()
    first = client.get("/admin/audit?action=test.")
    assert b"Page 1 of 3" in first.data
    third = client.get("/admin/audit?action=test.&page=3", headers={"HX-Request": "true"})
    assert b'id="audit-rows"' in third.data and b"Page 3 of 3" in third.data


def test_cli_creates_a_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "it@example.com",
            "--name",
            "TI",
            "--role",
            "admin",
            "--role",
            "staff",
            "--password",
            "a long admin passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(db.select(User).where(User.email == "it@example.com")).one()
    assert user.roles == ["admin", "staff"] and user.must_change_password
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "it@example.com",
            "--name",
            "TI",
            "--role",
            "admin",
            "--password",
            "a long admin passphrase",
        ]
    )
    assert again.exit_code != 0 and "already has this e-mail" in again.output


def test_seed_demo_creates_the_company_and_refuses_to_run_twice(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--password", "demo passphrase"])
    assert result.exit_code == 0, result.output
    for email in (
        "admin@example.com",
        "backoffice@example.com",
        "manager@example.com",
        "hr@example.com",
        "staff@example.com",
    ):
        assert email in result.output
    count = db.session.scalar(db.select(db.func.count(User.id)))
    assert 24 <= count <= 40
    again = runner.invoke(args=["seed-demo", "--password", "demo passphrase"])
    assert again.exit_code != 0 and "--force" in again.output
    resp = client.post(
        "/login", data={"email": "manager@example.com", "password": "demo passphrase"}
    )
    assert resp.status_code == 303


def test_seed_demo_generates_a_password_when_none_is_given(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "generated" in result.output


def test_healthz_reports_database_redis_and_queues_to_an_admin(client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert set(body["queues"]) == {"mail", "default"}
    assert "worker_heartbeat_age" in body


def test_healthz_is_503_when_the_database_is_unreachable(base_config, tmp_path):
    from portal import create_app

    app = create_app(
        {
            **base_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite",
            "PORTAL_HEALTH_TOKEN": "monitoring-token",
        }
    )
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json() == {"status": "down"}
    resp = app.test_client().get("/healthz", headers={"X-Health-Token": "monitoring-token"})
    assert resp.status_code == 503
    assert resp.get_json()["database"].startswith("error")


def test_healthz_survives_redis_being_down(base_config):
    from portal import create_app

    app = create_app(
        {**base_config, "REDIS_URL": "redis://127.0.0.1:1/0", "PORTAL_HEALTH_TOKEN": "t0ken"}
    )
    resp = app.test_client().get("/healthz", headers={"X-Health-Token": "t0ken"})
    assert resp.status_code == 200
    assert resp.get_json()["redis"].startswith("error")


def test_password_is_hashed(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)
