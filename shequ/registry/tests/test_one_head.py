"""A household has one head in register: adding, correcting, transferring or registering a second is refused
with the head named, and nothing changes; 变更户主 is the way to replace one."""

from datetime import date

import pytest
from django.urls import reverse

from shequ.core.errors import ApplicationError
from shequ.registry import services
from shequ.registry.models import Household, Resident

from .helpers import person, register, register_data


@pytest.fixture
def family(world, worker):
    return register(worker, world.a, [person("张建国"), person("王丽", male=False, relation="spouse")])


def heads(household):
    return list(household.members.filter(status="present", relation="head").values_list("name", flat=True))


def test_a_second_head_is_not_added(family, worker):
    with pytest.raises(ApplicationError, match="已有户主（张建国）") as error:
        services.resident_add(actor=worker, household=family, data=person("张小宝", relation="head"))
    assert error.value.details == {"relation": ["本户已有户主（张建国），请选择与户主的关系；更换户主请用“变更户主”"]}
    assert Household.objects.get(id=family.id).member_count == 2 and not Resident.objects.filter(name="张小宝")


def test_a_member_is_not_corrected_into_a_second_head(family, worker):
    spouse = family.members.get(name="王丽")
    with pytest.raises(ApplicationError, match="已有户主"):
        services.resident_correct(actor=worker, resident=spouse, data={"relation": "head"})
    spouse.refresh_from_db()
    assert spouse.relation == "spouse" and heads(family) == ["张建国"]
    head = family.members.get(name="张建国")  # the head's other data still corrects
    services.resident_correct(actor=worker, resident=head, data={"education": "college"})
    assert Resident.objects.get(id=head.id).education == "college"


def test_a_member_is_not_transferred_in_as_a_second_head(family, world, worker):
    other = register(worker, world.a, [person("李四")], room="202")
    with pytest.raises(ApplicationError, match="已有户主（李四）"):
        services.resident_transfer(actor=worker, resident=family.members.get(name="王丽"), to_household=other,
                                   relation="head")
    assert heads(other) == ["李四"] and Household.objects.get(id=family.id).member_count == 2


def test_a_household_without_a_head_takes_one(family, worker):
    services.resident_record_death(actor=worker, resident=family.members.get(name="张建国"), died_on=date(2026, 1, 2))
    services.resident_add(actor=worker, household=family, data=person("张小宝", relation="head"))
    assert heads(family) == ["张小宝"]


def test_registering_two_heads_names_the_member(world, worker):
    with pytest.raises(ApplicationError, match="成员2") as error:
        register(worker, world.a, [person("赵一"), person("赵二", relation="head")])
    assert "已有户主（赵一）" in error.value.message and not Resident.objects.filter(name__in=["赵一", "赵二"])


def test_the_pages_say_why(family, world, worker, login):
    client = login(worker)
    spouse = family.members.get(name="王丽")
    page = client.post(reverse("registry:resident_correct", args=[spouse.id]), {
        "correct-name": "王丽", "correct-ethnicity": "汉族", "correct-relation": "head",
        "correct-residence_status": "local"}).content.decode()
    assert "已有户主（张建国）" in page and Resident.objects.get(id=spouse.id).relation == "spouse"
    response = client.post(reverse("registry:household_new"), register_data(world.a, [
        {"name": "钱一", "id_number": person("x")["id_number"], "relation": "head"},
        {"name": "钱二", "id_number": person("y")["id_number"], "relation": "head"}]))
    assert "已有户主（钱一）" in response.content.decode() and not Resident.objects.filter(name="钱一")
