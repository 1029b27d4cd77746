"""bulk_register: many households at once, by the same rules as the services, all or nothing."""

import pytest

from shequ.audit.models import AuditEvent
from shequ.core.errors import ApplicationError
from shequ.registry import selectors
from shequ.registry.bulk import bulk_register
from shequ.registry.fake import households
from shequ.registry.models import Household, NameGram, Resident, ResidentTag
from shequ.registry.protection import open_tag_details, reveal_id_number


def place(community, room):
    return {"building": community.building, "entrance": community.entrance, "room": room}


def test_registers_households_members_pieces_and_tags(world):
    rows = [h | place(world.a, f"{i + 1:02d}01") for i, h in enumerate(households(40, seed=3))]
    rows[0]["members"][0]["tags"].append({"kind": "health", "details": {"condition": "测试"}})
    totals = bulk_register(world.a, rows)

    members = sum(len(h["members"]) for h in rows)
    assert totals == {"households": 40, "residents": members, "tags": ResidentTag.objects.count()}
    world.a.refresh_from_db()
    assert world.a.household_count == Household.objects.filter(community=world.a).count() == 40
    assert Household.objects.values("number").distinct().count() == 40
    first = Household.objects.order_by("id").first()
    assert first.member_count == len(rows[0]["members"]) and first.grid_id == world.a.building.grid_id
    head = first.members.order_by("id").first()
    assert reveal_id_number(head) == rows[0]["members"][0]["id_number"]
    assert NameGram.objects.filter(resident=head).exists()
    health = ResidentTag.objects.get(kind="health")
    assert health.details == {} and open_tag_details(health.details_enc) == {"condition": "测试"}
    event = AuditEvent.objects.get(verb="household_bulk_register")
    assert event.community_id == world.a.id and event.details["residents"] == members


def test_registered_residents_are_found_by_the_search(world):
    from shequ.accounts.models import Role

    rows = [h | place(world.a, f"{i + 1:02d}01") for i, h in enumerate(households(20, seed=4))]
    bulk_register(world.a, rows)
    worker = world.user(Role.COMMUNITY_WORKER)
    someone = Resident.objects.order_by("id")[7]
    page = selectors.resident_list(worker, q=someone.name)
    assert someone.id in [r.id for r in page.items]
    assert someone.id in [r.id for r in selectors.resident_list(worker, q=reveal_id_number(someone)[-6:]).items]


def test_a_bad_member_writes_nothing(world):
    rows = [h | place(world.a, f"{i + 1:02d}01") for i, h in enumerate(households(10, seed=5))]
    good = rows[-1]["members"][0]["id_number"]
    rows[-1]["members"][0]["id_number"] = good[:-1] + ("1" if good.endswith("0") else "0")  # wrong check digit
    with pytest.raises(ApplicationError) as error:
        bulk_register(world.a, rows, batch_size=3)
    assert "身份证号" in error.value.message
    assert not Household.objects.exists() and not Resident.objects.exists()
    assert not AuditEvent.objects.filter(verb="household_bulk_register").exists()


def test_place_of_another_community_is_refused(world):
    rows = [h | place(world.b, "101") for h in households(1, seed=6)]
    with pytest.raises(ApplicationError):
        bulk_register(world.a, rows)
