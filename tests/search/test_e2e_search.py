"""Real Chromium, pt-BR, a phone-sized screen: "/" then an accent-less name finds the call."""

from __future__ import annotations

import os

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("SEARCH_SCREENSHOTS", "/tmp")


@pytest.fixture
def phone_page(_browser, live_server):
    context = _browser.new_context(
        base_url=live_server.url,
        locale="pt-BR",
        extra_http_headers={"Accept-Language": "pt-BR,pt;q=0.9"},
        viewport={"width": 390, "height": 844},
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_slash_types_without_accents_and_opens_a_hit(phone_page, make_user):
    from portal.extensions import db
    from portal.models.frontdesk import Call, Visit
    from portal.models.supplies import SupplyCategory, SupplyItem

    make_user(roles=["back_office", "staff"], name="Juliana Costa", email="desk@example.com")
    call = Call(
        caller_name="João Araújo",
        company="Açúcar União",
        phone="+5511987654321",
        outcome="handled",
        status="closed",
    )
    category = SupplyCategory(name="Copa")
    db.session.add_all([call, category, Visit(visitor_name="João Araújo Filho")])
    db.session.flush()
    db.session.add(SupplyItem(sku="ACU-1", name="Açúcar refinado 1kg", category_id=category.id))
    db.session.commit()

    page = phone_page
    browser_login(page, "desk@example.com")
    page.goto("/frontdesk/")
    page.locator("h1").first.click()  # nothing typed into: "/" is the shortcut, not a character
    page.keyboard.press("/")
    page.wait_for_function("document.activeElement.id === 'header-search-q'")
    page.keyboard.type("joao araujo")
    dropdown = page.locator("#header-search-results .search-dropdown")
    dropdown.locator(".search-dropdown-kind", has_text="Ligações e contatos").wait_for()
    kinds = dropdown.locator(".search-dropdown-kind").all_inner_texts()
    assert any("visitantes" in k.lower() for k in kinds), kinds  # grouped by kind, in Portuguese
    hit = dropdown.locator("a", has_text="João Araújo").first
    # Readable on a phone: inside the screen, dark text on a light background.
    box = dropdown.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    colours = hit.evaluate(
        "a => [getComputedStyle(a).color,"
        " getComputedStyle(a.closest('.search-dropdown')).backgroundColor]"
    )
    assert colours == ["rgb(29, 78, 216)", "rgb(255, 255, 255)"], colours
    page.screenshot(path=os.path.join(SHOTS, "k_search_dropdown.png"))
    hit.click()
    page.wait_for_url(f"**/frontdesk/calls/{call.id}**")
    assert "João Araújo" in page.locator("main").inner_text()

    # The full results page (no JavaScript needed), on the same phone.
    page.goto("/search/?q=acucar")
    main = page.locator("main")
    assert "Açúcar refinado 1kg" in main.inner_text()
    assert "Itens de suprimento" in main.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the screen
    page.screenshot(path=os.path.join(SHOTS, "k_search_page.png"), full_page=True)
