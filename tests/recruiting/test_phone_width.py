"""At phone width (390 px, Portuguese) the header is one compact bar with the navigation behind a
"Menu" button, and the ranked list, an application and the visitor register fit the screen (a
wide table scrolls inside its own box instead of widening the page)."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login
from tests.recruiting.cvs import CV_EN, CV_PT, CV_WEAK

WIDTH = 390


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": WIDTH, "height": 844})
    return page


def _fits(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.e2e
def test_the_header_folds_and_hr_pages_fit_a_phone(
    phone, live_server, hr, opening, add_application
):
    for text, name in ((CV_PT, "Mariana Conceição Araújo"), (CV_EN, "James O'Connor")):
        add_application(text, name=name)
    application = add_application(CV_WEAK, name="Pedro Henrique Lima")
    browser_login(phone, hr.email)
    phone.select_option("#footer-locale", "pt_BR")
    phone.click("footer button[type=submit]")

    header = phone.locator("header.topbar")
    assert header.bounding_box()["height"] < 844 / 6  # was a third of the screen
    assert not phone.is_visible(".mainnav a")  # folded
    phone.click(".navmenu > summary")
    assert phone.is_visible(".mainnav a[href='/recruiting/']")
    phone.click(".navmenu > summary")

    for url in (
        f"/recruiting/openings/{opening.id}",
        f"/recruiting/applications/{application.id}",
        f"/recruiting/applications/{application.id}?blind=1",
        "/people/employees",
    ):
        phone.goto(url)
        assert _fits(phone) <= WIDTH, url
        assert phone.locator("header.topbar").bounding_box()["height"] < 844 / 6, url


@pytest.mark.e2e
def test_the_visitor_register_fits_a_phone(phone, live_server, make_user, app):
    """A table with a visually-hidden header cell widened the whole page (669 px at 390)."""
    from datetime import timedelta

    from portal.extensions import db
    from portal.models.base import utcnow
    from portal.models.frontdesk import Visit

    desk = make_user(roles=["back_office", "staff"], email="desk@example.com")
    host = make_user(roles=["staff"], name="Bruno Carvalho")
    for n in range(3):
        db.session.add(
            Visit(
                visitor_name=f"Visitante Número {n} com Nome Comprido",
                company="Escritório Nogueira Advogados Associados",
                host_id=host.id,
                badge_number=f"V-{n:02d}",
                arrived_at=utcnow() - timedelta(hours=n + 1),
                logged_by_id=desk.id,
            )
        )
    db.session.commit()
    browser_login(phone, desk.email)
    phone.goto("/frontdesk/visitors")
    assert phone.locator("#visit-list table").count() == 1
    assert _fits(phone) <= WIDTH
