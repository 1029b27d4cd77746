"""Writing places through the pages and the API: what is saved, what is refused, and what is audited."""

import pytest
from django.test import Client

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.places.models import Building, Community, Entrance, Estate, Grid

WARNING_MARK = "第六条"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def api_post(client, url, data):
    return client.post(url, data, content_type="application/json")


def api_patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def community_form(community, **changes):
    data = {"name": community.name, "code": community.code, "address": community.address, "phone": community.phone}
    return {**data, **changes}


def the_event(verb, place):
    return AuditEvent.objects.get(verb=verb, target_type=place._meta.label_lower, target_id=str(place.pk))


# ---------------------------------------------------------------- creating and editing, with the audit


def test_head_creates_an_estate_through_the_page(world):
    head = world.user(Role.COMMUNITY_HEAD)
    client = client_for(head)

    response = client.post(f"/places/estate/new/?community={world.a.id}",
                           {"name": "新建小区", "address": "安和路8号", "property_company": "安和物业"})

    estate = Estate.objects.get(name="新建小区")
    assert response.status_code == 302
    assert response["Location"] == f"/places/communities/{world.a.id}/"
    assert estate.community_id == world.a.id
    event = the_event("create", estate)
    assert event.actor_id == head.id
    assert event.source == "web"
    assert event.community_id == world.a.id
    assert event.target_label == "新建小区"
    assert event.details["name"] == "新建小区"


def test_head_creates_a_building_through_the_page_in_the_estates_community(world):
    head = world.user(Role.COMMUNITY_HEAD)
    client = client_for(head)

    response = client.post(f"/places/building/new/?estate={world.a.estate.id}",
                           {"number": "2", "floors": "18", "grid": world.a.grid.id,
                            "resident_group": world.a.group.id})

    assert response.status_code == 302
    assert response["Location"] == f"/places/estates/{world.a.estate.id}/"
    building = Building.objects.get(estate=world.a.estate, number="2")
    assert (building.community_id, building.floors, building.grid_id) == (world.a.id, 18, world.a.grid.id)
    assert the_event("create", building).community_id == world.a.id


def test_entrance_inherits_the_community_of_its_building_through_the_api(world):
    admin = world.user(Role.STREET_ADMIN)

    response = api_post(client_for(admin), "/api/v1/places/entrances",
                        {"building_id": world.b.building.id, "number": "2"})

    assert response.status_code == 201
    assert response.json()["community"] == world.b.id
    entrance = Entrance.objects.get(id=response.json()["id"])
    event = the_event("create", entrance)
    assert (event.actor_id, event.source, event.community_id) == (admin.id, "api", world.b.id)


def test_head_edits_a_grid_through_the_page_and_the_change_is_audited(world):
    head = world.user(Role.COMMUNITY_HEAD)
    grid = world.a.grid

    response = client_for(head).post(f"/places/grid/{grid.id}/edit/",
                                     {"code": grid.code, "name": "东片网格", "description": "1-3号楼"})

    assert response.status_code == 302
    grid.refresh_from_db()
    assert (grid.name, grid.description) == ("东片网格", "1-3号楼")
    event = the_event("update", grid)
    assert (event.actor_id, event.source, event.community_id) == (head.id, "web", world.a.id)
    assert event.details == {"changes": {"name": {"from": "第1网格", "to": "东片网格"},
                                         "description": {"from": "", "to": "1-3号楼"}}}


def test_saving_without_changes_records_nothing(world):
    head = world.user(Role.COMMUNITY_HEAD)
    grid = world.a.grid

    response = client_for(head).post(f"/places/grid/{grid.id}/edit/",
                                     {"code": grid.code, "name": grid.name, "description": grid.description})

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(verb="update").exists()


def test_head_patches_an_estate_through_the_api(world):
    head = world.user(Role.COMMUNITY_HEAD)

    response = api_patch(client_for(head), f"/api/v1/places/estates/{world.a.estate.id}",
                         {"property_company": "新物业公司"})

    assert response.status_code == 200
    assert response.json()["property_company"] == "新物业公司"
    estate = Estate.objects.get(id=world.a.estate.id)
    assert estate.property_company == "新物业公司"
    assert estate.name == world.a.estate.name  # fields left out of a PATCH stay as they were
    event = the_event("update", estate)
    assert (event.actor_id, event.source, event.community_id) == (head.id, "api", world.a.id)
    assert list(event.details["changes"]) == ["property_company"]


def test_head_edits_his_own_community_and_it_is_audited_on_it(world):
    head = world.user(Role.COMMUNITY_HEAD, community=world.b)

    response = client_for(head).post(f"/places/community/{world.b.id}/edit/",
                                     community_form(world.b, address="乙路2号"))

    assert response.status_code == 302
    assert response["Location"] == f"/places/communities/{world.b.id}/"
    event = the_event("update", world.b)
    assert (event.community_id, event.street_id, event.source) == (world.b.id, world.street.id, "web")


def test_street_admin_creates_a_community_through_the_api_and_it_is_audited(world):
    admin = world.user(Role.STREET_ADMIN)

    response = api_post(client_for(admin), "/api/v1/places/communities",
                        {"street_id": world.street.id, "name": "丙社区", "code": "110199001003"})

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["household_count"]) == ("丙社区", 0)
    community = Community.objects.get(id=body["id"])
    event = the_event("create", community)
    assert (event.actor_id, event.source) == (admin.id, "api")
    assert (event.community_id, event.street_id) == (community.id, world.street.id)


# ---------------------------------------------------------------- validation: nothing half-written


def test_building_with_a_grid_of_another_community_is_refused_through_the_api(world):
    admin = world.user(Role.STREET_ADMIN)
    client = client_for(admin)

    response = api_post(client, "/api/v1/places/buildings",
                        {"estate_id": world.a.estate.id, "number": "7", "grid_id": world.b.grid.id})

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "所属网格不属于本社区"
    assert body["details"] == {"grid": ["不属于本社区"]}
    assert not Building.objects.filter(number="7").exists()
    assert not AuditEvent.objects.filter(verb="create").exists()


def test_moving_a_building_to_a_grid_of_another_community_writes_nothing(world):
    admin = world.user(Role.STREET_ADMIN)
    building = world.a.building

    response = api_patch(client_for(admin), f"/api/v1/places/buildings/{building.id}",
                         {"grid_id": world.b.grid.id, "floors": 30})

    assert response.status_code == 400
    assert "不属于本社区" in response.json()["message"]
    fresh = Building.objects.get(id=building.id)
    assert (fresh.grid_id, fresh.floors) == (world.a.grid.id, None)
    assert not AuditEvent.objects.filter(verb="update").exists()


def test_building_form_refuses_a_grid_of_another_community(world):
    admin = world.user(Role.STREET_ADMIN)
    client = client_for(admin)

    response = client.post(f"/places/building/new/?estate={world.a.estate.id}",
                           {"number": "7", "grid": world.b.grid.id})

    assert response.status_code == 200
    assert "有效的选项" in response.content.decode()  # Django's Chinese "select a valid choice"
    assert not Building.objects.filter(number="7").exists()

    edit = client.post(f"/places/building/{world.a.building.id}/edit/",
                       {"number": "1", "grid": world.b.grid.id, "resident_group": world.b.group.id})
    assert edit.status_code == 200
    assert Building.objects.get(id=world.a.building.id).grid_id == world.a.grid.id
    assert not AuditEvent.objects.exists()


def test_building_form_offers_only_the_grids_and_groups_of_its_community(world):
    body = client_for(world.user(Role.STREET_ADMIN)).get(
        f"/places/building/new/?estate={world.a.estate.id}").content.decode()
    assert f'value="{world.a.grid.id}"' in body
    assert f'value="{world.b.grid.id}"' not in body
    assert f'value="{world.b.group.id}"' not in body


def test_duplicate_community_code_is_a_clear_form_error(world):
    admin = world.user(Role.STREET_ADMIN)
    client = client_for(admin)

    response = client.post(f"/places/community/new/?street={world.street.id}",
                           {"name": "重复社区", "code": world.a.code})

    assert response.status_code == 200
    body = response.content.decode()
    assert "社区代码" in body and "已存在" in body
    assert 'class="field has-error"' in body
    assert Community.objects.count() == 2

    edit = client.post(f"/places/community/{world.b.id}/edit/", community_form(world.b, code=world.a.code))
    assert edit.status_code == 200
    assert "已存在" in edit.content.decode()
    assert Community.objects.get(id=world.b.id).code == "110199001002"


def test_duplicate_community_code_through_the_api_is_a_400_naming_the_field(world):
    admin = world.user(Role.STREET_ADMIN)
    client = client_for(admin)

    created = api_post(client, "/api/v1/places/communities",
                       {"street_id": world.street.id, "name": "重复社区", "code": world.a.code})
    patched = api_patch(client, f"/api/v1/places/communities/{world.b.id}", {"code": world.a.code})

    for response in (created, patched):
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert "已存在" in body["message"]
        assert list(body["details"]) == ["code"]
    assert Community.objects.count() == 2
    assert Community.objects.get(id=world.b.id).code == "110199001002"


@pytest.mark.parametrize("code", ["abc", "11019900100", "1101990010011", "11019900100X"])
def test_editing_a_community_with_an_invalid_code_leaves_the_row_unchanged(world, code):
    head = world.user(Role.COMMUNITY_HEAD)
    before = Community.objects.filter(id=world.a.id).values().get()

    response = client_for(head).post(f"/places/community/{world.a.id}/edit/",
                                     community_form(world.a, name="改了名字", code=code))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="field has-error"' in body
    if len(code) <= 12:
        assert "社区代码应为12位数字" in body
    else:
        assert "不超过 12 字符" in body
    assert Community.objects.filter(id=world.a.id).values().get() == before
    assert not AuditEvent.objects.exists()


def test_invalid_community_code_through_the_api_is_refused(world):
    head = world.user(Role.COMMUNITY_HEAD)

    response = api_patch(client_for(head), f"/api/v1/places/communities/{world.a.id}",
                         {"code": "12ab", "name": "改了名字"})

    assert response.status_code == 400
    assert response.json()["details"]["code"] == ["社区代码应为12位数字（统计用区划代码）"]
    assert Community.objects.get(id=world.a.id).name == "甲社区"


def test_duplicate_grid_code_in_one_community_is_refused_but_another_community_may_reuse_it(world):
    head = world.user(Role.COMMUNITY_HEAD)
    client = client_for(head)

    duplicate = api_post(client, "/api/v1/places/grids", {"community_id": world.a.id, "code": "01", "name": "重复"})
    assert duplicate.status_code == 400
    assert Grid.objects.filter(community=world.a).count() == 1

    admin = client_for(world.user(Role.STREET_ADMIN))
    assert api_post(admin, "/api/v1/places/grids", {"community_id": world.b.id, "code": "02", "name": "二"}
                    ).status_code == 201


def test_required_field_left_empty_on_a_page_is_a_form_error(world):
    head = world.user(Role.COMMUNITY_HEAD)

    response = client_for(head).post(f"/places/estate/new/?community={world.a.id}", {"name": ""})

    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert Estate.objects.count() == 2


# ---------------------------------------------------------------- the household-count warning (law art. 6)


@pytest.mark.parametrize("households, warned", [(50, True), (99, True), (100, False), (300, False),
                                                 (700, False), (701, True), (800, True)])
def test_household_count_outside_100_to_700_is_warned_on_page_and_api(world, households, warned):
    Community.objects.filter(id=world.a.id).update(household_count=households)
    client = client_for(world.user(Role.COMMUNITY_HEAD))

    page = client.get(f"/places/communities/{world.a.id}/").content.decode()
    api = client.get(f"/api/v1/places/communities/{world.a.id}").json()

    assert (WARNING_MARK in page) is warned
    assert api["household_count"] == households
    if warned:
        assert WARNING_MARK in api["household_warning"]
        assert str(households) in api["household_warning"]
    else:
        assert api["household_warning"] is None


def test_the_household_count_warning_speaks_english_when_asked(world, settings):
    Community.objects.filter(id=world.a.id).update(household_count=800)
    client = client_for(world.user(Role.COMMUNITY_HEAD))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/places/communities/{world.a.id}/").content.decode()
    assert "800 households is outside the 100–700 range of article 6" in page and WARNING_MARK not in page


@pytest.mark.parametrize("households", [50, 800])
def test_a_community_outside_the_range_still_saves(world, households):
    Community.objects.filter(id=world.a.id).update(household_count=households)
    world.a.refresh_from_db()
    client = client_for(world.user(Role.COMMUNITY_HEAD))

    page = client.post(f"/places/community/{world.a.id}/edit/", community_form(world.a, address="甲路1号"),
                       follow=True)
    assert page.status_code == 200
    assert "已保存社区" in page.content.decode()
    assert WARNING_MARK in page.content.decode()

    api = api_patch(client, f"/api/v1/places/communities/{world.a.id}", {"phone": "010-65001234"})
    assert api.status_code == 200
    assert WARNING_MARK in api.json()["household_warning"]

    community = Community.objects.get(id=world.a.id)
    assert (community.address, community.phone, community.household_count) == ("甲路1号", "010-65001234",
                                                                               households)


def test_community_list_marks_communities_outside_the_range(world):
    Community.objects.filter(id=world.a.id).update(household_count=800)
    Community.objects.filter(id=world.b.id).update(household_count=300)
    page = client_for(world.user(Role.STREET_ADMIN)).get("/places/").content.decode()
    assert page.count("规模超出法定范围") == 1
