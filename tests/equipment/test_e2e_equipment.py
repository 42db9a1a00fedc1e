"""End to end in Chromium: a paper jam reported from the machine's page, the checklist does not
help, back office calls the vendor, the e-mail reaches the sink, the repair is closed with a cost,
the machine is back in use and its downtime shows."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def test_paper_jam_to_repair(page, live_server, office, staff, make_asset, smtp_sink, run_jobs):
    from portal.services import equipment

    asset = make_asset(
        type="multifunction",
        make="Ricoh",
        model="SP 3710",
        repair_email="assistencia@vendor.example",
        contract_number="TP-2026-7",
    )
    equipment.add_step(
        actor=office,
        asset_type="multifunction",
        model=None,
        title="Paper jam in tray 2: open door B",
        body="Pull the green lever.",
    )
    db.session.commit()
    asset_id, tag = asset.id, asset.asset_tag
    staff_email, office_email = staff.email, office.email
    db.session.remove()

    browser_login(page, staff_email)
    page.goto(f"/equipment/c/{tag}")  # the label's QR code
    assert "Paper jam in tray 2" in page.locator("#checklist").inner_text()
    page.fill("#description", "Paper jam in tray 2; opening door B did not help")
    page.fill("#error_code", "J-202")
    page.click("#fault-form button[type=submit]")
    page.wait_for_url("**/equipment/faults/*")
    fault_url = page.url
    page.click("header form button[type=submit]")  # sign out
    page.wait_for_url("**/login*")

    browser_login(page, office_email)
    page.goto(fault_url)
    page.click("#call-form button[type=submit]")
    page.wait_for_url("**/equipment/repairs/*")
    assert "In repair" in page.content() or "Requested" in page.content()
    run_jobs()
    to_vendor = [m for m in smtp_sink.wait_for(2) if m["To"] == "assistencia@vendor.example"]
    assert len(to_vendor) == 1 and "SP 3710" in to_vendor[0]["Subject"]
    page.fill("#cost", "250,00")
    page.fill("#work_done", "Replaced the pickup roller")
    page.click("#close-form button[type=submit]")
    page.wait_for_url(f"**/equipment/{asset_id}")
    facts = page.locator("#asset-facts").inner_text()
    assert "In use" in facts and "1 period" in facts
    page.mouse.wheel(0, 10_000)  # the history loads when it scrolls into view
    assert "Replaced the pickup roller" in page.locator("#asset-timeline").inner_text()
