"""Automatic household numbers count within each community (H00000001 on), past any H-number it has or is about
to write; a household left without members says so on its page."""

from datetime import date

from django.urls import reverse

from shequ.accounts.models import Role
from shequ.registry import services
from shequ.registry.bulk import bulk_register
from shequ.registry.models import Household

from .helpers import person, register
from .test_import import commit, roster, upload, xlsx


def test_each_community_counts_its_own_numbers(world, worker):
    assert register(worker, world.a, [person("赵一")]).number == "H00000001"
    assert register(worker, world.a, [person("钱二")], room="102").number == "H00000002"
    other = world.user(Role.COMMUNITY_WORKER, community=world.b)
    assert register(other, world.b, [person("孙三")]).number == "H00000001"
    register(worker, world.a, [person("李四")], room="103", number="H00000010")
    register(worker, world.a, [person("周五")], room="104", number="3-2-501")  # not an automatic number
    assert register(worker, world.a, [person("吴六")], room="105").number == "H00000011"


def test_bulk_and_imports_number_the_same_way(world, worker):
    register(worker, world.a, [person("赵一")])
    bulk_register(world.a, [{"building": world.a.building, "entrance": world.a.entrance, "room": "201",
                             "members": [person("钱二")]}])
    assert Household.objects.get(room="201").number == "H00000002"
    head = world.user(Role.COMMUNITY_HEAD)
    data = xlsx(roster(["", "孙三", "户主", person("x")["id_number"], "甲社区小区1号楼1单元301室", ""],
                       ["H00000007", "李四", "户主", person("y")["id_number"], "甲社区小区1号楼1单元302室", ""]))
    assert commit(head, upload(head, world.a, data)).applied_rows == 2
    assert Household.objects.get(room="301").number == "H00000008"  # past the file's own H00000007


def test_a_household_without_members_says_what_to_do(world, worker, login):
    household = register(worker, world.a, [person("赵一")])
    client = login(worker)
    assert "data-empty" not in client.get(reverse("registry:household", args=[household.id])).content.decode()
    services.resident_move_out(actor=worker, resident=household.members.get(), on=date(2026, 3, 1))
    page = client.get(reverse("registry:household", args=[household.id])).content.decode()
    assert "本户已无在册成员" in page and "data-headless" not in page
