"""The monthly PDF summary: who may subscribe, the PDF's text, one e-mail per person and month."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.frontdesk import Call
from portal.models.outbox import OutboundMessage
from portal.models.reports import ReportSubscription
from portal.models.supplies import PurchaseOrder, Supplier, SupplyCategory
from portal.services import reports
from tests.reports.conftest import local

FIRST_WORKING_DAY = date(2026, 12, 1)  # a Tuesday


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def november(people):
    cat = SupplyCategory(name="Papelaria", monthly_budget=Decimal("1000"))
    supplier = Supplier(name="Acme", order_email="acme@example.com")
    db.session.add_all([cat, supplier])
    db.session.flush()
    db.session.add_all(
        [
            PurchaseOrder(
                supplier_id=supplier.id,
                category_id=cat.id,
                total=Decimal("1234.56"),
                status="approved",
                requester_id=people["back"].id,
                approved_at=local(2026, 11, 10),
            ),
            Call(caller_name="Cliente", outcome="handled", created_at=local(2026, 11, 4, 10)),
            Call(caller_name="Cliente", outcome="handled", created_at=local(2026, 11, 5, 10)),
        ]
    )
    db.session.commit()


def test_only_office_and_hr_managers_may_subscribe(app, client, people, login_as):
    login_as(people["staff"])
    assert client.post("/reports/subscription", data={"subscribe": "1"}).status_code == 403
    login_as(people["manager"])
    response = client.post("/reports/subscription", data={"subscribe": "1"})
    assert response.status_code == 200
    assert "Stop the monthly summary" in response.get_data(as_text=True)
    assert reports.is_subscribed(people["manager"])
    client.post("/reports/subscription", data={"subscribe": "0"})
    assert not reports.is_subscribed(people["manager"])


def test_pdf_in_portuguese_with_the_reader_s_reports(app, people, november):
    from flask_babel import force_locale

    period = reports.Period(date(2026, 11, 1), date(2026, 12, 1), "custom", 1)
    with force_locale("pt_BR"):
        text = _pdf_text(reports.summary_pdf(people["manager"], period))
    assert "Resumo mensal" in text
    assert "01/11/2026" in text and "30/11/2026" in text
    assert "R$ 1.234,56" in text
    assert "Recepção" in text and "Suprimentos e compras" in text
    assert "Recrutamento" not in text  # HR figures only to HR
    with force_locale("en"):
        hr_text = _pdf_text(reports.summary_pdf(people["hr"], period))
    assert "Monthly summary" in hr_text and "Recruiting" in hr_text
    assert "Front desk" not in hr_text and "1,234.56" not in hr_text


def test_sent_once_per_person_and_month(app, people, november, smtp_sink, run_jobs):
    people["manager"].locale = "pt_BR"
    for who in ("manager", "hr"):
        reports.set_subscription(people[who], subscribed=True)
    db.session.commit()
    # Before the month's first working day nothing goes (1 Nov 2026 is a Sunday).
    assert reports.send_monthly_summaries(date(2026, 11, 1)) == 0
    assert reports.send_monthly_summaries(FIRST_WORKING_DAY) == 2
    db.session.commit()
    assert reports.send_monthly_summaries(FIRST_WORKING_DAY) == 0  # the scheduler ran twice
    assert reports.send_monthly_summaries(date(2026, 12, 15)) == 0  # later in the month
    db.session.commit()
    manager, hr = people["manager"].email, people["hr"].email
    run_jobs()
    messages = smtp_sink.wait_for(2)
    assert sorted(m["To"] for m in messages) == sorted([manager, hr])
    by_to = {m["To"]: m for m in messages}
    pt = by_to[manager]
    assert pt["Subject"] == "Resumo mensal: novembro de 2026"
    (attachment,) = [p for p in pt.walk() if p.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == "summary-2026-11.pdf"
    text = _pdf_text(attachment.get_payload(decode=True))
    assert "Resumo mensal" in text and "R$ 1.234,56" in text
    assert by_to[hr]["Subject"] == "Monthly summary: November 2026"
    assert len(smtp_sink.messages) == 2
    count = db.session.scalar(select(func.count()).select_from(OutboundMessage))
    assert count == 2


def test_the_job_is_idempotent(app, people):
    from worker.jobs.reports import send_monthly_summaries

    reports.set_subscription(people["hr"], subscribed=True)
    db.session.commit()
    first = send_monthly_summaries()
    second = send_monthly_summaries()
    assert second == 0 and first in (0, 1)
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == first
    assert db.session.scalar(select(func.count()).select_from(ReportSubscription)) == 1
