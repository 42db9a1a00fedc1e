"""Real Chromium: a notification created while its reader used English reads in Portuguese after
they switch, and opening it from the bell marks it read."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.services import frontdesk, notifications
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def test_switch_to_portuguese_then_read_from_the_bell(page, make_user):
    ana = make_user(roles=["staff"], name="Ana Santos", email="ana@example.com", locale="en")
    desk = make_user(roles=["back_office", "staff"], name="Bia Lima")
    req = frontdesk.file_request(
        requester=ana, type="general", title="Chairs", description="Two more chairs"
    )
    frontdesk.change_request_status(req, actor=desk, status="in_progress")
    db.session.commit()
    ana_id, req_id = ana.id, req.id

    browser_login(page, "ana@example.com")
    page.goto("/notifications/")
    assert f"Your request #{req_id} is now: In progress" in page.inner_text("#notification-list")
    # She switches to Portuguese with the footer's language switch.
    page.select_option("#footer-locale", "pt_BR")
    page.click("footer button[type=submit]")
    page.wait_for_load_state("networkidle")
    text = page.inner_text("#notification-list")
    assert f"Sua solicitação nº {req_id}" in text and "Em andamento" in text
    assert "In progress" not in text
    # The bell opens a short list of the latest; following one marks it read.
    page.click("#bell")
    item = page.locator("#bell-panel .bell-list a").first
    item.wait_for()
    assert "Em andamento" in item.inner_text()
    item.click()
    page.wait_for_url(f"**/frontdesk/requests/{req_id}")
    db.session.expire_all()
    assert notifications.unread_count(db.session.get(type(ana), ana_id)) == 0
