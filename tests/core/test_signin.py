"""Sign-in: no account enumeration by timing, throttling that gives nobody a lock-out button,
and nothing typed into the e-mail field stored unless it is an e-mail address."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest

from portal.config import Defaults
from portal.extensions import db
from portal.models import AuditEntry, LoginAttempt
from tests.conftest import PASSWORD

ATTACKER = "192.0.2.66"
ANA_HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.40"


def _login(client, email, password=PASSWORD, *, address=ANA_HOME, **kwargs):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def _signed_in(response) -> bool:
    return response.status_code == 303 and response.headers["Location"] == "/"


def _retry_in(response) -> str | None:
    found = re.search(r"Try again in (\d+ \w+)\.", response.get_data(as_text=True))
    return found.group(1) if found else None


def _time_passes(seconds: float) -> None:
    """Move every recorded attempt ``seconds`` into the past (as if the clock had run)."""
    for attempt in db.session.scalars(db.select(LoginAttempt)):
        attempt.at = attempt.at - timedelta(seconds=seconds)
    db.session.commit()


# --- timing -----------------------------------------------------------------------------------


def test_unknown_email_takes_as_long_as_a_wrong_password(app, client, make_user):
    """Measured with the production hash; a ratio of medians, in a generous band."""
    app.config.update(
        PASSWORD_HASH_METHOD=Defaults.PASSWORD_HASH_METHOD,
        LOGIN_FREE_FAILURES=1000,
        LOGIN_FREE_FAILURES_PER_ADDRESS=1000,
        LOGIN_FREE_FAILURES_PER_ACCOUNT=1000,
    )
    make_user(email="ana@example.com")  # hashed with PASSWORD_HASH_METHOD

    def timed(email: str) -> float:
        start = time.perf_counter()
        response = _login(client, email, "not the password at all")
        elapsed = time.perf_counter() - start
        assert response.status_code == 422
        return elapsed

    timed("ana@example.com"), timed("nobody@example.com")  # warm up both paths
    known, unknown = [], []
    for n in range(7):
        known.append(timed("ana@example.com"))
        unknown.append(timed(f"nobody{n}@example.com"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (ratio, known, unknown)


def test_a_disabled_account_and_a_wrong_password_answer_alike(client, make_user):
    make_user(email="ana@example.com")
    make_user(email="old@example.com", active=False)
    wrong = _login(client, "ana@example.com", "not the password")
    disabled = _login(client, "old@example.com")
    unknown = _login(client, "nobody@example.com")
    for response in (wrong, disabled, unknown):
        assert response.status_code == 422
        assert b"Wrong e-mail or password." in response.data


def test_a_hash_of_other_parameters_is_upgraded_at_sign_in(app, client, make_user):
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    ana = make_user(email="ana@example.com")
    assert ana.password_hash.startswith("pbkdf2:sha256:1000$")
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2000"
    assert _signed_in(_login(client, "ana@example.com"))
    db.session.refresh(ana)
    assert ana.password_hash.startswith("pbkdf2:sha256:2000$") and ana.check_password(PASSWORD)


# --- throttling -------------------------------------------------------------------------------


def test_guesses_from_one_address_do_not_lock_the_real_user_out_elsewhere(client, make_user):
    make_user(email="root@example.com", roles=["admin"])
    for _ in range(12):
        _login(client, "root@example.com", "guess guess guess", address=ATTACKER)
    assert _retry_in(_login(client, "root@example.com", address=ATTACKER))  # the attacker waits
    assert _signed_in(_login(client, "root@example.com", address=ELSEWHERE))  # the admin doesn't


def test_the_delay_is_a_refusal_that_grows_not_a_sleep(app, client, make_user):
    app.config["LOGIN_DELAY_BASE_SECONDS"] = 60
    make_user(email="ana@example.com")
    for _ in range(5):
        assert b"Wrong e-mail or password." in _login(client, "ana@example.com", "wrong one").data
    start = time.perf_counter()
    refused = _login(client, "ana@example.com")  # the right password, but too soon
    assert time.perf_counter() - start < 30  # answered at once, not after sleeping 60 s
    assert refused.status_code == 422
    assert _retry_in(refused) in ("60 seconds", "59 seconds")
    assert refused.headers["Retry-After"] in ("60", "59")
    assert client.get("/").status_code == 302
    assert db.session.query(LoginAttempt).count() == 5  # a refusal is not one more failure

    _time_passes(61)
    assert b"Wrong e-mail or password." in _login(client, "ana@example.com", "wrong again").data
    assert _retry_in(_login(client, "ana@example.com")) == "2 minutes"  # doubled

    _time_passes(121)
    assert _signed_in(_login(client, "ana@example.com"))
    # a success clears the slate for this account at this address
    client.post("/logout")
    assert b"Wrong e-mail or password." in _login(client, "ana@example.com", "typo typo").data


def test_the_delay_is_told_in_portuguese(client, make_user):
    make_user(email="ana@example.com")
    for _ in range(5):
        _login(client, "ana@example.com", "wrong password!")
    refused = _login(client, "ana@example.com", headers={"Accept-Language": "pt-BR"})
    assert re.search(r"Tente novamente em [12] segundos?\.", refused.get_data(as_text=True))


def test_spraying_many_accounts_from_one_address_slows_only_strangers(app, client, make_user):
    app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 3
    make_user(email="ana@example.com")
    make_user(email="bia@example.com")
    assert _signed_in(_login(client, "bia@example.com", address=ATTACKER))  # bia works there
    client.post("/logout")
    for n in range(3):
        _login(client, f"guess{n}@example.com", "wrong password!", address=ATTACKER)
    assert _retry_in(_login(client, "ana@example.com", address=ATTACKER))
    assert _signed_in(_login(client, "bia@example.com", address=ATTACKER))
    client.post("/logout")
    assert _signed_in(_login(client, "ana@example.com", address=ELSEWHERE))


def test_guesses_from_many_addresses_do_not_stop_the_user_at_home(app, client, make_user):
    app.config["LOGIN_FREE_FAILURES_PER_ACCOUNT"] = 3
    make_user(email="ana@example.com")
    assert _signed_in(_login(client, "ana@example.com", address=ANA_HOME))
    client.post("/logout")
    for n in range(3):
        _login(client, "ana@example.com", "wrong password!", address=f"192.0.2.{n + 1}")
    assert _retry_in(_login(client, "ana@example.com", address="192.0.2.99"))
    assert _signed_in(_login(client, "ana@example.com", address=ANA_HOME))


def test_forwarded_for_is_ignored_without_trusted_proxies(client, make_user):
    make_user(email="ana@example.com")
    _login(
        client,
        "ana@example.com",
        "wrong password!",
        address="10.0.0.1",
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert db.session.scalars(db.select(LoginAttempt.address)).one() == "10.0.0.1"
    assert db.session.scalars(db.select(AuditEntry.address)).one() == "10.0.0.1"


# --- what is stored ---------------------------------------------------------------------------


def _stored_text() -> str:
    attempts = db.session.scalars(db.select(LoginAttempt)).all()
    entries = db.session.scalars(db.select(AuditEntry)).all()
    return repr([(a.email, a.address) for a in attempts]) + repr(
        [(e.changes, e.target_label) for e in entries]
    )


@pytest.mark.parametrize("typed", [PASSWORD, "S3cret!@home", "hunter2hunter2", "  Tr0ub4dor&3 "])
def test_a_password_typed_into_the_email_field_is_never_stored(client, make_user, typed):
    make_user(email="ana@example.com")
    response = _login(client, typed, "ana@example.com")  # the two fields swapped
    assert response.status_code == 422
    stored = _stored_text()
    assert typed.strip() not in stored and typed.strip().lower() not in stored
    attempt = db.session.scalars(db.select(LoginAttempt)).one()
    assert attempt.email == "[not an e-mail address]"
    entry = db.session.scalars(db.select(AuditEntry)).one()
    assert entry.action == "auth.login_failed"
    assert entry.changes["email"] == "[not an e-mail address]"


def test_an_email_address_is_kept_normalised_for_the_admin(client, make_user):
    make_user(email="ana@example.com")
    _login(client, "  Ana@Example.COM ", "wrong password!")
    _login(client, "nobody@example.com", "wrong password!")
    assert sorted(db.session.scalars(db.select(LoginAttempt.email))) == [
        "ana@example.com",
        "nobody@example.com",
    ]
    changes = [e.changes["email"] for e in db.session.scalars(db.select(AuditEntry))]
    assert sorted(changes) == ["ana@example.com", "nobody@example.com"]
