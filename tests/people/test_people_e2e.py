"""In a real Chromium: HR hires a candidate, opens the account, the new hire sets a password and
sees their onboarding; HR records a warning and the employee acknowledges it; HR records the
exit of someone holding a laptop, naming a colleague, the checklist lists the laptop, and after
the last day they cannot sign in and their open message is the colleague's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import OutboundMessage
from portal.models.frontdesk import Call
from portal.models.people import ChecklistTask, Employee
from portal.services import people
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e

PASSWORD = "Quarto-Azul-Mesa-77x"


def test_hire_onboard_warn_acknowledge_terminate(app, page, _browser, live_server, make_user):
    from portal.models.recruiting import Application, Candidate, Opening

    make_user(roles=["hr_manager", "staff"], name="Patrícia Almeida", email="hr@example.com")
    opening = Opening(title="Assistente administrativa", requirements=[], status="open")
    candidate = Candidate(name="Júlia Nogueira", email="julia@example.org")
    db.session.add_all([opening, candidate])
    db.session.flush()
    application = Application(opening_id=opening.id, candidate_id=candidate.id, stage="offer")
    db.session.add(application)
    db.session.commit()
    colleague = make_user(roles=["staff"], name="Caio Colega", email="caio@example.com")

    # HR hires the candidate on the application page: the employee record is created
    browser_login(page, "hr@example.com")
    page.goto(f"/recruiting/applications/{application.id}")
    page.fill("#start_date", date.today().isoformat())
    page.get_by_role("button", name="Hire and create the employee record").click()
    page.wait_for_load_state()
    db.session.expire_all()
    employee = db.session.scalar(select(Employee).where(Employee.application_id == application.id))
    assert employee is not None and employee.name == "Júlia Nogueira"
    employee_id = employee.id

    # HR: start the onboarding and open the account (the invitation goes to the outbox)
    page.goto(f"/people/employees/{employee_id}")
    page.get_by_role("button", name="Start the onboarding checklist").click()
    page.wait_for_url(f"**/people/employees/{employee_id}")
    page.fill("#email", "julia@empresa.example.com")
    page.get_by_role("button", name="Create the account and send the invitation").click()
    page.wait_for_url(f"**/people/employees/{employee_id}")
    assert page.locator("#account").get_by_text("Active").is_visible()
    db.session.expire_all()
    message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "invitation"))
    link = next(w for w in message.text_body.split() if "/people/welcome/" in w)

    # the new hire chooses a password, signs in and sees the onboarding
    newcomer = _browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    newcomer.goto(link)
    newcomer.fill("#password", PASSWORD)
    newcomer.get_by_role("button", name="Set my password").click()
    newcomer.wait_for_url("**/login**")
    newcomer.fill("#email", "julia@empresa.example.com")
    newcomer.fill("#password", PASSWORD)
    newcomer.click("#login-form button[type=submit]")
    newcomer.wait_for_url("**/people/me")
    assert newcomer.locator("#my-onboarding").get_by_text("Company policies read").is_visible()

    # HR records a written warning; the employee reads it and acknowledges it
    page.goto(f"/people/employees/{employee_id}/warnings/new")
    page.select_option("#level", "written")
    page.fill("#occurred_on", (date.today() - timedelta(days=1)).isoformat())
    page.fill("#facts", "Left the front door unlocked overnight.")
    page.get_by_role("button", name="Record and notify the employee").click()
    page.wait_for_url("**/people/warnings/*")
    newcomer.goto("/people/me")
    newcomer.get_by_role("link", name="Written warning").click()
    newcomer.check("input[value=agree]")
    newcomer.get_by_role("button", name="Send my answer").click()
    newcomer.wait_for_load_state()
    assert newcomer.get_by_text("Acknowledged").first.is_visible()

    # HR records the exit of someone who holds a laptop
    equipment = pytest.importorskip("portal.models.equipment")
    db.session.expire_all()
    user_id = people.get_employee_or_404(employee_id).user_id
    db.session.add(
        equipment.Asset(
            asset_tag="NB-0042",
            type="laptop",
            make="Dell",
            model="Latitude 5440",
            model_key="dell latitude 5440",
            holder_id=user_id,
        )
    )
    db.session.commit()
    # ... and a phone message taken for her that nobody returned yet
    message_call = Call(
        caller_name="Carlos Souza",
        for_user_id=user_id,
        recipient_id=user_id,
        message="Ligar sobre a nota fiscal",
        outcome="message",
        status="open",
    )
    db.session.add(message_call)
    db.session.commit()
    page.goto(f"/people/employees/{employee_id}/termination")
    assert page.get_by_text("NB-0042").is_visible()
    last_day = date.today() + timedelta(days=5)
    page.fill("#notice_on", date.today().isoformat())
    page.fill("#last_day", last_day.isoformat())
    page.select_option("#handover_to", str(colleague.id))
    page.get_by_role("button", name="Record the exit").click()
    page.wait_for_url(f"**/people/employees/{employee_id}")
    assert page.locator("#exit").get_by_text("NB-0042").first.is_visible()
    assert db.session.scalar(
        select(ChecklistTask.id).where(ChecklistTask.title.contains("NB-0042"))
    )

    # the periodic job after the last day: the account is closed
    after = datetime(last_day.year, last_day.month, last_day.day, 12, tzinfo=UTC) + timedelta(
        days=1
    )
    assert people.close_due_accounts(after) == [employee_id]
    db.session.commit()
    # her open message went to the colleague named, counted on the exit page
    db.session.expire_all()
    assert db.session.get(Call, message_call.id).recipient_id == colleague.id
    page.goto(f"/people/employees/{employee_id}/termination")
    assert page.locator("#handover-frontdesk td.num").inner_text() == "1"
    newcomer.goto("/people/me")
    assert "/login" in newcomer.url
    newcomer.fill("#email", "julia@empresa.example.com")
    newcomer.fill("#password", PASSWORD)
    newcomer.click("#login-form button[type=submit]")
    newcomer.wait_for_load_state()
    assert "/login" in newcomer.url
