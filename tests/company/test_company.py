"""The company profile: CNPJ check digits, the admin page, the logo checked before it is kept."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import AuditEntry
from portal.models.company import CompanyProfile
from portal.services import company

VALID = "11.222.333/0001-81"


def _png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (29, 78, 216)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "raw", ["11.222.333/0001-81", "11222333000181", " 11 222 333 0001 81 ", "45.997.418/0001-53"]
)
def test_valid_cnpjs_are_accepted_as_14_digits(raw):
    digits = company.normalise_cnpj(raw)
    assert len(digits) == 14 and digits.isdigit()
    assert company.format_cnpj(digits)[2] == "." and "/" in company.format_cnpj(digits)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("11.222.333/0001-82", "check digits"),  # last digit wrong
        ("11.222.333/0001-18", "check digits"),  # digits swapped
        ("00.000.000/0000-00", "check digits"),  # one digit repeated passes the sums
        ("11.222.333/0001", "14 digits"),
        ("11.222.333/0001-8a", "only digits"),
        ("", "Enter"),
    ],
)
def test_wrong_cnpjs_are_refused_with_a_reason(raw, words):
    with pytest.raises(ValidationError) as error:
        company.normalise_cnpj(raw)
    assert error.value.field == "cnpj" and words in error.value.message


def test_page_needs_admin_company(client, make_user, login_as):
    login_as(make_user(roles=["staff"]))
    assert client.get("/company/").status_code == 403
    assert client.post("/company/", data={"legal_name": "X"}).status_code == 403


def test_office_manager_saves_the_profile_and_it_is_audited(client, make_user, login_as):
    manager = login_as(make_user(roles=["office_manager"], locale="pt_BR"))
    page = client.get("/company/").get_data(as_text=True)
    assert "Perfil da empresa" in page
    response = client.post(
        "/company/",
        data={
            "legal_name": "Quarto Azul Serviços Administrativos Ltda.",
            "trade_name": "Quarto Azul",
            "cnpj": VALID,
            "address": "Rua Augusta, 1500\nConsolação, São Paulo – SP\n01304-001",
            "phone": "(11) 3456-7890",
            "email": "contato@quartoazul.com.br",
        },
    )
    assert response.status_code == 303
    profile = db.session.scalars(select(CompanyProfile)).one()
    assert profile.cnpj == "11222333000181" and profile.phone == "+551134567890"
    assert profile.display_name == "Quarto Azul" and profile.updated_by_id == manager.id
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "company.profile")
    ).one()
    assert entry.changes["cnpj"] == [None, "11222333000181"]
    page = client.get("/company/").get_data(as_text=True)
    assert 'value="11.222.333/0001-81"' in page and "(11) 3456-7890" in page


def test_bad_cnpj_answers_422_next_to_the_field_keeping_what_was_typed(
    client, make_user, login_as, rendered_templates
):
    login_as(make_user(roles=["admin"]))
    response = client.post(
        "/company/",
        data={"legal_name": "Acme Ltda.", "cnpj": "11.222.333/0001-82"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert rendered_templates[-1] == "company/_partials/_form.html"
    html = response.get_data(as_text=True)
    assert 'id="cnpj-error"' in html and "check digits" in html
    assert 'value="Acme Ltda."' in html
    assert db.session.scalar(select(CompanyProfile)) is None


def test_logo_is_checked_and_reencoded(client, make_user, login_as):
    actor = login_as(make_user(roles=["admin"]))
    company.save(actor=actor, legal_name="Acme Ltda.", trade_name=None, cnpj=VALID, address=None)
    db.session.commit()
    # A PNG with bytes riding after its end: kept as a clean PNG of its own.
    response = client.post(
        "/company/logo",
        data={"logo": (io.BytesIO(_png() + b"<script>x</script>"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    stored, content_type = company.logo()
    assert content_type == "image/png" and b"<script>" not in stored
    assert Image.open(io.BytesIO(stored)).size == (40, 20)
    served = client.get("/company/logo")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-1.7 not an image", "PNG or JPEG"),
        (b"GIF89a....", "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "could not be read"),
        (None, "pixels"),
    ],
)
def test_bad_logos_are_refused_with_422(client, make_user, login_as, data, words):
    actor = login_as(make_user(roles=["admin"]))
    company.save(actor=actor, legal_name="Acme Ltda.", trade_name=None, cnpj=VALID, address=None)
    db.session.commit()
    data = data if data is not None else _png((3000, 10))
    response = client.post(
        "/company/logo",
        data={"logo": (io.BytesIO(data), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert company.logo() is None


def test_display_name_falls_back_to_the_portal_name(app):
    assert company.display_name() == app.config["PORTAL_NAME"]
