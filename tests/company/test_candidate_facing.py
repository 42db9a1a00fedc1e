# ruff: noqa: F811  (the recruiting fixtures are imported by name)
"""Candidates hear from the company, in their language, at the public address."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.extensions import db
from portal.models.outbox import OutboundMessage
from portal.services import company
from tests.recruiting.conftest import add_application, hr, make_opening, opening  # noqa: F401
from tests.recruiting.cvs import CV_PT

TZ = ZoneInfo("America/Sao_Paulo")
PUBLIC = "https://vagas.quartoazul.com.br"


@pytest.fixture
def app_config(base_config):
    return {**base_config, "PORTAL_PUBLIC_URL": PUBLIC}


@pytest.fixture
def profile(app, hr):
    company.save(
        actor=hr,
        legal_name="Quarto Azul Serviços Administrativos Ltda.",
        trade_name="Quarto Azul",
        cnpj="11.222.333/0001-81",
        address="Rua Augusta, 1500\nSão Paulo – SP",
    )
    db.session.commit()


@pytest.fixture
def mariana(add_application):
    return add_application(CV_PT, email="mariana@example.com", locale="pt_BR")


def _monday_10() -> datetime:
    today = datetime.now(TZ).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7) + timedelta(weeks=3)
    return datetime(monday.year, monday.month, monday.day, 10, 0, tzinfo=TZ)


def _all(template: str) -> list[OutboundMessage]:
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.template == template)
            .order_by(OutboundMessage.id)
        )
    )


def test_booking_email_comes_from_the_company_with_a_public_link(
    app,
    client,
    profile,
    hr,
    mariana,
    make_user,
):
    from portal.services import recruiting

    interviewer = make_user(name="Rodrigo", email="rodrigo@example.com")
    start = _monday_10()
    from portal.models.recruiting import InterviewSlot

    db.session.get(type(mariana.opening), mariana.opening_id).interviewers = [interviewer]
    db.session.add(
        InterviewSlot(
            opening_id=mariana.opening_id, start_at=start, end_at=start + timedelta(hours=1)
        )
    )
    db.session.commit()
    with app.test_request_context():
        token = recruiting.create_booking_link(mariana, actor=hr)
        db.session.commit()
    (mail,) = _all("recruiting_booking")
    body = mail.text_body + mail.html_body
    assert f"{PUBLIC}/recruiting/book/{token}" in mail.text_body
    assert "http://portal.test" not in body  # never the internal portal's address
    assert "Back Office Portal" not in body
    assert "Quarto Azul gostaria de conhecer você" in mail.text_body
    assert "Equipe de recrutamento da Quarto Azul" in mail.text_body

    # The booking page speaks for the company too, in the candidate's language, to the minute.
    page = client.get(f"/recruiting/book/{token}").get_data(as_text=True)
    assert '<span class="brand">Quarto Azul</span>' in page and "· Quarto Azul</title>" in page
    assert "Equipe de recrutamento da Quarto Azul" in page
    assert "Back Office Portal" not in page
    assert "10:00" in page and "10:00:00" not in page


def test_invitation_and_ics_summary_in_the_candidates_language(
    client,
    login_as,
    profile,
    hr,
    mariana,
    make_user,
):
    interviewer = make_user(name="Rodrigo", email="rodrigo@example.com", locale="en")
    login_as(hr)
    start = _monday_10()
    response = client.post(
        f"/recruiting/applications/{mariana.id}/interviews",
        data={
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "duration": "60",
            "interviewers": [str(interviewer.id)],
            "location": "Sala 3",
        },
    )
    assert response.status_code == 303
    by = {m.recipients[0]: m for m in _all("recruiting_invitation")}
    candidate, staff = by["mariana@example.com"], by["rodrigo@example.com"]

    def summary(message):
        (event,) = Calendar.from_ical(message.attachments[0].data).walk("VEVENT")
        return str(event["SUMMARY"]), str(event["UID"])

    pt_summary, pt_uid = summary(candidate)
    en_summary, en_uid = summary(staff)
    assert pt_summary == "Entrevista para Analista financeiro — Quarto Azul"
    assert en_summary.startswith("Interview: Mariana") and en_uid == pt_uid
    # The candidate's e-mail: Portuguese, the company's name and signature, no seconds, no ISO.
    text = candidate.text_body
    assert "10:00" in text and "10:00:00" not in text and start.date().isoformat() not in text
    assert "Equipe de recrutamento da Quarto Azul" in text
    assert "Back Office Portal" not in text + candidate.html_body
    assert "Quarto Azul" in candidate.html_body
    # The interviewer's: the portal's, no candidate signature.
    assert "recruiting team" not in staff.text_body.lower()
