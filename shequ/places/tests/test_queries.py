"""Query counts of the places pages and API lists are pinned: the same bound holds for 2 rows and for
20, so a query per row (N+1) fails here."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shequ.accounts.models import Role
from shequ.places.models import Building, Community, Entrance, Estate, Grid, ResidentGroup

FEW, MANY = 2, 20


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def assert_flat(client, url, bound, fill, assert_max):
    """GET url with FEW rows and with MANY (fill(n) brings the rows up to n): both within `bound`, and
    the same number of queries each time."""
    counts = []
    for rows in (FEW, MANY):
        fill(rows)
        with assert_max(bound), CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts.append((len(queries), response))
    assert counts[0][0] == counts[1][0], f"{url}: {counts[0][0]} queries for {FEW} rows, {counts[1][0]} for {MANY}"
    return counts[1][1]


def fill_communities(world):
    def fill(n):
        for index in range(Community.objects.count(), n):
            community = Community.objects.create(street=world.street, name=f"社区{index}",
                                                 code=f"110199001{index + 100:03d}", household_count=50 * index)
            Grid.objects.create(community=community, code="01", name="第1网格")
            Estate.objects.create(community=community, name=f"小区{index}")
    return fill


def fill_community(community):
    """Groups, grids and estates (each with a building) in one community."""
    def fill(n):
        for index in range(Estate.objects.filter(community=community).count(), n):
            group = ResidentGroup.objects.create(community=community, number=index + 10, name=f"第{index + 10}组")
            grid = Grid.objects.create(community=community, code=f"g{index}", name=f"网格{index}")
            estate = Estate.objects.create(community=community, name=f"小区{index}")
            Building.objects.create(community=community, estate=estate, number="1", grid=grid, resident_group=group)
    return fill


def fill_estate(estate):
    """Buildings with their grid, group and two entrances each."""
    community = estate.community

    def fill(n):
        for index in range(Building.objects.filter(estate=estate).count(), n):
            group = ResidentGroup.objects.create(community=community, number=index + 10, name=f"第{index + 10}组")
            grid = Grid.objects.create(community=community, code=f"g{index}", name=f"网格{index}")
            building = Building.objects.create(community=community, estate=estate, number=str(index + 10),
                                               grid=grid, resident_group=group)
            for entrance in ("1", "2"):
                Entrance.objects.create(community=community, building=building, number=entrance)
    return fill


def test_community_list_page(world, django_assert_max_num_queries):
    client = client_for(world.user(Role.STREET_ADMIN))
    response = assert_flat(client, "/places/", 9, fill_communities(world), django_assert_max_num_queries)
    assert response.content.decode().count('<a href="/places/communities/') == MANY


def test_community_detail_page(world, django_assert_max_num_queries):
    client = client_for(world.user(Role.COMMUNITY_HEAD))
    response = assert_flat(client, f"/places/communities/{world.a.id}/", 8, fill_community(world.a),
                           django_assert_max_num_queries)
    assert response.content.decode().count('<a href="/places/estates/') == MANY


def test_estate_detail_page(world, django_assert_max_num_queries):
    client = client_for(world.user(Role.COMMUNITY_HEAD))
    response = assert_flat(client, f"/places/estates/{world.a.estate.id}/", 7, fill_estate(world.a.estate),
                           django_assert_max_num_queries)
    assert response.content.decode().count('/places/building/') - 1 == MANY  # edit links, plus "new building"


def test_estate_detail_page_for_a_grid_worker(world, django_assert_max_num_queries):
    client = client_for(world.user(Role.GRID_WORKER))
    assert_flat(client, f"/places/estates/{world.a.estate.id}/", 6, fill_estate(world.a.estate),
                django_assert_max_num_queries)


def fill_kind(world, kind):
    community = world.a
    model = {"community": Community, "group": ResidentGroup, "grid": Grid, "estate": Estate, "building": Building,
             "entrance": Entrance}[kind]

    def fill(n):
        rows = model.objects.filter(**({"street": world.street} if kind == "community" else
                                       {"community": community}))
        for index in range(rows.count(), n):
            if kind == "community":
                Community.objects.create(street=world.street, name=f"社区{index}", code=f"110199001{index + 100:03d}")
            elif kind == "group":
                ResidentGroup.objects.create(community=community, number=index + 10, name=f"第{index + 10}组")
            elif kind == "grid":
                Grid.objects.create(community=community, code=f"g{index}", name=f"网格{index}")
            elif kind == "estate":
                Estate.objects.create(community=community, name=f"小区{index}")
            elif kind == "building":
                Building.objects.create(community=community, estate=community.estate, number=str(index + 10),
                                        grid=community.grid, resident_group=community.group)
            else:
                Entrance.objects.create(community=community, building=community.building, number=str(index + 10))
    return fill


API_LISTS = [(role, kind, plural)
             for role in (Role.STREET_ADMIN, Role.COMMUNITY_HEAD)
             for kind, plural in [("community", "communities"), ("group", "groups"), ("grid", "grids"),
                                  ("estate", "estates"), ("building", "buildings"), ("entrance", "entrances")]
             if not (role == Role.COMMUNITY_HEAD and kind == "community")]  # a head reads one community


@pytest.mark.parametrize("role, kind, plural", API_LISTS)
def test_api_lists(world, role, kind, plural, django_assert_max_num_queries):
    fill = fill_kind(world, kind)
    client = client_for(world.user(role))
    b_rows = 1 if role == Role.STREET_ADMIN and kind != "community" else 0

    # Session, user, memberships, (a street's communities,) the rows.
    bound = {Role.STREET_ADMIN: 5, Role.COMMUNITY_HEAD: 4}[role]
    response = assert_flat(client, f"/api/v1/places/{plural}", bound, fill, django_assert_max_num_queries)

    assert len(response.json()) == MANY + b_rows


def test_api_list_with_a_bearer_token(world, django_assert_max_num_queries):
    head = world.user(Role.COMMUNITY_HEAD)
    raw = client_for(head).post("/api/v1/accounts/tokens", {"name": "计数"},
                                content_type="application/json").json()["token"]
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    client.get("/api/v1/accounts/me")  # the first use stamps last_used_at; later ones within a minute do not

    # The token and its user, the memberships, the rows.
    response = assert_flat(client, "/api/v1/places/buildings", 3, fill_kind(world, "building"),
                           django_assert_max_num_queries)
    assert len(response.json()) == MANY
