"""What the home pages and the shell say: figures written as the lists write them (1,800), tiles that read as
counts in English ("3 communities"), a resident's home that promises nothing it lacks, and the language switch
naming each language in its own language."""

import re

import pytest

from conftest import english
from shequ.accounts.models import Role
from shequ.core.navigation import may_open
from shequ.places.models import Building, Community, Estate

pytestmark = pytest.mark.usefixtures("english_catalogue")


def tiles(response):
    """{data-stat: "number label"} of the home page's figure tiles, as a reader reads them."""
    found = re.findall(r'<div class="card stat" data-stat="(\w+)">(.*?)</div>', response.content.decode(), re.S)
    return {key: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for key, body in found}


def language_options(response):
    switch = re.search(r'<form class="langswitch".*?</form>', response.content.decode(), re.S).group(0)
    return dict(re.findall(r'<option value="([\w-]+)"[^>]*>([^<]*)</option>', switch))


@pytest.fixture
def big_street(world):
    """Community A with 1,800 households and a second estate and building; B with 1."""
    Community.objects.filter(id=world.a.id).update(household_count=1800)
    Community.objects.filter(id=world.b.id).update(household_count=1)
    estate = Estate.objects.create(community=world.a, name="第二小区")
    Building.objects.create(community=world.a, estate=estate, number="2", grid=world.a.grid)
    return world


def test_home_tiles_write_thousands_as_the_lists_do(big_street, login):
    response = login(big_street.user(Role.STREET_ADMIN)).get("/")

    assert tiles(response) == {"communities": "2 社区", "households": "1,801 户数", "grids": "2 网格",
                               "estates": "3 小区", "buildings": "3 楼栋"}
    # The street's table of communities writes its counts the same way.
    assert '<td class="num">1,800</td>' in response.content.decode()


def test_community_home_tiles_in_chinese(big_street, login):
    response = login(big_street.user(Role.COMMUNITY_HEAD)).get("/")

    assert tiles(response) == {"communities": "1 社区", "households": "1,800 户数", "grids": "1 网格",
                               "estates": "2 小区", "buildings": "2 楼栋"}


def test_home_tiles_read_as_counts_in_english(big_street, login):
    """Needs the catalogue's plural entries of context "home tile"."""
    response = english(login(big_street.user(Role.STREET_ADMIN))).get("/")

    assert tiles(response) == {"communities": "2 communities", "households": "1,801 households",
                               "grids": "2 grids", "estates": "3 estates", "buildings": "3 buildings"}


def test_home_tiles_use_the_singular_for_one_in_english(world, login):
    """Needs the catalogue's plural entries of context "home tile"."""
    Community.objects.filter(id=world.a.id).update(household_count=1)

    response = english(login(world.user(Role.COMMUNITY_HEAD))).get("/")

    assert tiles(response) == {"communities": "1 community", "households": "1 household", "grids": "1 grid",
                               "estates": "1 estate", "buildings": "1 building"}


def test_grid_home_tile(big_street, login):
    client = login(big_street.user(Role.GRID_WORKER))
    assert tiles(client.get("/")) == {"buildings": "2 本网格楼栋"}
    # Needs the catalogue's plural entry "本网格楼栋" of context "home tile".
    assert tiles(english(client).get("/")) == {"buildings": "2 buildings in this grid"}


def test_resident_home_promises_nothing_it_does_not_offer(world, login):
    body = login(world.user(Role.RESIDENT)).get("/").content.decode()

    assert "欢迎使用社区居民服务。" in body
    assert "暂无可用功能" in body
    for promise in ("公开信息", "参加活动", "反映问题"):
        assert promise not in body


def test_resident_home_in_english(world, login):
    """Needs the catalogue's entry for "欢迎使用社区居民服务。"."""
    body = english(login(world.user(Role.RESIDENT))).get("/").content.decode()

    assert "Welcome to community resident services." in body
    assert "No functions available" in body
    assert "public information" not in body and "欢迎" not in body


@pytest.mark.parametrize("language", [None, "en"])
def test_language_switch_names_each_language_in_its_own_language(world, login, language):
    client = login(world.user(Role.COMMUNITY_HEAD))
    if language:
        english(client)

    options = language_options(client.get("/"))

    assert options == {"zh-hans": "简体中文", "en": "English"}


def test_language_switch_on_the_login_page_too(db, client):
    assert language_options(client.get("/accounts/login/")) == {"zh-hans": "简体中文", "en": "English"}
    assert language_options(english(client).get("/accounts/login/")) == {"zh-hans": "简体中文", "en": "English"}


def test_may_open_asks_the_module_registered_under_a_key(world):
    head, resident = world.user(Role.COMMUNITY_HEAD), world.user(Role.RESIDENT)

    assert may_open(head, "registry_households") and may_open(head, "places")
    assert not may_open(resident, "registry_households") and not may_open(resident, "places")
    assert not may_open(head, "no_such_module")


@pytest.mark.parametrize(("role", "absent"), [(Role.SUPERVISOR, ("居务公开", "财务")), (Role.VOLUNTEER, ("服务时长",))])
def test_other_homes_promise_nothing_they_do_not_offer(world, login, role, absent):
    body = login(world.user(role)).get("/").content.decode()
    assert not [word for word in absent if word in body]
