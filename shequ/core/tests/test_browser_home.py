"""Each demo account signs in through the real login form and lands on its role's home page, which fits
an office screen (1366×768) and a phone (390×844) without sideways scrolling."""

import pytest
from playwright.sync_api import expect

from shequ.accounts.demo import DEMO_PASSWORD
from shequ.accounts.models import Role

from .conftest import DESKTOP, PHONE, login_as, screenshot, wide_elements

pytestmark = pytest.mark.browser

DEMO_ACCOUNTS = {
    "jd_admin": Role.STREET_ADMIN,
    "ahl_head": Role.COMMUNITY_HEAD,
    "ahl_worker": Role.COMMUNITY_WORKER,
    "ahl_grid": Role.GRID_WORKER,
    "ahl_supervisor": Role.SUPERVISOR,
    "ahl_resident": Role.RESIDENT,
    "ahl_volunteer": Role.VOLUNTEER,
}
VIEWPORT_WIDTHS = {"desktop": DESKTOP["width"], "phone": PHONE["width"]}


@pytest.mark.parametrize(("username", "role"), DEMO_ACCOUNTS.items())
def test_home_page_on_an_office_screen(demo, live_server, new_page, username, role):
    page = new_page(DESKTOP)
    login_as(page, live_server, username, DEMO_PASSWORD)

    expect(page.locator("[data-home]")).to_have_attribute("data-home", role.value)
    expect(page.locator("#mainnav")).to_be_visible()
    expect(page.locator("[data-toggle-nav]")).to_be_hidden()
    screenshot(page, f"home-{username}-desktop")
    assert wide_elements(page, DESKTOP["width"]) == []


@pytest.mark.parametrize(("username", "role"), DEMO_ACCOUNTS.items())
def test_home_page_on_a_phone(demo, live_server, new_page, username, role):
    page = new_page(PHONE)
    login_as(page, live_server, username, DEMO_PASSWORD)

    expect(page.locator("[data-home]")).to_have_attribute("data-home", role.value)
    nav, toggle = page.locator("#mainnav"), page.locator("[data-toggle-nav]")
    expect(nav).to_be_hidden()
    expect(toggle).to_be_visible()
    expect(toggle).to_contain_text("☰")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert wide_elements(page, PHONE["width"]) == []
    screenshot(page, f"home-{username}-phone")

    toggle.click()
    expect(nav).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="工作台")).to_be_visible()
    assert wide_elements(page, PHONE["width"]) == []
    screenshot(page, f"home-{username}-phone-menu", full_page=False)

    toggle.click()
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_the_phone_menu_leads_to_a_module(demo, live_server, new_page):
    page = new_page(PHONE)
    login_as(page, live_server, "ahl_head", DEMO_PASSWORD)
    page.locator("[data-toggle-nav]").click()
    page.locator("#mainnav").get_by_role("link", name="社区与楼栋").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("社区与楼栋")
    expect(page.locator("#mainnav")).to_be_hidden()
    assert wide_elements(page, PHONE["width"]) == []
    screenshot(page, "places-ahl_head-phone")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_login_page_refuses_a_wrong_password(demo, live_server, new_page, viewport):
    page = new_page(viewport)
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, f"login-{viewport}")
    page.locator("input[name=username]").fill("ahl_head")
    page.locator("input[name=password]").fill("not-the-password")
    page.locator(".login-box button[type=submit]").click()

    expect(page.locator(".login-box [role=alert]")).to_contain_text("用户名或密码不正确")
    assert wide_elements(page, VIEWPORT_WIDTHS[viewport]) == []

