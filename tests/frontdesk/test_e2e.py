"""Real Chromium: log a call with the keyboard alone, then the recipient returns it."""

from __future__ import annotations

import os

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def test_keyboard_call_then_recipient_marks_returned(page, make_user, tmp_path):
    make_user(roles=["back_office", "staff"], name="Juliana Costa", email="desk@example.com")
    make_user(roles=["staff"], name="Ana Santos", email="ana@example.com")
    browser_login(page, "desk@example.com")
    page.goto("/frontdesk/")
    page.evaluate("window.__noReload = true")
    # The phone field has the focus: the receptionist just types.
    assert page.evaluate("document.activeElement.id") == "phone"
    kb = page.keyboard
    kb.type("(11) 98765-4321")
    kb.press("Tab")
    kb.type("Carlos Souza")
    kb.press("Tab")
    kb.type("Souza Transportes")
    kb.press("Tab")
    kb.type("Ana Santos <ana@example.com>")
    kb.press("Tab")  # outcome: "Message taken" is the default
    kb.press("Tab")
    assert page.evaluate("document.activeElement.id") == "message"
    kb.type("Please call back about invoice 4471")
    kb.press("Enter")
    row = page.locator("#call-rows tr", has_text="Carlos Souza")
    row.wait_for()
    assert page.evaluate("window.__noReload === true")  # no reload happened
    assert "(11) 98765-4321" in row.inner_text()
    # The form is empty again and ready for the next call.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'phone'")
    assert page.input_value("#phone") == "" and page.input_value("#caller_name") == ""
    shots = os.environ.get("FRONTDESK_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "console.png"), full_page=True)

    # The recipient signs in, sees the badge and the message, and marks it returned.
    page.context.clear_cookies()
    browser_login(page, "ana@example.com")
    nav = page.locator("nav.mainnav a", has_text="My messages")
    assert nav.locator(".badge-count").inner_text() == "1"
    nav.click()
    item = page.locator(".message-item", has_text="Carlos Souza")
    assert "invoice 4471" in item.inner_text()
    item.locator("input[name=note]").fill("Called him back")
    item.locator("button", has_text="Mark returned").click()
    returned = page.locator(".message-item", has_text="Called him back")
    returned.wait_for()
    assert "Returned" in returned.inner_text()
    # The count in the navigation follows without a reload.
    page.wait_for_function(
        "!document.querySelector('nav.mainnav a[href=\"/frontdesk/messages\"] .badge-count')"
    )
    if shots:
        page.screenshot(path=os.path.join(shots, "messages.png"), full_page=True)
    page.reload()
    assert (
        page.locator("nav.mainnav a", has_text="My messages").locator(".badge-count").count() == 0
    )
