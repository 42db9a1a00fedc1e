"""Behind PORTAL_TRUSTED_PROXIES=1 reverse proxy the client address is the one the proxy saw:
throttling and the audit log see the real clients, not the proxy."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import AuditEntry, LoginAttempt
from tests.conftest import PASSWORD

PROXY = "10.0.0.1"


@pytest.fixture
def app_config(base_config):
    return {**base_config, "PORTAL_TRUSTED_PROXIES": 1}


def _login(client, email, password, *, forwarded_for):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def test_the_address_is_the_last_hop_the_proxy_added(client, make_user):
    make_user(email="ana@example.com")
    # the client wrote the first value itself; only the proxy's own hop is trusted
    _login(client, "ana@example.com", "wrong password!", forwarded_for="1.2.3.4, 203.0.113.9")
    assert db.session.scalars(db.select(LoginAttempt.address)).one() == "203.0.113.9"
    assert db.session.scalars(db.select(AuditEntry.address)).one() == "203.0.113.9"


def test_an_attacker_behind_the_proxy_does_not_slow_everyone_behind_it(app, client, make_user):
    app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 5
    make_user(email="ana@example.com")
    for n in range(25):
        _login(client, f"guess{n}@example.com", "wrong password!", forwarded_for="192.0.2.66")
    attacker = _login(client, "ana@example.com", PASSWORD, forwarded_for="192.0.2.66")
    assert b"Too many failed sign-ins" in attacker.data
    ana = _login(client, "ana@example.com", PASSWORD, forwarded_for="198.51.100.7")
    assert ana.status_code == 303 and ana.headers["Location"] == "/"
