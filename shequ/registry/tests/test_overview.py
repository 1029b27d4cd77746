"""人口概况: the figures per community and per grid on a small registry whose every number is known, the
scoping and the sensitive kinds, a query count that does not grow with the units, and the page, the xlsx,
the docx and the API that show them."""

import io
import json
import re
from datetime import date, timedelta
from urllib.parse import unquote

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from docx import Document
from playwright.sync_api import expect

from shequ.accounts.demo import DEMO_PASSWORD
from shequ.accounts.models import Membership, Role, User
from shequ.core.tests.conftest import (  # noqa: F401
    DESKTOP,
    PHONE,
    browser,
    demo,
    demo_password_hash,
    login_as,
    new_page,
    screenshot,
    wide_elements,
)
from shequ.places.models import Building, Entrance, Grid
from shequ.registry import services
from shequ.registry.overview import registry_overview
from shequ.registry.selectors import years_ago

from .helpers import person, register

HIDDEN = ["health", "resettlement", "drug_rehab"]


def born(age, *, day_after=False):
    """A birth date making someone `age` today (their birthday is today); a day later, one year younger."""
    birthday = years_ago(age)
    return birthday + timedelta(days=1) if day_after else birthday


def household_in(actor, community, building, members, *, room):
    return services.household_register(actor=actor, estate=community.estate, building=building,
                                       entrance=building.entrances.first(), room=room, members=members)


def building(community, number, grid):
    block = Building.objects.create(community=community, estate=community.estate, number=number, grid=grid)
    Entrance.objects.create(community=community, building=block, number="1")
    return block


@pytest.fixture
def head(world):
    """The head of community A, granted the sensitive kinds."""
    user = world.user(Role.COMMUNITY_HEAD)
    Membership.objects.filter(user=user).update(sensitive_access=True)
    return User.objects.get(id=user.id)


@pytest.fixture
def registry(world, head):
    """Community A: grid 1 (two households, five present), grid 2 (one present; a household moved out) and a
    building without a grid (one present). Community B: one household of two."""
    a = world.a
    a.grid2 = Grid.objects.create(community=a, code="02", name="第2网格")
    first = register(head, a, [
        person("张老汉", born=born(85)),
        person("王阿婆", born=born(80), male=False, relation="spouse"),
        person("张中年", born=born(60, day_after=True), relation="child", residence_status="separated"),
        person("张小妹", born=born(10), male=False, relation="grandchild"),
    ], room="101")
    second = register(head, a, [
        person("李流动", born=born(30), residence_status="floating"),
        person("李已故", born=born(70), relation="parent"),
        person("李迁出", born=born(40), male=False, relation="spouse"),
    ], room="102")
    members = {r.name: r for r in (*first.members.all(), *second.members.all())}
    tags = (("张老汉", "living_alone"), ("张老汉", "health"), ("王阿婆", "empty_nest"), ("李已故", "dibao"))
    for name, kind in tags:
        services.resident_tag_add(actor=head, resident=members[name], kind=kind)
    services.resident_record_death(actor=head, resident=members["李已故"], died_on=date.today())
    services.resident_move_out(actor=head, resident=members["李迁出"])

    second_grid = building(a, "2", a.grid2)
    third = household_in(head, a, second_grid, [person("赵奶奶", born=born(65), male=False)], room="201")
    services.resident_tag_add(actor=head, resident=third.members.get(), kind="dibao")
    gone = household_in(head, a, second_grid, [person("钱一", born=born(33)), person("钱二", born=born(31))],
                        room="202")
    services.household_move_out(actor=head, household=gone)
    household_in(head, a, building(a, "3", None), [person("孙小伙", born=born(20))], room="301")

    b_head = world.user(Role.COMMUNITY_HEAD, community=world.b)
    b_family = register(b_head, world.b, [person("周大", born=born(50)),
                                          person("周二", born=born(62), male=False, relation="spouse")])
    services.resident_tag_add(actor=b_head, resident=b_family.members.get(name="周大"), kind="disabled")
    return world


def unit_rows(overview):
    return {unit.name: unit for unit in overview.units}


# --- figures ------------------------------------------------------------------------------------------------

def test_a_head_gets_a_unit_per_grid_and_the_ungridded_with_every_figure(registry, head):
    overview = registry_overview(head)
    assert overview.unit_kind == "grid" and overview.community == registry.a and not overview.drilled_down
    assert overview.scope_label == "甲社区" and overview.as_of == date.today()
    assert [(u.kind, u.name) for u in overview.units] == [("grid", "第1网格"), ("grid", "第2网格"),
                                                          ("ungridded", "未划网格")]
    first, second, ungridded = overview.units
    assert (first.households, first.residents, first.male, first.female) == (2, 5, 3, 2)
    assert first.age_bands == {"0_17": 1, "18_59": 2, "60_79": 0, "80_plus": 2}  # 80 today counts as 80
    assert first.residence_status == {"local": 3, "separated": 1, "floating": 1}
    assert {k: v for k, v in first.tags.items() if v} == {"living_alone": 1, "empty_nest": 1, "health": 1}
    assert first.tags["dibao"] == 0  # the deceased's tag is not counted
    assert (second.households, second.residents, second.female, second.age_bands["60_79"]) == (1, 1, 1, 1)
    assert second.tags["dibao"] == 1
    assert (ungridded.households, ungridded.residents, ungridded.age_bands["18_59"]) == (1, 1, 1)

    total = overview.total
    assert (total.households, total.residents, total.male, total.female) == (4, 7, 4, 3)
    assert total.age_bands == {"0_17": 1, "18_59": 3, "60_79": 1, "80_plus": 2}
    assert (total.aged_60_plus, total.aged_80_plus) == (3, 2)
    assert total.residence_status == {"local": 5, "separated": 1, "floating": 1}
    assert total.tags["dibao"] == 1 and total.tags["health"] == 1
    assert [c.key for c in overview.tag_kinds][-3:] == HIDDEN and not overview.hides_sensitive


def test_a_street_administrator_gets_a_unit_per_community_and_a_community_s_grids_on_asking(registry):
    admin = registry.user(Role.STREET_ADMIN)
    overview = registry_overview(admin)
    assert overview.unit_kind == "community" and overview.scope_label == "测试街道"
    a, b = overview.units
    assert (a.name, a.households, a.residents, a.aged_80_plus) == ("甲社区", 4, 7, 2)
    assert (b.name, b.households, b.residents, b.male, b.female) == ("乙社区", 1, 2, 1, 1)
    assert b.age_bands["60_79"] == 1
    assert b.tags["disabled"] == 1 and overview.total.residents == 9
    # No sensitive access anywhere: the sensitive kinds are not columns at all.
    assert not set(HIDDEN) & {c.key for c in overview.tag_kinds} and "health" not in a.tags
    assert overview.hides_sensitive

    grids = registry_overview(admin, community_id=registry.b.id)
    assert grids.unit_kind == "grid" and grids.drilled_down and [u.name for u in grids.units] == ["第1网格"]
    assert grids.units[0].residents == 2


def test_a_grid_worker_sees_only_the_grid_and_nothing_of_another_community(registry):
    grid_worker = registry.user(Role.GRID_WORKER, grid=registry.a.grid2)
    overview = registry_overview(grid_worker)
    assert [u.name for u in overview.units] == ["第2网格"] and overview.scope_label == "甲社区 · 第2网格"
    assert (overview.total.households, overview.total.residents) == (1, 1)
    assert registry_overview(grid_worker, community_id=registry.a.id).total.residents == 1
    with pytest.raises(Exception) as missing:
        registry_overview(grid_worker, community_id=registry.b.id)
    assert missing.value.status == 404


def test_sensitive_counts_are_dashes_where_the_actor_has_no_access(registry, head):
    # A head of A with sensitive access who is also a street administrator: A's counts, "—" for B and total.
    Membership.objects.create(user=head, role=Role.STREET_ADMIN, street=registry.street)
    overview = registry_overview(User.objects.get(id=head.id))
    a, b = overview.units
    assert a.tags["health"] == 1 and b.tags["health"] is None and overview.total.tags["health"] is None
    assert b.tags["disabled"] == 1 and overview.total.tags["living_alone"] == 1 and overview.hides_sensitive

    worker = registry.user(Role.COMMUNITY_WORKER)  # same community, no grant
    assert "health" not in registry_overview(worker).units[0].tags


# --- a fixed number of queries ------------------------------------------------------------------------------

def test_the_query_count_does_not_grow_with_the_units(registry, head, django_assert_num_queries):
    admin_id = registry.user(Role.STREET_ADMIN).id

    def units(user_id, queries):
        actor = User.objects.get(id=user_id)  # a fresh request's user: memberships not read yet
        with django_assert_num_queries(queries):
            return len(registry_overview(actor).units)

    # memberships, the street's communities, the communities, households, residents, tags
    assert units(admin_id, 6) == 2
    c = registry._community("110199001003", "丙社区")
    register(registry.user(Role.COMMUNITY_HEAD, community=c), c, [person("吴一", born=born(44))])
    assert units(admin_id, 6) == 3

    # memberships, the community, its grids, households, residents, tags
    assert units(head.id, 6) == 3
    Grid.objects.create(community=registry.a, code="03", name="第3网格")
    assert units(head.id, 6) == 4


# --- the page, the files, the API ---------------------------------------------------------------------------

def test_the_page_shows_cards_tables_and_the_charts_json(registry, head, login):
    page = login(head).get(reverse("registry:overview"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>人口概况</h1>" in html and 'data-chart="age"' in html and "registry/overview.js" in html
    assert "vendor/echarts/echarts.common.min.js" in html
    charts = page.context["charts"]
    assert charts["age"]["categories"] == ["第1网格", "第2网格", "未划网格"]
    assert charts["age"]["series"][3] == {"name": "80岁及以上", "data": [2, 0, 0]}
    assert charts["tags"]["series"][0]["name"] == "第1网格"
    assert "健康状况（含严重精神障碍）" in charts["tags"]["categories"]
    script = html.split('<script id="overview-charts" type="application/json">')[1].split("</script>")[0]
    assert json.loads(script) == json.loads(json.dumps(charts, default=str))
    assert 'data-card="residents"><span class="num">7</span>' in html
    assert 'data-card="aged_60_plus"><span class="num">3</span>' in html
    assert '<tr data-unit="total">' in html
    assert 'aria-current="page">人口概况</a>' in html  # the menu marks the overview, not the list


def test_the_street_administrator_s_rows_lead_to_a_community_s_grids(registry, login):
    client = login(registry.user(Role.STREET_ADMIN))
    html = client.get(reverse("registry:overview")).content.decode()
    assert f'<a href="?community={registry.b.id}">乙社区</a>' in html and "health" not in html
    drilled = client.get(reverse("registry:overview"), {"community": registry.b.id})
    assert drilled.status_code == 200 and "data-overview-up" in drilled.content.decode()
    assert f"overview.xlsx?community={registry.b.id}" in drilled.content.decode()
    assert client.get(reverse("registry:overview"), {"community": "x"}).status_code == 404


def test_scope_is_kept_on_the_page_the_files_and_the_api(registry, login, client):
    login(registry.user(Role.COMMUNITY_WORKER, community=registry.b))
    for name in ("registry:overview", "registry:overview_xlsx", "registry:overview_docx"):
        assert client.get(reverse(name), {"community": registry.a.id}).status_code == 404
    for path in ("/api/v1/registry/overview", "/api/v1/registry/overview.xlsx", "/api/v1/registry/overview.docx"):
        response = client.get(path, {"community": registry.a.id})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert client.get(path, {"community": registry.b.id}).status_code == 200
    client.force_login(registry.user(Role.RESIDENT))
    assert client.get(reverse("registry:overview")).status_code == 403
    for path in ("/api/v1/registry/overview", "/api/v1/registry/overview.xlsx", "/api/v1/registry/overview.docx"):
        assert client.get(path).status_code == 403


def test_the_list_and_the_menu_link_to_the_overview(registry, head, login):
    html = login(head).get(reverse("registry:residents")).content.decode()
    assert html.count(f'href="{reverse("registry:overview")}"') == 2  # the menu and the list's actions
    assert 'aria-current="page">居民台账</a>' in html and 'aria-current="page">人口概况' not in html


def test_the_xlsx_has_the_title_the_date_and_numbers(registry, head, login):
    response = login(head).get(reverse("registry:overview_xlsx"))
    assert response.status_code == 200 and "人口概况-甲社区-" in unquote(response["Content-Disposition"])
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "人口概况" and "统计范围：甲社区" in rows[1][0]
    today = date.today()
    assert f"统计日期：{today.year}年{today.month}月{today.day}日" in rows[1][0]
    assert rows[3][:2] == ["网格", "人口与年龄结构"] and "居住状况" in rows[3] and "重点人群" in rows[3]
    assert rows[4][:5] == [None, "户数", "在册人数", "男", "女"]  # 网格 is merged down over both header rows
    by_name = {row[0]: row for row in rows[5:]}
    assert by_name["第1网格"][1:10] == [2, 5, 3, 2, 1, 2, 0, 2, 3]
    assert by_name["合计"][1:3] == [4, 7] and isinstance(by_name["合计"][2], int)


def test_the_xlsx_shows_hidden_sensitive_figures_as_dashes(registry, head, login):
    Membership.objects.create(user=head, role=Role.STREET_ADMIN, street=registry.street)
    response = login(head).get(reverse("registry:overview_xlsx"))
    rows = [list(row) for row in openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)]
    health = rows[4].index("健康状况（含严重精神障碍）")
    by_name = {row[0]: row for row in rows[5:]}
    assert (by_name["甲社区"][health], by_name["乙社区"][health], by_name["合计"][health]) == (1, "—", "—")


def test_the_docx_is_an_a4_report_with_the_same_tables(registry, head, login):
    response = login(head).get(reverse("registry:overview_docx"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Disposition"].endswith(".docx")
    document = Document(io.BytesIO(b"".join(response.streaming_content)))
    section = document.sections[0]
    assert {round(section.page_width.mm), round(section.page_height.mm)} == {297, 210}
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "人口概况" and "统计范围：甲社区" in texts[1] and "统计日期" in texts[1]
    people, residence, tags = document.tables
    rows = [[cell.text for cell in row.cells] for row in people.rows]
    assert rows[0] == ["网格", "户数", "在册人数", "男", "女", "0–17岁", "18–59岁", "60–79岁", "80岁及以上"]
    assert rows[1] == ["第1网格", "2", "5", "3", "2", "1", "2", "0", "2"]
    assert rows[-1][:3] == ["合计", "4", "7"]
    assert [cell.text for cell in residence.rows[-1].cells] == ["合计", "5", "1", "1"]
    assert tags.rows[0].cells[-1].text == "社区戒毒"


def test_the_api_gives_the_same_figures(registry, head, login):
    body = login(head).get("/api/v1/registry/overview").json()
    assert body["unit_kind"] == "grid" and body["community_id"] == registry.a.id
    assert body["as_of"] == date.today().isoformat() and body["scope_label"] == "甲社区"
    assert [u["kind"] for u in body["units"]] == ["grid", "grid", "ungridded"]
    assert body["units"][0]["age_bands"] == {"0_17": 1, "18_59": 2, "60_79": 0, "80_plus": 2}
    assert body["units"][0]["tags"]["health"] == 1
    assert body["total"]["residence_status"] == {"local": 5, "separated": 1, "floating": 1}
    assert {"key": "80_plus", "label": "80岁及以上"} in body["age_bands"]

    admin = login(registry.user(Role.STREET_ADMIN))
    street = admin.get("/api/v1/registry/overview").json()
    assert [u["name"] for u in street["units"]] == ["甲社区", "乙社区"] and street["community_id"] is None
    assert "health" not in street["total"]["tags"]
    grids = admin.get("/api/v1/registry/overview", {"community": registry.b.id}).json()
    assert grids["unit_kind"] == "grid" and grids["total"]["residents"] == 2


def test_the_page_speaks_english_when_asked(registry, head, login):
    client = login(head)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("registry:overview")).content.decode()
    assert "Population overview" in html and "Residents and ages" in html and "No grid" in html


# --- in a browser -------------------------------------------------------------------------------------------

def charts_drawn(page):
    """ECharts draws each chart into a <canvas> inside its container."""
    for chart in ("age", "residence", "tags"):
        expect(page.locator(f'[data-chart="{chart}"] canvas').first).to_be_visible()


@pytest.mark.browser
def test_the_overview_draws_its_charts_on_an_office_screen_and_a_phone(demo, live_server, new_page):  # noqa: F811
    page = new_page(DESKTOP)
    login_as(page, live_server, "ahl_head", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/registry/")
    page.locator("[data-overview-link]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人口概况")
    charts_drawn(page)
    expect(page.locator("#mainnav [aria-current=page]")).to_have_text("人口概况")
    assert wide_elements(page, DESKTOP["width"]) == []
    screenshot(page, "registry-overview-head-desktop")

    # The charts follow the window: narrower, and each canvas is as wide as its box again.
    page.set_viewport_size({"width": 900, "height": 768})
    page.wait_for_function("""() => [...document.querySelectorAll('[data-chart]')].every((box) =>
        Math.abs(box.querySelector('canvas').getBoundingClientRect().width - box.clientWidth) < 2)""")
    assert wide_elements(page, 900) == []

    phone = new_page(PHONE)
    login_as(phone, live_server, "ahl_head", DEMO_PASSWORD)
    phone.goto(f"{live_server.url}/registry/overview/")
    charts_drawn(phone)
    assert wide_elements(phone, PHONE["width"]) == []
    screenshot(phone, "registry-overview-head-phone")


@pytest.mark.browser
def test_the_street_administrator_follows_a_community_to_its_grids(demo, live_server, new_page):  # noqa: F811
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = new_page(viewport)
        login_as(page, live_server, "jd_admin", DEMO_PASSWORD)
        page.goto(f"{live_server.url}/registry/overview/")
        charts_drawn(page)
        rows = page.locator('[data-table="age"] tbody tr')
        expect(rows.first).to_have_attribute("data-unit", re.compile(r"^community-\d+$"))
        assert wide_elements(page, viewport["width"]) == []
        screenshot(page, f"registry-overview-street-{suffix}")

        name = rows.first.locator("a").inner_text()
        rows.first.locator("a").click()
        expect(page).to_have_url(re.compile(r"/registry/overview/\?community=\d+$"))
        expect(page.locator(".crumbs")).to_contain_text(name)
        first_grid = page.locator('[data-table="age"] tbody tr').first
        expect(first_grid).to_have_attribute("data-unit", re.compile("^grid-"))
        charts_drawn(page)
        assert wide_elements(page, viewport["width"]) == []
        screenshot(page, f"registry-overview-community-{suffix}")
