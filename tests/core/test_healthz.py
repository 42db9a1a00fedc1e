"""/healthz: anonymous callers learn up or down; details for admins and monitoring's token."""

from __future__ import annotations

import pytest

TOKEN = "a-long-random-monitoring-token"


@pytest.fixture
def app_config(base_config):
    return {**base_config, "PORTAL_HEALTH_TOKEN": TOKEN}


def test_anonymous_callers_get_only_up_or_down(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "up"}


def test_a_signed_in_non_admin_gets_only_up_or_down(client, make_user, login_as):
    login_as(make_user(roles=["staff", "back_office"]))
    assert client.get("/healthz").get_json() == {"status": "up"}


def test_an_admin_gets_the_details(client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    body = client.get("/healthz").get_json()
    assert body["status"] == "up" and body["database"] == "ok" and body["redis"] == "ok"
    assert set(body["queues"]) == {"mail", "default"}
    assert "worker_heartbeat_age" in body and "workers_alive" in body


def test_the_monitoring_token_gets_the_details(client):
    body = client.get("/healthz", headers={"X-Health-Token": TOKEN}).get_json()
    assert body["database"] == "ok" and set(body["queues"]) == {"mail", "default"}


@pytest.mark.parametrize("given", ["", "wrong", TOKEN[:-1], TOKEN + "x", TOKEN.upper()])
def test_a_wrong_token_gets_only_up_or_down(client, given):
    response = client.get("/healthz", headers={"X-Health-Token": given})
    assert response.get_json() == {"status": "up"}


def test_no_configured_token_means_no_token_works(app, client):
    app.config["PORTAL_HEALTH_TOKEN"] = ""
    assert client.get("/healthz", headers={"X-Health-Token": ""}).get_json() == {"status": "up"}


def test_down_is_503_and_says_only_down(base_config, tmp_path):
    from portal import create_app

    app = create_app(
        {**base_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "down"}
