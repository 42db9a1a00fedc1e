"""New passwords are judged by a strength estimator (zxcvbn) that knows the person's name and
e-mail; a refusal says why, in the person's language."""

from __future__ import annotations

from html import unescape

import pytest

from portal.extensions import db
from portal.models import User
from tests.conftest import PASSWORD


def _change(client, new: str):
    return client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": new, "confirm": new},
    )


@pytest.fixture
def ana(make_user, login_as):
    return login_as(make_user(email="ana.silva@example.com", name="Ana Silva"))


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password12", "It is one of the most common passwords, or very close to one."),
        ("senha123456", "It is one of the most common passwords, or very close to one."),
        ("xcvbnmsdfghj", "Keyboard patterns such as “qwerty” are easy to guess."),
        ("abcdefghijkl", "Sequences such as “abc” or “6543” are easy to guess."),
        ("2020-12-25x", "Dates and years are easy to guess."),
        ("aaaaaaaaaaaa", "Repeated characters or words are easy to guess."),
        ("ana.silva2024", "It is built from your name or e-mail address."),
        ("anasilva1234", "It is built from your name or e-mail address."),
        ("Silva.Ana!2024", "It is built from your name or e-mail address."),
        ("silva-ana-silva", "It is built from your name or e-mail address."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, ana, password, reason):
    response = _change(client, password)
    assert response.status_code == 422, password
    body = unescape(response.get_data(as_text=True))
    assert 'id="password-error"' in body
    assert reason in body, body[body.find("password-error") :][:400]
    assert "Add a word or two that have nothing to do with you" in body
    db.session.refresh(ana)
    assert ana.check_password(PASSWORD)  # unchanged


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password12", "É uma das senhas mais comuns, ou muito parecida com uma delas."),
        ("ana.silva2024", "É baseada no seu nome ou no seu e-mail."),
    ],
)
def test_the_reason_is_given_in_portuguese(client, ana, password, reason):
    ana.locale = "pt_BR"
    db.session.commit()
    response = _change(client, password)
    assert response.status_code == 422
    body = unescape(response.get_data(as_text=True))
    assert reason in body
    assert "Acrescente uma ou duas palavras que não tenham nada a ver com você" in body


@pytest.mark.parametrize(
    "password",
    ["a brand new passphrase", "anasilva-correct-horse-battery", "Tr0ub4dor&3 of kites"],
)
def test_strong_passwords_are_accepted(client, ana, password):
    assert _change(client, password).status_code == 303
    db.session.refresh(ana)
    assert ana.check_password(password)


def test_an_admin_cannot_give_a_new_user_a_password_made_of_their_name(client, make_user, login_as):
    login_as(make_user(roles=["admin"]))
    response = client.post(
        "/admin/users",
        data={
            "name": "João Pereira",
            "email": "joao.pereira@example.com",
            "roles": ["staff"],
            "password": "joaopereira2025",
        },
    )
    assert response.status_code == 422
    body = unescape(response.get_data(as_text=True))
    assert "It is built from the person's name or e-mail address." in body
    assert db.session.scalar(db.select(User).where(User.email.startswith("joao"))) is None


def test_a_very_long_password_is_judged_quickly_and_accepted(client, ana):
    # zxcvbn's cost grows fast with length: only the first 72 characters are scored
    long = "correct horse battery staple " * 8
    assert _change(client, long[:250]).status_code == 303
