"""The registry as a worker uses it: a worker registers a household with three members, finds one by pinyin
initials, reveals an ID number with a reason, and the audit shows it. Screenshots of the list, the household
card and the resident card at 1366×768 and 390×844."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from conftest import TEST_PASSWORD
from shequ.accounts.models import Membership, Role
from shequ.audit.models import AuditEvent
from shequ.core.identity import make_id_number
from shequ.core.tests.conftest import PHONE, browser, login_as, new_page, screenshot, wide_elements  # noqa: F401
from shequ.places.models import Building, Entrance, Estate
from shequ.registry import services
from shequ.registry.models import Household

pytestmark = pytest.mark.browser

HEAD_ID = make_id_number("110105", date(1990, 5, 1), 11, True)
SPOUSE_ID = make_id_number("110105", date(1991, 8, 20), 12, False)
CHILD_ID = make_id_number("110105", date(2016, 3, 9), 13, True)


@pytest.fixture
def office(world):
    """Community A with a second estate, so the estate → building → entrance choices have to narrow."""
    estate = Estate.objects.create(community=world.a, name="和平里小区")
    building = Building.objects.create(community=world.a, estate=estate, number="5", grid=world.a.grid,
                                       resident_group=world.a.group)
    Entrance.objects.create(community=world.a, building=building, number="2")
    Building.objects.create(community=world.a, estate=estate, number="6", grid=world.a.grid)
    return world.user(Role.COMMUNITY_WORKER), world.user(Role.COMMUNITY_HEAD)


def fill_member(page, index, name, id_number, relation, hint):
    row = page.locator("[data-member]").nth(index)
    row.locator(f"[name=members-{index}-name]").fill(name)
    row.locator(f"[name=members-{index}-id_number]").fill(id_number)
    expect(row.locator(".id-hint")).to_contain_text(hint)
    row.locator(f"[name=members-{index}-relation]").select_option(relation)
    return row


def test_register_find_by_initials_reveal_and_audit(office, live_server, new_page):  # noqa: F811
    worker, head = office
    page = new_page()
    login_as(page, live_server, worker.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/registry/")
    page.get_by_role("link", name="登记新户").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记新户")
    page.wait_for_load_state()  # htmx is loaded with `defer`

    # Estate → building → entrance narrow as they are chosen.
    page.locator("[name=estate]").select_option(label="和平里小区")
    expect(page.locator("[name=building] option")).to_have_text(["请选择楼栋", "5号楼", "6号楼"])
    page.locator("[name=building]").select_option(label="5号楼")
    expect(page.locator("[name=entrance] option")).to_have_text(["—", "2单元"])
    page.locator("[name=entrance]").select_option(label="2单元")
    page.locator("[name=room]").fill("301")
    page.locator("[name=phone]").fill("010-65001111")

    fill_member(page, 0, "张建国", HEAD_ID, "head", "1990年5月1日 男")
    page.get_by_role("button", name="添加成员").click()
    fill_member(page, 1, "李秀英", SPOUSE_ID, "spouse", "1991年8月20日 女")
    page.get_by_role("button", name="添加成员").click()
    child = fill_member(page, 2, "张小明", CHILD_ID[:-1] + ("1" if CHILD_ID[-1] != "1" else "2"), "child",
                        "校验码错误")
    child.locator("[name=members-2-employment]").select_option(label="在校学生")
    expect(page.locator("[data-member-number]")).to_have_text(["1", "2", "3"])
    screenshot(page, "registry-register-desktop")

    # Submitted with the bad number anyway: the page comes back with the error on that member, nothing saved.
    page.get_by_role("button", name="登记", exact=True).click()
    child = page.locator("[data-member]").nth(2)
    expect(child.locator(".field.has-error .error")).to_contain_text("校验码错误")
    expect(page.locator("[name=entrance]")).to_have_value(str(Entrance.objects.get(number="2").id))
    assert not Household.objects.exists()
    screenshot(page, "registry-register-error-desktop")
    page.wait_for_load_state()
    child.locator("[name=members-2-id_number]").fill(CHILD_ID)
    expect(child.locator(".id-hint")).to_contain_text("2016年3月9日 男")
    page.get_by_role("button", name="登记", exact=True).click()

    # The household card: three members, the registration in its history.
    expect(page.locator(".messages")).to_contain_text("已登记新户")
    expect(page.get_by_role("heading", level=1)).to_have_text("和平里小区5号楼2单元301室")
    expect(page.locator(".members-table tbody tr")).to_have_count(3)
    household = Household.objects.get(room="301")
    assert household.member_count == 3 and household.entrance.number == "2"
    screenshot(page, "registry-household-desktop")

    # Found by pinyin initials, as typed into the one search box.
    page.goto(f"{live_server.url}/registry/")
    page.locator("input[name=q]").fill("lxy")
    expect(page.locator("[data-count]")).to_have_text("共 1 人")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    screenshot(page, "registry-list-desktop")
    page.locator("#results").get_by_role("link", name="李秀英").click()

    # Reveal the ID number with a reason.
    expect(page.get_by_role("heading", level=1)).to_contain_text("李秀英")
    page.wait_for_load_state()
    reveal = page.locator("#reveal-id_number")
    reveal.locator("input[name=reason]").fill("办理居住证核对身份")
    reveal.get_by_role("button", name="查看完整").click()
    expect(page.locator("[data-revealed]")).to_have_text(SPOUSE_ID)
    event = AuditEvent.objects.get(verb="reveal")
    assert event.actor == worker and event.details == {"field": "id_number", "reason": "办理居住证核对身份"}

    # The resident card's history shows the reveal; the full number is gone again after a reload.
    page.reload()
    page.wait_for_load_state()
    history = page.locator("#history tr[data-verb=reveal]")
    expect(history).to_contain_text("查看完整身份证号，原因：办理居住证核对身份")
    expect(page.locator("body")).not_to_contain_text(SPOUSE_ID)
    screenshot(page, "registry-resident-desktop")

    # A care tag: the kind's own fields arrive as it is chosen.
    page.locator("#tag > summary").click()
    page.locator("[name=tag-kind]").select_option(label="低保")
    page.get_by_label("低保证号").fill("DB-2024-001")
    page.locator("[name=tag-started_on]").fill("2024-01-01")
    screenshot(page, "registry-resident-tag-desktop", full_page=False)
    page.get_by_role("button", name="添加标签").click()
    expect(page.locator("#tags .chip")).to_contain_text("低保 · 低保证号：DB-2024-001")
    page.locator("#correct > summary").click()
    expect(page.locator("[name=correct-id_number]")).to_have_value("")
    screenshot(page, "registry-resident-correct-desktop", full_page=False)
    page.locator("a", has_text="和平里小区5号楼2单元301室").first.click()
    page.locator("#add > summary").click()
    screenshot(page, "registry-household-add-desktop", full_page=False)

    # The community head reads it in the audit trail.
    audit = new_page()
    login_as(audit, live_server, head.username, TEST_PASSWORD)
    audit.goto(f"{live_server.url}/audit/")
    row = audit.locator("#audit-rows tr[data-verb=reveal]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("李秀英")
    expect(row).to_contain_text(worker.username)
    screenshot(audit, "registry-audit-head-desktop")

    # The same pages on a phone: nothing wider than the screen, filters folded behind 筛选.
    phone = new_page(PHONE)
    login_as(phone, live_server, worker.username, TEST_PASSWORD)
    phone.goto(f"{live_server.url}/registry/")
    expect(phone.locator("#more-filters")).to_be_hidden()
    expect(phone.locator("#results tbody tr")).to_have_count(3)
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "registry-list-phone")
    phone.get_by_role("button", name="筛选").click()
    expect(phone.locator("#more-filters")).to_be_visible()
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "registry-list-filters-phone", full_page=False)
    phone.goto(f"{live_server.url}/registry/households/{household.id}/")
    phone.locator("#split > summary").click()
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "registry-household-phone")
    resident = household.members.get(name="李秀英")
    phone.goto(f"{live_server.url}/registry/residents/{resident.id}/")
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "registry-resident-phone")
    phone.locator("#correct > summary").click()
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "registry-correct-phone")
    phone.goto(f"{live_server.url}/registry/households/new/")
    phone.get_by_role("button", name="添加成员").click()
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "registry-register-phone")


def test_sensitive_tag_reveal_and_a_duplicate_id_number_on_its_row(world, live_server, new_page):  # noqa: F811
    head = world.user(Role.COMMUNITY_HEAD)
    Membership.objects.filter(user=head).update(sensitive_access=True)
    household = services.household_register(
        actor=head, estate=world.a.estate, building=world.a.building, entrance=world.a.entrance, room="808",
        members=[{"name": "周建华", "id_number": HEAD_ID}])
    resident = household.members.get()
    services.resident_tag_add(actor=head, resident=resident, kind="health",
                              details={"condition": "高血压", "doctor": "李医生"})
    for viewport, suffix in (("desktop", "desktop"), (PHONE, "phone")):
        page = new_page(viewport)
        login_as(page, live_server, head.username, TEST_PASSWORD)
        page.goto(f"{live_server.url}/registry/residents/{resident.id}/")
        page.wait_for_load_state()
        row = page.locator("#tags [data-tag=health]")
        expect(row).to_contain_text("敏感信息，已加密")
        expect(page.locator("body")).not_to_contain_text("高血压")
        row.locator("input[name=reason]").fill("入户走访前了解病情")
        row.get_by_role("button", name="查看详情").click()
        expect(row.locator("[data-revealed]")).to_have_text("健康状况：高血压 · 签约医生：李医生")
        assert wide_elements(page, page.viewport_size["width"]) == []
        screenshot(page, f"registry-tag-reveal-{suffix}")
    assert AuditEvent.objects.filter(verb="tag_reveal", actor=head).count() == 2

    # Registering someone whose ID number is already in the registry: the error is on that member's row.
    page.goto(f"{live_server.url}/registry/households/new/")
    page.wait_for_load_state()
    page.locator("[name=building]").select_option(label="1号楼")
    page.locator("[name=room]").fill("809")
    fill_member(page, 0, "周小华", SPOUSE_ID, "head", "1991年8月20日 女")
    page.get_by_role("button", name="添加成员").click()
    fill_member(page, 1, "周建华", HEAD_ID, "spouse", "1990年5月1日 男")
    page.get_by_role("button", name="登记", exact=True).click()
    member = page.locator("[data-member]").nth(1)
    expect(member.locator(".field.has-error .error")).to_have_text(
        f"成员2：该身份证号已登记在册（本社区 {resident.name}，{resident.household.address}）")
    assert Household.objects.count() == 1 and wide_elements(page, PHONE["width"]) == []
    screenshot(page, "registry-register-duplicate-phone")


def test_on_a_phone_a_worker_follows_a_reminder_finds_a_headless_household_changes_its_head_and_moves_a_child_back(
        world, live_server, new_page):  # noqa: F811
    worker = world.user(Role.COMMUNITY_WORKER)
    soon = date.today() + timedelta(days=12)
    household = services.household_register(
        actor=worker, estate=world.a.estate, building=world.a.building, entrance=world.a.entrance, room="505",
        members=[{"name": "孙大伟", "id_number": HEAD_ID},
                 {"name": "林小红", "id_number": SPOUSE_ID, "relation": "spouse", "residence_status": "floating",
                  "floating_registered_on": soon - timedelta(days=1095), "floating_expires_on": soon},
                 {"name": "孙小明", "id_number": CHILD_ID, "relation": "child"}])
    head, spouse, child = (household.members.get(name=name) for name in ("孙大伟", "林小红", "孙小明"))
    services.resident_record_death(actor=worker, resident=head, died_on=date.today())
    services.resident_move_out(actor=worker, resident=child, on=date.today())

    page = new_page(PHONE)
    login_as(page, live_server, worker.username, TEST_PASSWORD)
    # The home page's reminder leads to the list of registrations due soon.
    reminder = page.locator("[data-reminder=registration_soon]")
    expect(reminder.locator(".num")).to_have_text("1")
    assert wide_elements(page, PHONE["width"]) == []
    screenshot(page, "home-reminders-phone")
    reminder.click()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.locator("#results").get_by_role("link", name="林小红").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("林小红")

    # 户列表 finds the households left without a head; this one has none since the death: the warning, then
    # 变更户主 with the former head's relation.
    page.goto(f"{live_server.url}/registry/households/")
    page.get_by_role("button", name="筛选").click()
    page.get_by_label("仅无在册户主的户").check()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results [data-count]")).to_contain_text("共 1 户 · ⬇ 导出花名册")
    assert wide_elements(page, PHONE["width"]) == []
    screenshot(page, "registry-households-without-head-phone")
    page.locator("#results").get_by_role("link", name=household.address).click()
    expect(page.locator("[data-headless]")).to_be_visible()
    page.locator("#head > summary").click()
    page.locator("[name=head-head]").select_option(label="林小红")
    page.get_by_role("button", name="变更户主", exact=True).last.click()
    expect(page.locator(".messages")).to_contain_text("户主已变更为 林小红")
    expect(page.locator("[data-headless]")).to_have_count(0)
    expect(page.locator("#history")).to_contain_text("户主：空 → 林小红")
    assert wide_elements(page, PHONE["width"]) == []
    screenshot(page, "registry-change-head-phone")

    # The son who moved out comes back on his own record.
    page.goto(f"{live_server.url}/registry/residents/{child.id}/")
    page.locator("#move_back > summary").click()
    page.get_by_role("button", name="确认迁回").click()
    expect(page.locator(".messages")).to_contain_text(f"孙小明 已迁回户 {household.number}")
    expect(page.locator(".badge")).to_have_text("在册")
    assert Household.objects.get(id=household.id).member_count == 2
    assert wide_elements(page, PHONE["width"]) == []
    screenshot(page, "registry-move-back-phone")
