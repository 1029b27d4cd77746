"""The lists' place filters: a street administrator chooses a community and sees which community each grid, row
and household is in; a grid worker is offered only the grid's places; one community's worker sees neither."""

import io

import openpyxl
import pytest
from django.urls import reverse

from shequ.accounts.models import Role
from shequ.places.models import Building, Grid

from .helpers import person, register


@pytest.fixture
def registered(world, worker):
    register(worker, world.a, [person("赵一")])
    register(world.user(Role.COMMUNITY_WORKER, community=world.b), world.b, [person("钱二")])


def options(page, name):
    select = page.split(f'name="{name}"')[1].split("</select>")[0]
    return [part.split("</option>")[0].split(">", 1)[1] for part in select.split("<option")[2:]]


@pytest.mark.parametrize("url", ["registry:residents", "registry:households"])
def test_the_street_chooses_a_community_and_sees_it_on_each_row(registered, world, login, url):
    client = login(world.user(Role.STREET_ADMIN))
    page = client.get(reverse(url)).content.decode()
    assert options(page, "community") == ["甲社区", "乙社区"]
    assert options(page, "grid") == [f"甲社区 {world.a.grid.name}", f"乙社区 {world.b.grid.name}"]
    assert "<th class=\"col-opt\">社区</th>" in page and "赵一" in page and "钱二" in page
    narrowed = client.get(reverse(url), {"community": world.b.id}).content.decode()
    assert "钱二" in narrowed and "赵一" not in narrowed


def test_one_communitys_worker_has_no_community_filter(registered, world, worker, login):
    page = login(worker).get(reverse("registry:residents")).content.decode()
    assert 'name="community"' not in page and "<th class=\"col-opt\">社区</th>" not in page
    assert options(page, "grid") == [world.a.grid.name]


def test_a_grid_worker_is_offered_the_grids_places_only(world, login):
    other = Grid.objects.create(community=world.a, code="02", name="第2网格")
    Building.objects.create(community=world.a, estate=world.a.estate, number="7", grid=other)
    client = login(world.user(Role.GRID_WORKER))
    assert options(client.get(reverse("registry:residents")).content.decode(), "grid") == [world.a.grid.name]
    page = client.get(reverse("registry:households")).content.decode()
    assert options(page, "building") == [str(world.a.building)]


def test_the_street_exports_the_roster_of_the_community_chosen(registered, world, login):
    client = login(world.user(Role.STREET_ADMIN))
    response = client.get(reverse("registry:export_roster"), {"community": world.b.id, "q": ""})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert {row[3] for row in sheet.iter_rows(min_row=3, values_only=True)} == {"钱二"}
