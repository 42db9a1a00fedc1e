"""End to end in Chromium, against the tests' dovecot: a customer's e-mail arrives, back office
passes it on to a colleague as a message, answers it from the portal (threaded, checked at the
SMTP sink), then finds the same customer's earlier call with the header search."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.frontdesk import Call
from portal.models.inbox import InboxMessage
from portal.services import frontdesk, inbox
from tests.conftest import browser_login

SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOT_DIR", "/tmp/portal-screenshots"))


@pytest.mark.e2e
def test_email_passed_on_answered_and_the_callers_history_found(
    page, live_server, mailbox, deliver, make_user, run_jobs, smtp_sink
):
    from playwright.sync_api import expect

    desk = make_user(roles=["back_office"], name="Beatriz Balcão", email="beatriz@empresa.com.br")
    joao = make_user(name="João Silva", email="joao@empresa.com.br")
    desk_email, joao_id = desk.email, joao.id
    earlier = frontdesk.log_call(
        frontdesk.CallInput(
            caller_name="Ana Souza",
            company="Cliente Ltda.",
            phone="(11) 98765-4321",
            for_whom=joao.email,
            message="Pediu um orçamento de toner; ligará de novo.",
        ),
        actor=desk,
    )
    db.session.commit()
    earlier_id = earlier.id

    # The e-mail arrives in the shared mailbox; the worker's fetch job takes it in.
    original = deliver(
        "Orçamento de toner",
        "Bom dia! Ainda aguardo o orçamento do toner.\n\n> Em 1 de dez., Contato escreveu:\n",
    )
    inbox.fetch_soon(inbox.get_mailbox_or_404(mailbox.id))
    db.session.commit()
    run_jobs()

    browser_login(page, desk_email)
    page.goto("/inbox/")
    page.click("text=Orçamento de toner")
    page.wait_for_url("**/inbox/*")
    expect(page.locator("body")).to_contain_text("Ainda aguardo o orçamento do toner.")
    expect(page.locator("body")).not_to_contain_text("Contato escreveu")  # quoted history hidden

    # 1. Passed on to João as a "while you were out" message.
    page.click("text=Pass on as a message for a colleague")
    page.fill("#recipient", "João Silva")
    page.click("#inbox-actions button:has-text('Pass on')")
    expect(page.locator("body")).to_contain_text("The message was passed on.")
    db.session.expire_all()
    message = db.session.scalar(select(InboxMessage))
    call = db.session.get(Call, message.call_id)
    assert call.recipient_id == joao_id and "Ainda aguardo" in call.message

    # 2. Answered from the portal: through the outbox, in the customer's thread.
    page.click("text=Reply")
    page.fill("#body", "Bom dia, Ana! O orçamento segue hoje à tarde.")
    page.click("#inbox-actions button:has-text('Send reply')")
    expect(page.locator("body")).to_contain_text("Your reply is on its way.")
    run_jobs()
    # (João's notifications of the two messages for him go out through the same sink.)
    to_ana = [m for m in smtp_sink.messages if m["X-Sink-Rcpts"] == "ana@cliente.com.br"]
    (sent,) = to_ana
    assert sent["In-Reply-To"] == original
    assert original in sent["References"].split()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox-message.png"), full_page=True)

    # 3. The same customer's earlier call, from the header search ("/" focuses it).
    page.locator("body").press("/")
    expect(page.locator("#header-search-q")).to_be_focused()
    page.keyboard.type("ana souza")
    expect(page.locator("#header-search-results")).to_contain_text("Ana Souza")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/**")
    expect(page.locator(f"#search-results a[href='/frontdesk/calls/{earlier_id}']")).to_have_count(
        1
    )
    page.click(f"#search-results a[href='/frontdesk/calls/{earlier_id}']")
    expect(page.locator("body")).to_contain_text("Pediu um orçamento de toner")
