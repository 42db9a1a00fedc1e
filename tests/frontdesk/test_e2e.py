"""Real Chromium: log a call with the keyboard alone, then the recipient returns it."""

from __future__ import annotations

import os

import pytest

from tests.conftest import browser_login
from tests.documents import tiny_pdf

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


def test_visit_corrected_in_place_with_the_keyboard(page, make_user):
    from portal.extensions import db
    from portal.services import frontdesk

    desk = make_user(roles=["back_office", "staff"], name="Juliana Costa", email="desk@example.com")
    make_user(roles=["staff"], name="Ana Santos", email="ana@example.com")
    visit = frontdesk.register_visit(
        actor=desk,
        visitor_name="Fernanda Lopes",
        company=None,
        host="ana@example.com",
        badge_number="V-07",
    )
    db.session.commit()
    browser_login(page, "desk@example.com")
    page.goto("/frontdesk/visitors")
    page.evaluate("window.__noReload = true")
    page.locator(f"#visit-{visit.id} a", has_text="Correct").focus()
    page.keyboard.press("Enter")
    name = page.locator(f"#visit-{visit.id}-visitor_name")
    name.wait_for()
    page.wait_for_function(
        f"document.activeElement && document.activeElement.id === 'visit-{visit.id}-visitor_name'"
    )
    shots = os.environ.get("FRONTDESK_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "visit-edit.png"), full_page=True)
    page.keyboard.press("End")
    page.keyboard.type(" Dias")
    page.keyboard.press("Enter")
    row = page.locator(f"#visit-{visit.id}", has_text="Fernanda Lopes Dias")
    row.wait_for()
    assert page.locator(f"#visit-{visit.id}-visitor_name").count() == 0  # the form is gone
    assert "Fernanda Lopes Dias" in page.locator("#in-building").inner_text()
    assert page.evaluate("window.__noReload === true")
    if shots:
        page.screenshot(path=os.path.join(shots, "visit-corrected.png"), full_page=True)


def test_fax_corrected_in_place(page, make_user):
    from portal.extensions import db
    from portal.services import frontdesk

    desk = make_user(roles=["back_office", "staff"], name="Juliana Costa", email="desk@example.com")
    make_user(roles=["staff"], name="Ana Santos", email="ana@example.com")
    fax = frontdesk.log_fax(
        actor=desk,
        direction="in",
        number="(11) 3333-4444",
        correspondent="Cartório Central",
        pages=2,
        for_whom="ana@example.com",
        status="received",
        filename="scan.pdf",
        data=tiny_pdf(),
    )
    db.session.commit()
    browser_login(page, "desk@example.com")
    page.goto("/frontdesk/faxes")
    page.evaluate("window.__noReload = true")
    page.locator(f"#fax-{fax.id} a", has_text="Correct").click()
    pages = page.locator(f"#fax-{fax.id}-pages")
    pages.wait_for()
    pages.fill("0")
    pages.press("Enter")
    page.locator(f"#fax-{fax.id}-pages-error").wait_for()  # 422: the message next to the field
    page.wait_for_function(
        f"document.activeElement && document.activeElement.id === 'fax-{fax.id}-pages'"
    )
    shots = os.environ.get("FRONTDESK_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "fax-edit-error.png"), full_page=True)
    page.locator(f"#fax-{fax.id}-pages").fill("3")
    page.locator(f"#fax-{fax.id} button", has_text="Save correction").click()
    page.locator(f"#fax-{fax.id} td.num", has_text="3").wait_for()
    assert page.locator(f"#fax-{fax.id}-pages").count() == 0
    assert page.evaluate("window.__noReload === true")
