"""End to end: suggestions → draft → submit → approve from the queue → supplier e-mail."""

from __future__ import annotations

import os

import pytest

from portal.extensions import db
from tests.conftest import browser_login
from tests.supplies.conftest import stock

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "/tmp/supplies-shots")


def test_suggestion_to_supplier_email(
    page, live_server, manager, back_office, catalogue, smtp_sink, run_jobs
):
    stock(catalogue["coffee"], 6, back_office)  # only the Kalunga items run low
    stock(catalogue["a4"], 3, back_office)
    db.session.remove()

    browser_login(page, "backoffice@example.com")
    page.goto("/supplies/suggestions")
    assert "on hand 3, on order 0, reorder point 5, par 20 → 17 → 2 packs of 10" in (
        page.locator("#suggestion-rows").inner_text()
    )
    page.click("#suggestions-form button[type=submit]")
    page.wait_for_url("**/supplies/orders/*")
    number = page.locator("h1").inner_text().split()[0]
    assert number.startswith("PO-")
    page.click("#submit-order")
    page.wait_for_load_state()
    assert "Pending approval" in page.locator("h1").inner_text()
    page.click("header form button[type=submit]")  # sign out
    page.wait_for_url("**/login*")

    browser_login(page, "manager@example.com")
    page.goto("/supplies/approvals")
    row = page.locator(".queue-row", has_text=number)
    row.locator("summary").click()  # the lines load on expand
    row.locator(".queue-lines table").wait_for()
    assert "A4 paper ream" in row.inner_text()
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/approval-queue.png", full_page=True)
    row.get_by_role("button", name="Approve").click()
    page.wait_for_selector(f".queue-row.decided:has-text('{number}')")

    run_jobs()
    messages = smtp_sink.wait_for(1)
    to_supplier = [m for m in messages if "pedidos@kalunga.test" in m["X-Sink-Rcpts"]]
    deadline_tries = 0
    while not to_supplier and deadline_tries < 20:
        run_jobs()
        deadline_tries += 1
        to_supplier = [
            m
            for m in smtp_sink.wait_for(len(messages) + 1, timeout=0.5)
            if "pedidos@kalunga.test" in m["X-Sink-Rcpts"]
        ]
    assert len(to_supplier) == 1
    files = {
        p.get_filename(): p.get_content_type() for p in to_supplier[0].walk() if p.get_filename()
    }
    assert files == {f"{number}.pdf": "application/pdf", f"{number}.csv": "text/csv"}
    pdf = next(p for p in to_supplier[0].walk() if p.get_filename() == f"{number}.pdf")
    assert pdf.get_payload(decode=True).startswith(b"%PDF")

    page.goto(page.url.replace("/supplies/approvals", "") + "/supplies/orders")
    page.click(f"text={number}")
    page.wait_for_selector("#order-submission:has-text('by e-mail to')", timeout=10_000)
    page.screenshot(path=f"{SHOTS}/order.png", full_page=True)
    page.goto("/")
    page.screenshot(path=f"{SHOTS}/dashboard.png", full_page=True)
