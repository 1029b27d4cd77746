"""Who reaches which places: every rule is tried from the wrong side, through the pages and the API."""

import pytest
from django.test import Client

from shequ.accounts.models import Role
from shequ.places.models import Building, Community, Entrance, Estate, Grid, ResidentGroup, Street

KIND_PLURALS = {"community": "communities", "group": "groups", "grid": "grids", "estate": "estates",
                "building": "buildings", "entrance": "entrances"}
PARENT_QUERY = {"group": "community", "grid": "community", "estate": "community", "building": "estate",
                "entrance": "building"}
MODELS = {"community": Community, "group": ResidentGroup, "grid": Grid, "estate": Estate, "building": Building,
          "entrance": Entrance}


def place_of(community, kind):
    return {"community": community, "group": community.group, "grid": community.grid, "estate": community.estate,
            "building": community.building, "entrance": community.entrance}[kind]


def parent_of(community, kind):
    return place_of(community, PARENT_QUERY[kind])


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def snapshot():
    return {kind: sorted(model.objects.values_list("id", "updated_at")) for kind, model in MODELS.items()}


@pytest.fixture(params=[Role.COMMUNITY_HEAD, Role.COMMUNITY_WORKER, Role.GRID_WORKER, Role.SUPERVISOR])
def a_reader(request, world):
    return client_for(world.user(request.param))


def test_reader_of_a_gets_404_for_the_pages_of_b(world, a_reader):
    b = world.b
    assert a_reader.get(f"/places/communities/{b.id}/").status_code == 404
    assert a_reader.get(f"/places/estates/{b.estate.id}/").status_code == 404
    for kind in KIND_PLURALS:
        assert a_reader.get(f"/places/{kind}/{place_of(b, kind).id}/edit/").status_code == 404, kind
    for kind, parameter in PARENT_QUERY.items():
        url = f"/places/{kind}/new/?{parameter}={parent_of(b, kind).id}"
        assert a_reader.get(url).status_code == 404, kind


def test_reader_of_a_gets_404_for_b_through_the_api(world, a_reader):
    before = snapshot()
    for kind, plural in KIND_PLURALS.items():
        place = place_of(world.b, kind)
        response = a_reader.get(f"/api/v1/places/{plural}/{place.id}")
        assert response.status_code == 404, kind
        assert response.json()["code"] == "not_found"
        patched = a_reader.patch(f"/api/v1/places/{plural}/{place.id}", {"name": "越权"},
                                 content_type="application/json")
        assert patched.status_code == 404, kind
    assert snapshot() == before


def test_lists_hold_only_the_readers_community(world, a_reader):
    for kind, plural in KIND_PLURALS.items():
        rows = a_reader.get(f"/api/v1/places/{plural}").json()
        assert [row["id"] for row in rows] == [place_of(world.a, kind).id], kind
        filtered = a_reader.get(f"/api/v1/places/{plural}?community_id={world.b.id}").json()
        assert filtered == [], kind

    page = a_reader.get("/places/").content.decode()
    assert world.a.name in page
    assert world.b.name not in page


def test_head_of_a_cannot_create_anything_in_b(world):
    head = client_for(world.user(Role.COMMUNITY_HEAD))
    before = snapshot()

    grid = head.post("/api/v1/places/grids", {"community_id": world.b.id, "code": "09", "name": "越权网格"},
                     content_type="application/json")
    assert grid.status_code == 404
    assert grid.json()["code"] == "not_found"
    building = head.post("/api/v1/places/buildings", {"estate_id": world.b.estate.id, "number": "9"},
                         content_type="application/json")
    assert building.status_code == 404
    entrance = head.post("/api/v1/places/entrances", {"building_id": world.b.building.id, "number": "9"},
                         content_type="application/json")
    assert entrance.status_code == 404
    page = head.post(f"/places/grid/new/?community={world.b.id}", {"code": "09", "name": "越权网格"})
    assert page.status_code == 404
    community = head.post("/api/v1/places/communities",
                          {"street_id": world.street.id, "name": "新社区", "code": "110199001009"},
                          content_type="application/json")
    assert community.status_code == 403
    assert head.get(f"/places/community/new/?street={world.street.id}").status_code == 403

    assert snapshot() == before


def test_head_of_a_cannot_point_a_building_of_a_at_the_grid_of_b(world):
    head = client_for(world.user(Role.COMMUNITY_HEAD))
    before = snapshot()

    response = head.patch(f"/api/v1/places/buildings/{world.a.building.id}", {"grid_id": world.b.grid.id},
                          content_type="application/json")

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.SUPERVISOR])
def test_readers_see_their_community_but_cannot_edit(world, role):
    client = client_for(world.user(role))
    before = snapshot()

    detail = client.get(f"/places/communities/{world.a.id}/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert world.a.estate.name in body
    assert "/edit/" not in body and "/new/" not in body
    estate = client.get(f"/places/estates/{world.a.estate.id}/")
    assert estate.status_code == 200
    assert "/edit/" not in estate.content.decode()

    for kind, plural in KIND_PLURALS.items():
        place = place_of(world.a, kind)
        assert client.get(f"/places/{kind}/{place.id}/edit/").status_code == 403, kind
        assert client.post(f"/places/{kind}/{place.id}/edit/", {"name": "改名"}).status_code == 403, kind
        assert client.get(f"/api/v1/places/{plural}/{place.id}").status_code == 200, kind
        patched = client.patch(f"/api/v1/places/{plural}/{place.id}", {"name": "改名"},
                               content_type="application/json")
        assert patched.status_code == 403, kind
        assert patched.json()["code"] == "forbidden"
    for kind, parameter in PARENT_QUERY.items():
        url = f"/places/{kind}/new/?{parameter}={parent_of(world.a, kind).id}"
        assert client.get(url).status_code == 403, kind
    created = client.post("/api/v1/places/grids", {"community_id": world.a.id, "code": "09", "name": "新网格"},
                          content_type="application/json")
    assert created.status_code == 403
    page = client.post(f"/places/grid/new/?community={world.a.id}", {"code": "09", "name": "新网格"})
    assert page.status_code == 403

    assert snapshot() == before


def test_grid_worker_reads_the_whole_community_of_his_grid(world):
    other_grid = Grid.objects.create(community=world.a, code="02", name="第2网格")
    client = client_for(world.user(Role.GRID_WORKER))

    grids = client.get("/api/v1/places/grids").json()

    assert sorted(g["id"] for g in grids) == sorted([world.a.grid.id, other_grid.id])
    assert client.get(f"/api/v1/places/grids/{world.b.grid.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.VOLUNTEER])
def test_residents_and_volunteers_get_403_on_places(world, role):
    client = client_for(world.user(role))
    a = world.a

    urls = ["/places/", f"/places/communities/{a.id}/", f"/places/estates/{a.estate.id}/",
            f"/places/estate/{a.estate.id}/edit/", f"/places/estate/new/?community={a.id}",
            f"/places/community/new/?street={world.street.id}"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for plural in KIND_PLURALS.values():
        response = client.get(f"/api/v1/places/{plural}")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert client.get(f"/api/v1/places/communities/{a.id}").status_code == 403
    assert client.post("/api/v1/places/grids", {"community_id": a.id, "code": "09", "name": "x"},
                       content_type="application/json").status_code == 403


def test_anonymous_visitors_are_sent_to_login(world):
    response = Client().get(f"/places/communities/{world.a.id}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_street_admin_sees_both_communities(world):
    client = client_for(world.user(Role.STREET_ADMIN))

    page = client.get("/places/").content.decode()
    assert world.a.name in page and world.b.name in page
    assert f"/places/community/new/?street={world.street.id}" in page
    ids = [c["id"] for c in client.get("/api/v1/places/communities").json()]
    assert ids == [world.a.id, world.b.id]
    for community in (world.a, world.b):
        assert client.get(f"/places/communities/{community.id}/").status_code == 200
        assert client.get(f"/places/building/{community.building.id}/edit/").status_code == 200
    assert len(client.get("/api/v1/places/buildings").json()) == 2


def test_street_admin_creates_a_community_in_his_street_only(world):
    other_street = Street.objects.create(district=world.street.district, name="别的街道", code="110199002")
    client = client_for(world.user(Role.STREET_ADMIN))

    page = client.post(f"/places/community/new/?street={world.street.id}",
                       {"name": "丙社区", "code": "110199001003", "address": "丙路1号", "phone": ""})
    assert page.status_code == 302
    created = Community.objects.get(code="110199001003")
    assert created.street_id == world.street.id
    assert page["Location"] == f"/places/communities/{created.id}/"

    api = client.post("/api/v1/places/communities",
                      {"street_id": world.street.id, "name": "丁社区", "code": "110199001004"},
                      content_type="application/json")
    assert api.status_code == 201
    assert api.json()["street"] == world.street.id

    refused = client.post("/api/v1/places/communities",
                          {"street_id": other_street.id, "name": "外街社区", "code": "110199002001"},
                          content_type="application/json")
    assert refused.status_code == 403
    assert client.get(f"/places/community/new/?street={other_street.id}").status_code == 403
    assert not Community.objects.filter(street=other_street).exists()


@pytest.mark.parametrize("query", ["", "?community=abc", "?community=", "?community=999999"])
def test_create_page_with_a_missing_or_malformed_parent_is_404(world, query):
    client = client_for(world.user(Role.COMMUNITY_HEAD))
    assert client.get(f"/places/grid/new/{query}").status_code == 404


@pytest.mark.parametrize("query", ["", "?street=abc", "?street=999999"])
def test_community_create_page_without_a_street_of_the_admin_is_403(world, query):
    client = client_for(world.user(Role.STREET_ADMIN))
    assert client.get(f"/places/community/new/{query}").status_code == 403


def test_unknown_kind_is_refused(world):
    client = client_for(world.user(Role.COMMUNITY_HEAD))
    assert client.get(f"/places/street/{world.street.id}/edit/").status_code == 403
    assert client.get("/places/household/new/").status_code == 403
