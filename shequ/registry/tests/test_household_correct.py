"""Correcting a household (number, type, housing, contact phone, address, grid and group) and changing its head:
through the services, the household page and the API; members follow; the history says what it was before."""

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.core.errors import ApplicationError, Forbidden
from shequ.places.models import Building, Grid, ResidentGroup
from shequ.registry import selectors, services
from shequ.registry.models import Household, Resident

from .helpers import person, register


@pytest.fixture
def east(world):
    """A second building of 甲社区, in its own grid and group."""
    a = world.a
    grid = Grid.objects.create(community=a, code="02", name="第2网格")
    group = ResidentGroup.objects.create(community=a, number=2, name="第2居民小组")
    return Building.objects.create(community=a, estate=a.estate, number="2", grid=grid, resident_group=group)


@pytest.fixture
def family(world, worker):
    return register(worker, world.a, [person("张一", phone="13800001111"), person("王二", male=False,
                                                                              relation="spouse"),
                                      person("张三", born=date(2005, 5, 5), relation="child")],
                    phone="13800001111")


def test_correcting_the_data_keeps_what_it_was_masked(family, worker):
    number = family.number
    services.household_correct(actor=worker, household=family, reason="入户核对", data={
        "number": "A-0101", "household_type": "floating", "housing": "rented", "phone": "13900002222"})
    family.refresh_from_db()
    assert (family.number, family.household_type, family.housing, family.phone_masked) == (
        "A-0101", "floating", "rented", "139****2222")
    event = AuditEvent.objects.get(verb="household_correct")
    assert event.details["changes"] == {
        "number": {"from": number, "to": "A-0101"}, "household_type": {"from": "resident", "to": "floating"},
        "housing": {"from": "owned", "to": "rented"}, "phone_masked": {"from": "138****1111", "to": "139****2222"}}
    assert event.details["reason"] == "入户核对" and "13900002222" not in str(event.details)
    assert selectors.household_find(worker, community_id=family.community_id, number="A-0101").id == family.id


def test_a_phone_changed_behind_its_mask_is_still_a_change(family, worker):
    services.household_correct(actor=worker, household=family, data={"phone": "13800991111"})
    family.refresh_from_db()
    assert family.phone_masked == "138****1111"
    assert AuditEvent.objects.get(verb="household_correct").details["changes"] == {
        "phone_masked": {"from": "138****1111", "to": "138****1111"}}
    services.household_correct(actor=worker, household=family, data={"phone": ""})
    family.refresh_from_db()
    assert (family.phone_enc, family.phone_hash, family.phone_masked) == ("", "", "")


def test_nothing_changed_writes_nothing(family, worker):
    services.household_correct(actor=worker, household=family, data={
        "number": family.number, "housing": "owned", "phone": None, "room": "101"})
    assert not AuditEvent.objects.filter(verb="household_correct").exists()


def test_a_new_address_moves_the_members_to_its_grid_and_group(family, worker, east):
    services.household_correct(actor=worker, household=family, data={
        "building": east, "entrance": None, "room": "502", "grid": None, "resident_group": None})
    family.refresh_from_db()
    assert family.address == "甲社区小区2号楼502室"
    assert (family.grid_id, family.resident_group_id, family.placement_overridden) == (
        east.grid_id, east.resident_group_id, False)
    assert set(Resident.objects.filter(household=family).values_list("grid_id", "resident_group_id", "building_id")) \
        == {(east.grid_id, east.resident_group_id, east.id)}
    assert {r.name for r in selectors.resident_list(worker, grid_id=east.grid_id).items} == {"张一", "王二", "张三"}
    changes = AuditEvent.objects.get(verb="household_correct").details["changes"]
    assert changes["address"] == {"from": "甲社区小区1号楼1单元101室", "to": "甲社区小区2号楼502室"}
    assert changes["grid"] == {"from": "第1网格", "to": "第2网格"}


def test_a_grid_chosen_by_hand_stays_until_cleared(family, worker, world, east):
    services.household_correct(actor=worker, household=family, data={"grid": east.grid, "resident_group": None})
    family.refresh_from_db()
    assert (family.grid_id, family.resident_group_id, family.placement_overridden) == (
        east.grid_id, world.a.group.id, True)
    services.household_correct(actor=worker, household=family, data={"room": "102"})  # the grid stays
    family.refresh_from_db()
    assert family.grid_id == east.grid_id and family.address.endswith("102室")
    services.household_correct(actor=worker, household=family, data={"grid": None, "resident_group": None})
    family.refresh_from_db()
    assert (family.grid_id, family.placement_overridden) == (world.a.grid.id, False)
    assert set(Resident.objects.filter(household=family).values_list("grid_id", flat=True)) == {world.a.grid.id}


def test_a_grid_worker_cannot_move_a_household_out_of_their_grid(family, world, east):
    grid_worker = world.user(Role.GRID_WORKER)
    with pytest.raises(Forbidden):
        services.household_correct(actor=grid_worker, household=family, data={"building": east})
    assert Household.objects.get(id=family.id).building_id == world.a.building.id
    assert not AuditEvent.objects.filter(verb="household_correct").exists()


@pytest.mark.parametrize(("field", "value"), [
    ("number", None),  # the number of another household
    ("household_type", "unknown"),
    ("phone", "12345"),
])
def test_bad_corrections_name_the_field_and_change_nothing(family, worker, world, field, value):
    other = register(worker, world.a, [person("李四")], room="102")
    with pytest.raises(ApplicationError) as error:
        services.household_correct(actor=worker, household=family, data={field: value or other.number})
    assert field in error.value.details
    saved = Household.objects.get(id=family.id)
    assert (saved.number, saved.household_type, saved.phone_masked) == (family.number, "resident", "138****1111")


def test_a_building_of_another_community_is_refused(family, worker, world):
    with pytest.raises(ApplicationError, match="楼栋不属于所选小区"):
        services.household_correct(actor=worker, household=family, data={"building": world.b.building})


def test_changing_the_head_restates_every_relation(family, worker):
    one, two, three = (family.members.get(name=name) for name in ("张一", "王二", "张三"))
    services.resident_record_death(actor=worker, resident=one, died_on=date(2026, 3, 1))
    services.household_change_head(actor=worker, household=family, head=two, relations={three.id: "child"})
    assert {r.name: r.relation for r in family.members.all()} == {"张一": "head", "王二": "head", "张三": "child"}
    assert AuditEvent.objects.get(verb="household_head_change").details == {"head": {"from": "", "to": "王二"}}
    assert AuditEvent.objects.get(verb="resident_correct", target_id=str(two.id)).details["changes"] == {
        "relation": {"from": "spouse", "to": "head"}}


def test_a_former_head_in_the_register_needs_a_new_relation(family, worker):
    one, two = family.members.get(name="张一"), family.members.get(name="王二")
    with pytest.raises(ApplicationError, match="请为张一选择与新户主的关系") as error:
        services.household_change_head(actor=worker, household=family, head=two)
    assert f"relation_{one.id}" in error.value.details
    assert Resident.objects.get(id=two.id).relation == "spouse"
    services.household_change_head(actor=worker, household=family, head=two, relations={one.id: "spouse"})
    assert AuditEvent.objects.get(verb="household_head_change").details == {"head": {"from": "张一", "to": "王二"}}


def test_the_head_must_be_in_the_register(family, worker):
    three = family.members.get(name="张三")
    services.resident_move_out(actor=worker, resident=three)
    with pytest.raises(ApplicationError, match="在册成员"):
        services.household_change_head(actor=worker, household=family, head=three,
                                       relations={family.members.get(name="张一").id: "parent"})


# -- the household page ----------------------------------------------------------------------------------

def test_the_page_corrects_and_shows_the_history(family, worker, login, east):
    client = login(worker)
    url = reverse("registry:household_correct", args=[family.id])
    response = client.post(url, {
        "correct-number": family.number, "correct-household_type": "resident", "correct-housing": "rented",
        "correct-phone": "", "correct-building": east.id, "correct-entrance": "", "correct-room": "302",
        "correct-grid": "", "correct-resident_group": "", "correct-reason": "租住核实"}, follow=True)
    page = response.content.decode()
    assert f"已更正户 {family.number} 的信息" in page
    assert "住房性质：自有 → 租住" in page and "网格：第1网格 → 第2网格" in page and "原因：租住核实" in page
    assert "联系电话" in page and "13800001111" not in page
    again = client.post(url, {
        "correct-number": family.number, "correct-household_type": "resident", "correct-housing": "rented",
        "correct-phone": "", "correct-building": east.id, "correct-entrance": "", "correct-room": "302",
        "correct-grid": "", "correct-resident_group": ""}, follow=True).content.decode()
    assert "信息与原来相同，未作更正" in again and "已更正户" not in again


def test_the_page_shows_errors_on_the_form(family, worker, login):
    client = login(worker)
    response = client.post(reverse("registry:household_correct", args=[family.id]), {
        "correct-number": family.number, "correct-household_type": "resident", "correct-housing": "owned",
        "correct-phone": "12345", "correct-building": family.building_id, "correct-room": "101"})
    page = response.content.decode()
    assert response.status_code == 200 and '<details id="correct"' in page and "open" in page.split('id="correct"')[1][:60]
    correct_form = page.split('id="correct"')[1].split("</details>")[0]
    assert "电话号码格式不正确" in correct_form
    assert Household.objects.get(id=family.id).phone_masked == "138****1111"


def test_a_household_without_a_head_says_so_and_the_page_changes_it(family, worker, login):
    client = login(worker)
    one, two, three = (family.members.get(name=name) for name in ("张一", "王二", "张三"))
    services.resident_record_death(actor=worker, resident=one, died_on=date(2026, 3, 1))
    page = client.get(reverse("registry:household", args=[family.id])).content.decode()
    assert "data-headless" in page and "本户暂无在册户主" in page
    url = reverse("registry:household_change_head", args=[family.id])
    missing = client.post(url, {"head-head": str(two.id), f"head-relation_{three.id}": ""}).content.decode()
    assert "请选择与新户主的关系" in missing and "data-headless" in missing
    done = client.post(url, {"head-head": str(two.id), f"head-relation_{three.id}": "child"}, follow=True)
    page = done.content.decode()
    assert "户主已变更为 王二" in page and "data-headless" not in page and "户主：空 → 王二" in page


def test_the_actions_speak_english_when_asked(family, worker, login):
    client = login(worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("registry:household", args=[family.id])).content.decode()
    assert "Correct household" in page and "Change head" in page and "更正户信息" not in page


# -- the API ------------------------------------------------------------------------------------------------

def test_the_api_corrects_only_what_is_sent(family, worker, login, east):
    client = login(worker)
    url = f"/api/v1/registry/households/{family.id}"
    body = client.patch(url, {"housing": "dormitory", "grid_id": east.grid_id, "reason": "核对"},
                        content_type="application/json").json()
    assert body["housing"] == "dormitory" and body["number"] == family.number
    family.refresh_from_db()
    assert (family.grid_id, family.placement_overridden, family.phone_masked) == (east.grid_id, True, "138****1111")
    bad = client.patch(url, {"phone": "12345"}, content_type="application/json")
    assert bad.status_code == 400 and "phone" in bad.json()["details"]


def test_the_api_changes_the_head(family, worker, login):
    client = login(worker)
    one, two = family.members.get(name="张一"), family.members.get(name="王二")
    url = f"/api/v1/registry/households/{family.id}/head"
    refused = client.post(url, {"head_id": two.id}, content_type="application/json")
    assert refused.status_code == 400 and f"relation_{one.id}" in refused.json()["details"]
    body = client.post(url, {"head_id": two.id, "relations": {str(one.id): "spouse"}},
                       content_type="application/json").json()
    assert {m["name"]: m["relation"] for m in body["members"]} == {"张一": "spouse", "王二": "head", "张三": "child"}


def test_the_api_of_another_community_gets_404(family, world, login):
    client = login(world.user(Role.COMMUNITY_WORKER, community=world.b))
    assert client.patch(f"/api/v1/registry/households/{family.id}", {"housing": "rented"},
                        content_type="application/json").status_code == 404
    assert client.post(f"/api/v1/registry/households/{family.id}/head", {"head_id": 1},
                       content_type="application/json").status_code == 404
    assert Household.objects.get(id=family.id).housing == "owned"
