"""楼栋住户: a building's living households by entrance and room, with their heads, scoped like the registry."""

import html
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from conftest import english
from shequ.accounts.models import Role
from shequ.places.models import Building, Entrance, Grid
from shequ.registry import services
from shequ.registry.models import Household

from .helpers import person, register


@pytest.fixture
def building(world, worker):
    """Rooms 1101, 201 and 2 of entrance 1, room 101 of entrance 2, and one household moved out."""
    a = world.a
    second = Entrance.objects.create(community=a, building=a.building, number="2")
    for room, name in (("1101", "赵一"), ("201", "钱二"), ("2", "孙三")):
        register(worker, a, [person(name)], room=room)
    services.household_register(actor=worker, estate=a.estate, building=a.building, entrance=second, room="101",
                                members=[person("李四")])
    gone = register(worker, a, [person("周五")], room="301")
    services.household_move_out(actor=worker, household=gone, on=date(2026, 1, 1))
    return a.building


def test_households_are_listed_by_entrance_and_room_with_their_heads(building, worker, login,
                                                                      django_assert_max_num_queries):
    client = login(worker)
    with django_assert_max_num_queries(8):  # the shell (4), the building, the households with their heads
        page = client.get(reverse("registry:building", args=[building.id])).content.decode()
    order = [page.index(name) for name in ("孙三", "钱二", "赵一", "李四")]
    assert order == sorted(order) and "周五" not in page and "在住 4 户" in page


def test_a_household_without_a_head_is_marked(building, worker, login):
    head = Household.objects.get(building=building, room="201").members.get()
    services.resident_record_death(actor=worker, resident=head, died_on=date(2026, 3, 1))
    page = login(worker).get(reverse("registry:building", args=[building.id])).content.decode()
    row = page.split(f'data-household="{head.household_id}"')[1].split("</tr>")[0]
    assert "暂无户主" in row and "钱二" not in row


def test_the_household_page_leads_to_its_building(building, worker, login):
    household = Household.objects.get(building=building, room="201")
    page = login(worker).get(reverse("registry:household", args=[household.id])).content.decode()
    assert f'href="{reverse("registry:building", args=[building.id])}"' in page


def test_a_grid_worker_sees_only_the_households_of_the_grid(building, world, login):
    other_grid = Grid.objects.create(community=world.a, code="02", name="第2网格")
    household = Household.objects.get(building=building, room="201")
    household.grid = other_grid
    household.save(update_fields=["grid"])
    client = login(world.user(Role.GRID_WORKER))
    page = client.get(reverse("registry:building", args=[building.id])).content.decode()
    assert "赵一" in page and "钱二" not in page
    elsewhere = Building.objects.create(community=world.a, estate=world.a.estate, number="8", grid=other_grid)
    assert client.get(reverse("registry:building", args=[elsewhere.id])).status_code == 404


def test_another_community_gets_404_and_a_supervisor_403(building, world, login):
    url = reverse("registry:building", args=[building.id])
    assert login(world.user(Role.COMMUNITY_WORKER, community=world.b)).get(url).status_code == 404
    assert login(world.user(Role.SUPERVISOR)).get(url).status_code == 403


def test_the_page_speaks_english_when_asked(building, worker, login):
    page = english(login(worker)).get(reverse("registry:building", args=[building.id])).content.decode()
    assert "4 households living here" in page and "Head of household" in page


def test_the_api_lists_a_buildings_households(building, worker, world, login):
    client = login(worker)
    body = client.get(f"/api/v1/registry/buildings/{building.id}/households").json()
    assert [(h["room"], h["head_name"]) for h in body] == [("2", "孙三"), ("201", "钱二"), ("1101", "赵一"),
                                                          ("101", "李四")]
    assert "phone_enc" not in body[0]
    client.force_login(world.user(Role.COMMUNITY_WORKER, community=world.b))
    assert client.get(f"/api/v1/registry/buildings/{building.id}/households").status_code == 404
    client.force_login(world.user(Role.SUPERVISOR))
    assert client.get(f"/api/v1/registry/buildings/{building.id}/households").status_code == 403


def test_the_building_offers_its_roster_masked(building, worker, world, login):
    elsewhere = Building.objects.create(community=world.a, estate=world.a.estate, number="9", grid=world.a.grid)
    services.household_register(actor=worker, estate=world.a.estate, building=elsewhere, room="901",
                                members=[person("郑七", phone="13800009999")])
    client = login(worker)
    page = client.get(reverse("registry:building", args=[building.id])).content.decode()
    link = html.unescape(page.split("data-building-roster")[0].rsplit('href="', 1)[1].split('"')[0])
    response = client.get(link)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = {row[3] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert names == {"赵一", "钱二", "孙三", "李四"}  # this building's households in register, not 郑七's
