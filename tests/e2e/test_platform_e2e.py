"""Sign in as each role in a real Chromium: navigation, dashboard, Portuguese, sign out."""

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.e2e

# What each role must and must not find in the navigation.
EXPECTED = {
    "admin": (["Users", "Audit log"], []),
    "staff": ([], ["Users", "Audit log"]),
    "back_office": ([], ["Users", "Audit log"]),
    "office_manager": ([], ["Users", "Audit log"]),
    "hr_manager": ([], ["Users", "Audit log"]),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_signs_in_sees_its_portal_in_two_languages_and_signs_out(page, make_user, role):
    roles = [role] if role == "staff" else [role, "staff"]
    make_user(roles=roles, email=f"{role}@example.com", name=f"Maria {role}")
    browser_login(page, f"{role}@example.com")
    nav = page.locator("nav.mainnav")
    must, must_not = EXPECTED[role]
    assert nav.get_by_role("link", name="Dashboard").is_visible()
    for label in must:
        assert nav.get_by_role("link", name=label).is_visible(), label
    for label in must_not:
        assert nav.get_by_role("link", name=label).count() == 0, label
    assert page.locator("#dashboard-cards .card").count() >= 1
    assert page.locator("#card-notifications").is_visible()
    if role == "admin":
        page.screenshot(path="test-artifacts/dashboard-admin.png", full_page=True)

    page.select_option("#footer-locale", "pt_BR")
    page.click("footer button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "pt-BR"
    assert nav.get_by_role("link", name="Painel").is_visible()
    assert page.get_by_role("button", name="Sair").is_visible()

    page.get_by_role("button", name="Sair").click()
    page.wait_for_url("**/login**")
    assert page.get_by_role("heading", name="Entrar").is_visible()
    page.goto("/")
    assert "/login" in page.url
