"""户列表: households searched by number, member or address, filtered, scoped like the registry, in pages."""

import html
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from conftest import english
from shequ.accounts.models import Role
from shequ.places.models import Building, Grid
from shequ.registry import services
from shequ.registry.models import Household

from .helpers import person, register


@pytest.fixture
def other(world):
    """A community worker of community b."""
    return world.user(Role.COMMUNITY_WORKER, community=world.b)


@pytest.fixture
def households(world, worker, other):
    """In community a: 赵一's (room 101, rented), 钱二's and 孙三 (201, a floating household), 李四's in building 9,
    周五's moved out; in community b: 吴六's."""
    a = world.a
    nine = Building.objects.create(community=a, estate=a.estate, number="9", grid=a.grid)
    made = {
        "zhao": register(worker, a, [person("赵一", phone="13800001234")], room="101", housing="rented"),
        "qian": register(worker, a, [person("钱二"), person("孙三", relation="spouse")], room="201",
                         household_type="floating"),
        "li": services.household_register(actor=worker, estate=a.estate, building=nine, room="901",
                                          members=[person("李四")]),
        "zhou": register(worker, a, [person("周五")], room="301"),
        "wu": register(other, world.b, [person("吴六")]),
    }
    services.household_move_out(actor=worker, household=made["zhou"], on=date(2026, 1, 1))
    return made


def listed(client, **query):
    """The ids of the households the page lists, in order."""
    page = client.get(reverse("registry:households"), query).content.decode()
    return [int(part.split('"', 1)[0]) for part in page.split('data-household="')[1:]]


def test_the_households_in_residence_are_listed_with_their_heads(households, worker, login,
                                                                   django_assert_max_num_queries):
    client = login(worker)
    with django_assert_max_num_queries(9):  # the shell (4), the grids and buildings offered, the page with heads
        page = client.get(reverse("registry:households")).content.decode()
    assert listed(client) == [households[k].id for k in ("zhao", "qian", "li")]
    assert "赵一" in page and "钱二" in page and "孙三" not in page  # heads only
    assert "共 3 户" in page and "吴六" not in page and "周五" not in page


def test_other_statuses_are_listed_when_asked(households, worker, login):
    client = login(worker)
    assert listed(client, status="moved_out") == [households["zhou"].id]
    assert set(listed(client, status="all")) == {households[k].id for k in ("zhao", "qian", "li", "zhou")}


@pytest.mark.parametrize(("query", "expected"), [
    ("孙三", ["qian"]),  # a member who is not the head
    ("zy", ["zhao"]),  # pinyin initials
    ("1234", ["zhao"]),  # last digits of a phone
    ("9号楼", ["li"]),  # an address
])
def test_the_search_finds_households_by_their_members_and_places(households, worker, login, query, expected):
    assert listed(login(worker), q=query) == [households[k].id for k in expected]


def test_the_search_finds_a_household_by_the_start_of_its_number(households, worker, login):
    number = households["li"].number
    client = login(worker)
    assert listed(client, q=number) == [households["li"].id]
    assert households["li"].id in listed(client, q=number[:-1])


def test_filters_narrow_the_list(households, worker, world, login):
    client = login(worker)
    assert listed(client, housing="rented") == [households["zhao"].id]
    assert listed(client, household_type="floating") == [households["qian"].id]
    assert listed(client, building=households["li"].building_id) == [households["li"].id]
    assert listed(client, grid=world.a.grid.id, q="钱二") == [households["qian"].id]


def test_households_without_a_head_in_register(households, worker, login):
    head = households["qian"].members.get(name="钱二")
    services.resident_record_death(actor=worker, resident=head, died_on=date(2026, 3, 1))
    client = login(worker)
    assert listed(client, without_head="on") == [households["qian"].id]
    page = client.get(reverse("registry:households")).content.decode()
    row = page.split(f'data-household="{households["qian"].id}"')[1].split("</tr>")[0]
    assert "暂无户主" in row


def test_a_grid_worker_sees_the_grid_and_another_community_nothing(households, world, other, login):
    other_grid = Grid.objects.create(community=world.a, code="02", name="第2网格")
    Household.objects.filter(id=households["li"].id).update(grid=other_grid)
    assert listed(login(world.user(Role.GRID_WORKER))) == [households["zhao"].id, households["qian"].id]
    assert listed(login(other), q="赵一") == []
    assert login(world.user(Role.SUPERVISOR)).get(reverse("registry:households")).status_code == 403


def test_the_list_goes_on_page_by_page(households, worker, login):
    client = login(worker)
    first = client.get("/api/v1/registry/households", {"limit": 2}).json()
    assert [h["id"] for h in first["items"]] == [households["zhao"].id, households["qian"].id]
    assert first["count"] == "3" and first["next_after"] == households["qian"].id
    rest = client.get("/api/v1/registry/households", {"limit": 2, "after": first["next_after"]}).json()
    assert [h["id"] for h in rest["items"]] == [households["li"].id] and rest["next_after"] is None


def test_the_api_searches_and_filters_like_the_page(households, worker, login):
    client = login(worker)
    body = client.get("/api/v1/registry/households", {"q": "孙三"}).json()
    assert [(h["id"], h["head_name"]) for h in body["items"]] == [(households["qian"].id, "钱二")]
    assert body["query_kind"] == "name" and "phone_enc" not in body["items"][0]
    assert [h["id"] for h in client.get("/api/v1/registry/households", {"status": "all", "q": "周五"}).json()["items"]] \
        == [households["zhou"].id]
    assert client.get("/api/v1/registry/households", {"housing": "castle"}).status_code == 422


def test_the_street_exports_the_roster_of_a_building_chosen_in_the_list(households, world, login):
    client = login(world.user(Role.STREET_ADMIN))
    page = client.get(reverse("registry:households"), {"building": households["li"].building_id,
                                                        "housing": "owned", "status": "all"}).content.decode()
    link = html.unescape(page.split("data-export-roster")[0].rsplit('href="', 1)[1].split('"')[0])
    assert "housing" not in link and "status" not in link  # the resident list's filters of the same names differ
    response = client.get(link)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert {row[3] for row in sheet.iter_rows(min_row=3, values_only=True)} == {"李四"}


def test_the_page_speaks_english_when_asked(households, worker, login):
    page = english(login(worker)).get(reverse("registry:households")).content.decode()
    assert "Households" in page and "3 households in total" in page and "Rented" in page


def test_a_later_page_links_back_to_the_first_with_the_same_filters(households, worker, login):
    client = login(worker)
    page = client.get(reverse("registry:households"), {"housing": "owned", "after": households["zhao"].id})
    html_text = page.content.decode()
    assert listed(client, housing="owned", after=households["zhao"].id) == [households["qian"].id, households["li"].id]
    assert 'href="?housing=owned" hx-get="?housing=owned"' in html_text and "data-next-page" not in html_text
    assert "data-first-page" not in client.get(reverse("registry:households")).content.decode()
