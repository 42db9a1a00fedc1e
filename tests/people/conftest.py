from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db

VALID_CPF = "529.982.247-25"


@pytest.fixture
def hr(make_user):
    return make_user(roles=["hr_manager", "staff"], name="Patrícia Almeida", email="hr@example.com")


@pytest.fixture
def make_employee(app, hr):
    """An employee record built through the service (search key, history as HR would)."""
    from portal.services import people

    counter = {"n": 0}

    def make(**data):
        counter["n"] += 1
        n = counter["n"]
        user_id = data.pop("user_id", None)
        with app.test_request_context():
            employee = people.save_employee(
                None,
                actor=hr,
                data={
                    "name": data.pop("name", f"Pessoa {n}"),
                    "position": data.pop("position", "Analista"),
                    "contract_type": data.pop("contract_type", "clt"),
                    "start_date": data.pop("start_date", date(2024, 2, 1)),
                    **data,
                },
            )
            employee.user_id = user_id
            db.session.commit()
        return employee

    return make


@pytest.fixture
def salaried(make_employee, make_user):
    """An employee with a login, a personal e-mail, a CPF and a salary."""
    user = make_user(roles=["staff"], name="João Araújo", email="joao@example.com")
    return make_employee(
        name="João Araújo",
        cpf=VALID_CPF,
        email="joao.pessoal@example.org",
        phone="+5511987650001",
        salary=Decimal("7654.32"),
        user_id=user.id,
    )


def login(client, user):
    with client.session_transaction() as sess:
        sess["_user_id"] = user.session_token
        sess["_fresh"] = True
    return client
