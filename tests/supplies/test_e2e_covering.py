"""End to end, in Portuguese on a phone-sized screen: the manager is away → the delegate approves
a colleague's order "on behalf of" the manager → the delegate's own order reaches the next
approver (the director), who approves it → each supplier receives one Portuguese e-mail with a
PDF carrying the company's CNPJ, the date as dd/mm/aaaa and the right totals."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from pypdf import PdfReader

from portal.extensions import db
from portal.models.supplies import local_today
from portal.services import company
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "/tmp/supplies-shots")


@pytest.fixture
def pt_page(_browser, live_server):
    context = _browser.new_context(
        base_url=live_server.url, locale="pt-BR", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(30_000)  # the suite runs on parallel workers
    pg = context.new_page()
    yield pg
    context.close()


def _login(page, email):
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/")


def _pdf_text(message, number):
    part = next(p for p in message.walk() if p.get_filename() == f"{number}.pdf")
    reader = PdfReader(io.BytesIO(part.get_payload(decode=True)))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split()).replace("\xa0", " ")


def test_covering_for_the_manager_in_portuguese(
    pt_page, live_server, make_user, make_order, catalogue, smtp_sink, run_jobs
):
    page = pt_page
    admin = make_user(roles=["admin"], locale="pt_BR")
    make_user(
        roles=["office_manager", "staff"],
        name="Marcos Oliveira",
        email="manager@example.com",
        locale="pt_BR",
    )
    delegate = make_user(
        roles=["back_office", "staff"],
        name="Juliana Costa",
        email="backoffice@example.com",
        locale="pt_BR",
    )
    colleague = make_user(roles=["back_office", "staff"], name="Natália Cardoso", locale="pt_BR")
    make_user(
        roles=["director", "staff"],
        name="Helena Prado",
        email="director@example.com",
        locale="pt_BR",
    )
    company.save(
        actor=admin,
        legal_name="Escritório Exemplo Ltda.",
        trade_name="Escritório Exemplo",
        cnpj="11.222.333/0001-81",
        address="Rua Augusta, 1500\nSão Paulo – SP",
    )
    db.session.commit()
    theirs = make_order(colleague, status="pending_approval", lines=[(catalogue["a4"], 10)])
    mine = make_order(delegate, status="pending_approval", lines=[(catalogue["coffee"], 2)])
    numbers = {"theirs": theirs.number, "mine": mine.number}
    ids = {"theirs": theirs.id, "mine": mine.id}
    db.session.remove()

    # The manager declares the absence, Juliana standing in.
    _login(page, "manager@example.com")
    page.goto("/supplies/absences")
    today = local_today()
    page.fill("#starts_on", today.isoformat())
    page.fill("#ends_on", (today + timedelta(days=4)).isoformat())
    page.select_option("#delegate_id", label="Juliana Costa")
    page.click("#absence-form button[type=submit]")
    page.wait_for_selector("text=Ativa")

    # The delegate approves the colleague's order on the manager's behalf; her own order is
    # not hers to approve and names the director.
    _login(page, "backoffice@example.com")
    page.goto("/supplies/approvals")
    own_row = page.locator(".queue-row", has_text=numbers["mine"])
    assert "Helena Prado" in own_row.inner_text()
    assert own_row.get_by_role("button", name="Aprovar").count() == 0
    row = page.locator(".queue-row", has_text=numbers["theirs"])
    assert "em nome de Marcos Oliveira" in row.inner_text()
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/covering-queue-delegate.png", full_page=True)
    page.click("#navmenu > summary")  # at phone width the navigation folds behind "Menu"
    badge = page.locator("nav a[href='/supplies/items'] .badge-count")
    assert badge.inner_text() == "2"
    row.get_by_role("button", name="Aprovar").click()
    page.wait_for_selector(f".queue-row.decided:has-text('{numbers['theirs']}')")
    # The navigation badge follows (HX-Trigger → the badge fetches its count again).
    page.wait_for_function(
        "document.querySelector(\"nav a[href='/supplies/items'] .badge-count\").textContent === '1'"
    )
    assert "em nome de Marcos Oliveira" in (
        page.locator(f".queue-row.decided:has-text('{numbers['theirs']}')").inner_text()
    )

    # The director sees why the order is hers and approves it.
    _login(page, "director@example.com")
    page.goto(f"/supplies/orders/{ids['mine']}")
    who = page.locator("#order-approvers")
    assert "Helena Prado" in who.inner_text()
    assert "substitui Marcos Oliveira" in who.inner_text()
    page.screenshot(path=f"{SHOTS}/covering-order-director.png", full_page=True)
    page.goto("/supplies/approvals")
    page.locator(".queue-row", has_text=numbers["mine"]).get_by_role(
        "button", name="Aprovar"
    ).click()
    page.wait_for_selector(f".queue-row.decided:has-text('{numbers['mine']}')")

    # Each supplier receives exactly one Portuguese e-mail with its PDF.
    expected = {
        "pedidos@kalunga.test": (numbers["theirs"], "R$ 259,00"),
        "vendas@cafe.test": (numbers["mine"], "R$ 108,00"),
    }
    received: dict[str, list] = {}
    for _ in range(20):
        run_jobs()
        messages = smtp_sink.wait_for(2, timeout=1)
        received = {to: [m for m in messages if to in m["X-Sink-Rcpts"]] for to in expected}
        if all(received.values()):
            break
    date = re.compile(r"Data: (\d{2})/(\d{2})/(\d{4})")
    for to, (number, total) in expected.items():
        assert len(received[to]) == 1, to
        message = received[to][0]
        subject = str(make_header(decode_header(message["Subject"])))
        assert subject == f"Pedido de compra {number} de Escritório Exemplo"
        text = _pdf_text(message, number)
        assert "11.222.333/0001-81" in text
        found = date.search(text)
        assert found and (int(found[1]), int(found[2]), int(found[3])) == (
            today.day,
            today.month,
            today.year,
        )
        assert f"Total do pedido: {total}" in text
        assert "Página 1 de 1" in text

    # The order page says it went by e-mail, once.
    page.goto(f"/supplies/orders/{ids['mine']}")
    page.wait_for_selector("#order-submission:has-text('por e-mail')")
    assert page.locator("#order-submission").inner_text().count("Enviado") <= 1
    page.screenshot(path=f"{SHOTS}/covering-order-sent.png", full_page=True)


def test_count_sheet_saves_on_tab_and_refuses_negative(pt_page, make_user, catalogue):
    """Old behaviour: Tab saved nothing (the value was gone after a reload) and a negative
    count was silently ignored (the browser's min=0 stopped the request)."""
    page = pt_page
    make_user(
        roles=["back_office", "staff"],
        name="Juliana Costa",
        email="backoffice@example.com",
        locale="pt_BR",
    )
    db.session.remove()
    _login(page, "backoffice@example.com")
    page.goto("/supplies/counts")
    page.click("form[action$='/supplies/counts'] button[type=submit]")
    page.wait_for_url("**/supplies/counts/*")
    assert "0 de 3 linhas contadas" in page.locator("#count-progress").inner_text()
    inputs = page.locator("input[name=counted]")
    inputs.nth(0).fill("12")
    inputs.nth(0).press("Tab")
    page.wait_for_selector(".success-text")
    page.wait_for_selector("#count-progress:has-text('1 de 3')")
    inputs.nth(1).fill("-3")
    inputs.nth(1).press("Tab")
    page.wait_for_selector(".field-error:has-text('não pode ser negativa')")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/count-sheet.png", full_page=True)
    page.reload()
    assert page.locator("input[name=counted]").nth(0).input_value() == "12"
    assert page.locator("input[name=counted]").nth(1).input_value() == ""
