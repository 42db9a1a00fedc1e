"""The directory: everyone may look colleagues up; accent-insensitive; nothing HR-private."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.extensions import db
from portal.models import Department
from tests.people.conftest import login

PRIVATE = {
    "personal e-mail": "sntl.personal.7731@example.org",
    "personal phone": "+5511977317731",
    "cpf": "52998224725",
    "cpf formatted": "529.982.247-25",
    "address": "Rua Sentinela 7731",
    "emergency": "Sntl Emergency 7731",
    "salary": "7,731.77",
    "birth": "1977",
}


def test_search_is_accent_and_case_insensitive(client, make_employee, make_user):
    finance = Department(name="Finanças")
    db.session.add(finance)
    db.session.commit()
    make_employee(name="João Araújo", position="Técnico", department_id=finance.id)
    make_employee(name="Mônica Ávila", preferred_name="Mônica", position="Gerente")
    make_employee(name="Paulo Lima", position="Motorista")
    login(client, make_user(roles=["staff"], email="s@example.com"))
    for q, found, missing in (
        ("joao", "João Araújo", "Paulo Lima"),
        ("JOÃO ARAUJO", "João Araújo", "Mônica"),
        ("monica", "Mônica", "João"),
        ("tecnico", "João Araújo", "Paulo"),
        ("financas", "João Araújo", "Paulo"),
    ):
        body = client.get("/people/", query_string={"q": q}).get_data(as_text=True)
        assert found in body, q
        assert missing not in body, q
    fragment = client.get("/people/", query_string={"q": "joao"}, headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="directory">') or 'id="directory"' in text[:200]
    assert "<html" not in text


def test_the_directory_shows_nothing_hr_private(client, make_employee, make_user):
    account = make_user(roles=["staff"], name="Sofia Sentinela", email="sofia@empresa.example.com")
    account.extension = "2345"
    db.session.commit()
    make_employee(
        name="Sofia Sentinela",
        cpf=PRIVATE["cpf"],
        email=PRIVATE["personal e-mail"],
        phone=PRIVATE["personal phone"],
        address=PRIVATE["address"],
        emergency_contact=PRIVATE["emergency"],
        salary=Decimal("7731.77"),
        birth_date=date(1977, 7, 7),
        user_id=account.id,
    )
    for role in ("staff", "back_office", "office_manager", "admin", "hr_manager"):
        viewer = make_user(roles=[role], email=f"{role}.viewer@example.com")
        c = login(client.application.test_client(), viewer)
        for headers in ({}, {"HX-Request": "true"}):
            body = c.get("/people/", query_string={"q": "sofia"}, headers=headers).get_data(
                as_text=True
            )
            assert "Sofia Sentinela" in body
            assert "sofia@empresa.example.com" in body and "2345" in body  # work contacts
            leaked = [k for k, v in PRIVATE.items() if v in body]
            assert leaked == [], (role, leaked)


def test_people_who_left_are_not_listed(client, make_employee, make_user):
    gone = make_employee(name="Ex Colaborador")
    gone.status = "left"
    db.session.commit()
    login(client, make_user(roles=["staff"], email="s@example.com"))
    assert "Ex Colaborador" not in client.get("/people/").get_data(as_text=True)


def test_the_header_search_finds_colleagues_with_directory_fields_only(
    client, make_employee, make_user
):
    import pytest

    if "search.index" not in client.application.view_functions:
        pytest.skip("the search area is not installed")
    make_employee(
        name="Sofia Sentinela",
        position="Analista",
        cpf=PRIVATE["cpf"],
        email=PRIVATE["personal e-mail"],
        salary=Decimal("7731.77"),
    )
    login(client, make_user(roles=["staff"], email="s@example.com"))
    body = client.get("/search/", query_string={"q": "sentinela"}).get_data(as_text=True)
    assert "Sofia Sentinela" in body and "Analista" in body
    assert [k for k, v in PRIVATE.items() if v in body] == []
    assert "/people/employees/" not in body  # staff is sent to the directory, not the record
