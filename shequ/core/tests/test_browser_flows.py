"""Journeys across pages: a head adds a grid and the supervisor finds it in the audit trail; the language
selector switches the whole shell."""

import pytest
from playwright.sync_api import expect

from shequ.accounts.demo import DEMO_PASSWORD
from shequ.audit.models import AuditEvent
from shequ.places.models import Grid

from .conftest import PHONE, login_as, screenshot, wide_elements

pytestmark = pytest.mark.browser

NEW_GRID = "第9网格（浏览器测试）"


def test_head_creates_a_grid_and_the_supervisor_sees_it_audited(demo, live_server, new_page):
    head = new_page()
    login_as(head, live_server, "ahl_head", DEMO_PASSWORD)
    head.locator("#mainnav").get_by_role("link", name="社区与楼栋").click()
    head.get_by_role("link", name="安和里社区").click()
    grids = head.locator("section", has=head.get_by_role("heading", name="网格", exact=True))
    grids.get_by_role("link", name="新建").click()

    expect(head.get_by_role("heading", level=1)).to_have_text("新建网格")
    form = head.locator("form.form-grid")
    form.locator("[name=code]").fill("001-09")
    form.locator("[name=name]").fill(NEW_GRID)
    form.locator("[name=description]").fill("安和路10号至18号")
    screenshot(head, "grid-form-ahl_head-desktop")
    form.get_by_role("button", name="保存").click()

    expect(head.locator(".messages")).to_contain_text(NEW_GRID)
    expect(grids.locator("tbody tr", has_text=NEW_GRID)).to_contain_text("001-09")
    screenshot(head, "community-ahl_head-desktop")
    grid = Grid.objects.get(name=NEW_GRID)
    assert grid.community.name == "安和里社区"
    assert AuditEvent.objects.filter(verb="create", target_id=str(grid.id)).count() == 1

    supervisor = new_page()
    login_as(supervisor, live_server, "ahl_supervisor", DEMO_PASSWORD)
    supervisor.locator("#mainnav").get_by_role("link", name="审计日志").click()
    row = supervisor.locator("#audit-rows tr[data-verb=create]", has_text=NEW_GRID)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("李秀英")  # ahl_head
    expect(row).to_contain_text("新建")

    # The filter swaps the rows in place through htmx.
    with supervisor.expect_request(lambda r: "verb=create" in r.url and r.headers.get("hx-request") == "true"):
        supervisor.locator("select[name=verb]").select_option("create")
    expect(supervisor.locator("#audit-rows tr[data-verb]:not([data-verb=create])")).to_have_count(0)
    expect(row).to_have_count(1)
    screenshot(supervisor, "audit-ahl_supervisor-desktop")

    phone = new_page(PHONE)
    login_as(phone, live_server, "ahl_supervisor", DEMO_PASSWORD)
    phone.goto(f"{live_server.url}/audit/")
    expect(phone.locator("#audit-rows tr[data-verb=create]", has_text=NEW_GRID)).to_have_count(1)
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "audit-ahl_supervisor-phone")


def test_language_selector_switches_the_page_to_english(demo, live_server, new_page):
    page = new_page()
    login_as(page, live_server, "ahl_head", DEMO_PASSWORD)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")

    page.locator(".langswitch select[name=language]").select_option("en")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator(".langswitch select[name=language]")).to_have_value("en")
    expect(page.locator("[data-home]")).to_have_attribute("data-home", "community_head")
    assert _cookie(page, "django_language").get("value") == "en"
    screenshot(page, "home-ahl_head-en-desktop")

    # The choice sticks while moving between pages, and the pages still work.
    page.locator("#mainnav a[href$='/places/']").click()
    expect(page).to_have_url(f"{live_server.url}/places/")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator(".table-wrap tbody tr")).to_have_count(1)
    page.locator(".table-wrap tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("安和里社区")
    expect(html).to_have_attribute("lang", "en")

    page.locator(".langswitch select[name=language]").select_option("zh-hans")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("安和里社区")


def _cookie(page, name):
    return next((c for c in page.context.cookies() if c["name"] == name), {})
