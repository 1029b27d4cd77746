"""What the places pages show: an estate's buildings linking to their households (楼栋住户) for those who may read
them, selects whose empty option says what it means, and household counts written as the lists write them."""

import re

import pytest
from django.test import Client

from conftest import english
from shequ.accounts.models import Membership, Role
from shequ.places.models import Building, Community, Grid

pytestmark = pytest.mark.usefixtures("english_catalogue")


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def main(response):
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


def household_links(response):
    """The building ids the page links to their 楼栋住户 page."""
    return {int(i) for i in re.findall(r'<a href="/registry/buildings/(\d+)/">', response.content.decode())}


@pytest.fixture
def two_grids(world):
    """Community A's estate with a second building, in a second grid."""
    grid = Grid.objects.create(community=world.a, code="02", name="第2网格")
    world.a.other_building = Building.objects.create(community=world.a, estate=world.a.estate, number="2", grid=grid)
    return world


# ---------------------------------------------------------------- an estate's buildings link to their households


@pytest.mark.parametrize("role", [Role.STREET_ADMIN, Role.COMMUNITY_HEAD, Role.COMMUNITY_WORKER])
def test_registry_readers_of_the_community_get_every_building_linked(two_grids, role):
    client = client_for(two_grids.user(role))
    a = two_grids.a

    response = client.get(f"/places/estates/{a.estate.id}/")

    assert household_links(response) == {a.building.id, a.other_building.id}
    assert f'<a href="/registry/buildings/{a.building.id}/">1号楼</a>' in response.content.decode()
    for building_id in household_links(response):
        assert client.get(f"/registry/buildings/{building_id}/").status_code == 200


def test_a_grid_worker_gets_only_the_buildings_of_his_grid_linked(two_grids):
    """He reads the whole community's places, but only his grid's people: no link that would answer 404."""
    client = client_for(two_grids.user(Role.GRID_WORKER))
    a = two_grids.a

    response = client.get(f"/places/estates/{a.estate.id}/")

    assert household_links(response) == {a.building.id}
    assert "2号楼" in response.content.decode()
    assert client.get(f"/registry/buildings/{a.building.id}/").status_code == 200
    assert client.get(f"/registry/buildings/{a.other_building.id}/").status_code == 404


def test_a_supervisor_sees_the_buildings_without_links(two_grids):
    """Supervisors read places but not the registry."""
    client = client_for(two_grids.user(Role.SUPERVISOR))
    a = two_grids.a

    response = client.get(f"/places/estates/{a.estate.id}/")

    assert response.status_code == 200
    assert household_links(response) == set()
    assert "/registry/" not in main(response)
    assert "1号楼" in response.content.decode() and "2号楼" in response.content.decode()
    assert client.get(f"/registry/buildings/{a.building.id}/").status_code == 403


def test_a_grid_worker_who_is_also_supervisor_gets_his_grids_buildings_linked(two_grids):
    """The supervisor's membership alone opens no registry, the grid worker's does. (Places reads the scope of
    all his memberships, so the building of the other grid is linked too and the registry answers it with 404:
    places does not know the registry's roles.)"""
    user = two_grids.user(Role.GRID_WORKER)
    Membership.objects.create(user=user, role=Role.SUPERVISOR, community=two_grids.a)

    response = client_for(user).get(f"/places/estates/{two_grids.a.estate.id}/")

    assert two_grids.a.building.id in household_links(response)


# ---------------------------------------------------------------- the building form's selects


def selects(response):
    """{field name: [option labels]} of the page's selects."""
    body = response.content.decode()
    return {name: [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", options)]
            for name, options in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', body, re.S)
            if name != "language"}


def test_new_building_form_says_what_an_empty_grid_or_group_means(world):
    response = client_for(world.user(Role.COMMUNITY_HEAD)).get(f"/places/building/new/?estate={world.a.estate.id}")

    assert response.status_code == 200
    assert "---------" not in response.content.decode()
    assert selects(response) == {"grid": ["不指定", "第1网格"], "resident_group": ["不指定", "第1居民小组"]}


def test_edit_building_form_too_and_leaving_the_grid_unset_saves(world):
    client = client_for(world.user(Role.COMMUNITY_HEAD))
    building = world.a.building
    url = f"/places/building/{building.id}/edit/"

    page = client.get(url)
    assert "---------" not in page.content.decode()
    assert selects(page)["grid"] == ["不指定", "第1网格"]

    saved = client.post(url, {"number": building.number, "floors": "", "grid": "", "resident_group": ""})

    assert saved.status_code == 302
    building.refresh_from_db()
    assert (building.grid_id, building.resident_group_id) == (None, None)


def test_building_form_empty_options_in_english(world):
    """Needs the catalogue's entry for "不指定"."""
    client = english(client_for(world.user(Role.COMMUNITY_HEAD)))

    response = client.get(f"/places/building/new/?estate={world.a.estate.id}")

    assert [options[0] for options in selects(response).values()] == ["Not specified", "Not specified"]


def test_no_places_form_shows_djangos_dashes(world):
    client = client_for(world.user(Role.STREET_ADMIN))
    a = world.a
    pages = [f"/places/community/new/?street={world.street.id}", f"/places/group/new/?community={a.id}",
             f"/places/grid/new/?community={a.id}", f"/places/estate/new/?community={a.id}",
             f"/places/building/new/?estate={a.estate.id}", f"/places/entrance/new/?building={a.building.id}",
             f"/places/community/{a.id}/edit/", f"/places/building/{a.building.id}/edit/"]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "---------" not in response.content.decode(), url


# ---------------------------------------------------------------- household counts as the lists write them


def test_household_counts_have_a_thousands_separator(world):
    Community.objects.filter(id=world.a.id).update(household_count=1800)
    client = client_for(world.user(Role.STREET_ADMIN))

    listed = main(client.get("/places/"))
    detail = main(client.get(f"/places/communities/{world.a.id}/"))

    assert '<td class="num">1,800</td>' in listed
    assert "<dd>1,800</dd>" in detail
    assert "户数 1,800 超出" in detail  # the household-count warning too
    assert "1800" not in listed and "1800" not in detail
