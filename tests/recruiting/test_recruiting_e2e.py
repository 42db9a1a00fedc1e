"""End to end in Chromium: opening -> three CVs -> ranked with evidence -> interview invite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import browser_login
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK, make_docx, make_pdf
from tests.recruiting.test_interviews import next_monday

SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOT_DIR", "/tmp/portal-screenshots"))


@pytest.mark.e2e
def test_hr_ranks_three_cvs_and_schedules_an_interview(
    page, live_server, make_user, run_jobs, smtp_sink, tmp_path
):
    from playwright.sync_api import expect

    hr = make_user(roles=["hr_manager", "staff"], name="Patrícia Almeida", email="hr@example.com")
    hr_id = hr.id
    browser_login(page, hr.email)

    page.goto("/recruiting/openings/new")
    page.fill("#title", "Analista financeiro")
    page.fill(
        "#must_haves",
        "Conciliação bancária: bank reconciliation\nExcel: planilhas\n"
        "Contas a pagar: accounts payable",
    )
    page.fill("#nice_to_haves", "SAP*3: TOTVS\nSQL")
    page.fill("#min_years", "3")
    page.check(f"input[name=interviewer_ids][value='{hr_id}']")
    page.click("#opening-form button[type=submit]")
    page.wait_for_url("**/recruiting/openings/*")
    opening_url = page.url

    files = []
    for name, data in (
        ("Currículo Mariana.pdf", make_pdf(CV_PT)),
        ("james.docx", make_docx(CV_EN)),
        ("pedro.txt", CV_WEAK.encode()),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        files.append(str(path))
    page.click("text=Upload CVs")
    page.set_input_files("#files", files)
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/recruiting/batches/*")
    assert page.locator("#cv-progress tr.cv-queued").count() == 3

    run_jobs()  # the page keeps polling while the queue drains
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models.recruiting import CVFile

    states = [(c.original_name, c.status, c.error) for c in db.session.scalars(select(CVFile))]
    assert all(s == "scored" for _n, s, _e in states), states
    try:
        expect(page.locator("#cv-progress tr.cv-scored")).to_have_count(3, timeout=20_000)
    except AssertionError:
        print(page.inner_text("#cv-progress"))
        raise

    page.goto(opening_url)
    items = page.locator(".rank-item")
    assert items.count() == 3
    names = [items.nth(i).locator(".rank-name").inner_text() for i in range(3)]
    assert names[-1] == "Pedro Henrique Lima"
    assert set(names[:2]) == {"Mariana Conceição Araújo", "James O'Connor"}
    assert "planilhas avançadas" in page.inner_text("#ranked")
    assert page.locator(".ev-missing").count() >= 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "recruiting-ranked.png"), full_page=True)

    # Blind review hides the names in place (htmx swap).
    page.check("input[name=blind]")
    expect(page.locator("#ranked")).not_to_contain_text("Pedro")
    expect(page.locator("#ranked")).to_contain_text("Candidate #")

    page.goto(opening_url)
    page.click("text=Mariana Conceição Araújo")
    page.click("text=Schedule an interview")
    start = next_monday()
    page.fill("#start", start.strftime("%Y-%m-%dT%H:%M"))
    page.check(f"input[name=interviewers][value='{hr_id}']")
    page.click("#interview-form button[type=submit]")
    page.wait_for_url("**/recruiting/applications/*")
    assert "Interview scheduled" in page.inner_text("#flash")
    page.screenshot(path=str(SCREENSHOTS / "recruiting-application.png"), full_page=True)

    run_jobs()
    messages = smtp_sink.wait_for(2)
    recipients = sorted(m["To"] for m in messages)
    assert recipients == ["hr@example.com", "mariana.araujo@example.com.br"]
    for message in messages:
        (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        cal = Calendar.from_ical(part.get_payload(decode=True))
        assert str(cal["METHOD"]) == "REQUEST"
        (event,) = cal.walk("VEVENT")
        assert event.decoded("DTSTART") == start
        assert str(event["ORGANIZER"]) == "mailto:hr@example.com"
