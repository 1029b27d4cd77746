"""Life events keep history and never delete; counts follow; validation names the field."""

from datetime import date
from importlib import import_module

import pytest
from django.apps import apps

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.audit.services import audit_record
from shequ.core.errors import ApplicationError, Forbidden
from shequ.places.models import Community
from shequ.registry import selectors, services
from shequ.registry.choices import SENSITIVE_TAGS, HouseholdStatus, ResidentStatus
from shequ.registry.models import Household, NameGram, Resident

from .helpers import person, register


def test_register_household_derives_everything(world, worker):
    household = register(worker, world.a, [person("张建国", born=date(1960, 3, 1)), person("王丽", male=False)])
    assert household.address == "甲社区小区1号楼1单元101室"
    assert household.grid_id == world.a.grid.id and household.resident_group_id == world.a.group.id
    head = household.members.get(name="张建国")
    assert (head.relation, head.sex, head.birth_date) == ("head", "M", date(1960, 3, 1))
    assert (head.name_pinyin, head.name_initials) == ("zhangjianguo", "zjg")
    assert Household.objects.get(id=household.id).member_count == 2
    assert Community.objects.get(id=world.a.id).household_count == 1
    assert set(NameGram.objects.filter(resident=head).values_list("gram", flat=True)) == {"张建", "建国", "国"}
    verbs = list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["household_register", "resident_add", "resident_add"]


def test_invalid_member_leaves_nothing(world, worker):
    bad = person("李四")
    bad["id_number"] = bad["id_number"][:-1] + ("0" if bad["id_number"][-1] != "0" else "1")
    with pytest.raises(ApplicationError) as error:
        register(worker, world.a, [person("张三"), bad])
    assert error.value.message.startswith("成员2：身份证号") and "members.1.id_number" in error.value.details
    assert not Household.objects.exists() and not Resident.objects.exists()
    assert Community.objects.get(id=world.a.id).household_count == 0


def test_legacy_15_digit_id_is_converted(world, worker):
    household = register(worker, world.a, [{"name": "刘老", "id_number": "110105491231002"}])
    resident = household.members.get()
    assert services.resident_reveal(actor=worker, resident=resident, field="id_number", reason="核对") == \
        "11010519491231002X"
    assert AuditEvent.objects.get(verb="resident_add").details["converted_from_15"] is True


def test_same_id_twice_is_refused(world, worker):
    first = person("张三")
    register(worker, world.a, [first])
    with pytest.raises(ApplicationError, match="已登记"):
        register(worker, world.a, [{**first, "name": "张叁"}], room="102")


def test_correct_keeps_old_values_masked(world, worker):
    household = register(worker, world.a, [person("张建国", phone="13800001111")])
    resident = household.members.get()
    services.resident_correct(actor=worker, resident=resident, data={"name": "张建华", "phone": "13900002222"},
                              reason="户口本有误")
    resident.refresh_from_db()
    assert resident.name == "张建华" and resident.phone_masked == "139****2222"
    event = AuditEvent.objects.get(verb="resident_correct")
    assert event.details["changes"]["name"] == {"from": "张建国", "to": "张建华"}
    assert event.details["changes"]["phone_masked"] == {"from": "138****1111", "to": "139****2222"}
    assert "13800001111" not in str(event.details) and event.details["reason"] == "户口本有误"
    assert [r.id for r in selectors.resident_list(worker, q="建华").items] == [resident.id]
    assert [r.id for r in selectors.resident_list(worker, q="zjh").items] == [resident.id]


def test_move_out_death_transfer_split_merge(world, worker):
    household = register(worker, world.a, [person("张一"), person("张二"), person("张三"), person("张四")])
    one, two, three, four = household.members.order_by("id")
    services.resident_move_out(actor=worker, resident=four, on=date(2026, 1, 5), destination="上海")
    services.resident_record_death(actor=worker, resident=three, died_on=date(2026, 2, 1))
    assert Resident.objects.get(id=four.id).status == ResidentStatus.MOVED_OUT
    assert Resident.objects.get(id=three.id).status == ResidentStatus.DECEASED
    assert Household.objects.get(id=household.id).member_count == 2
    with pytest.raises(ApplicationError):
        services.resident_move_out(actor=worker, resident=Resident.objects.get(id=three.id))

    new = services.household_split(actor=worker, household=household, residents=[two], room="202")
    two.refresh_from_db()
    assert two.household_id == new.id and two.relation == "head"
    assert Community.objects.get(id=world.a.id).household_count == 2

    services.household_merge(actor=worker, source=new, target=Household.objects.get(id=household.id))
    two.refresh_from_db()
    assert two.household_id == household.id and two.relation != "head"
    assert Household.objects.get(id=new.id).status == HouseholdStatus.CLOSED
    assert Community.objects.get(id=world.a.id).household_count == 1
    assert Resident.objects.count() == 4  # nobody deleted

    services.household_move_out(actor=worker, household=Household.objects.get(id=household.id))
    assert Household.objects.get(id=household.id).status == HouseholdStatus.MOVED_OUT
    assert Community.objects.get(id=world.a.id).household_count == 0
    history = selectors.record_history(worker, two)
    assert {"resident_transfer", "resident_move_out", "resident_add"} <= {e.verb for e in history}


def test_other_community_worker_cannot_write(world, worker):
    household = register(worker, world.a, [person("张一")])
    outsider = world.user(Role.COMMUNITY_WORKER, community=world.b)
    with pytest.raises(Forbidden):
        services.resident_add(actor=outsider, household=household, data=person("张二"))
    with pytest.raises(Forbidden):
        services.resident_move_out(actor=outsider, resident=household.members.get())


def test_sensitive_tags_need_a_grant(world, worker):
    household = register(worker, world.a, [person("张一")])
    resident = household.members.get()
    with pytest.raises(Forbidden):
        services.resident_tag_add(actor=worker, resident=resident, kind="health", details={"condition": "x"})
    services.resident_tag_add(actor=worker, resident=resident, kind="disabled", details={"grade": "二级"})
    head = world.user(Role.COMMUNITY_HEAD)
    head.memberships.update(sensitive_access=True)
    head = type(head).objects.get(id=head.id)
    tag = services.resident_tag_add(actor=head, resident=resident, kind="health",
                                    details={"condition": "严重精神障碍"})
    assert tag.details == {} and tag.details_enc.startswith("v1.")
    resident = selectors.resident_get(worker, resident.id)
    assert [t.kind for t in selectors.visible_tags(worker, resident)] == ["disabled"]
    resident = selectors.resident_get(head, resident.id)
    assert {t.kind for t in selectors.visible_tags(head, resident)} == {"disabled", "health"}
    assert selectors.resident_list(worker, tag="health", community_id=world.a.id).items == []
    assert len(selectors.resident_list(head, tag="health", community_id=world.a.id).items) == 1
    # The list as the page asks for it, with no community named: found where granted, nowhere else.
    assert [r.id for r in selectors.resident_list(head, tag="health").items] == [resident.id]
    assert selectors.resident_list(worker, tag="health").items == []
    street_admin = world.user(Role.STREET_ADMIN)
    street_admin.memberships.update(sensitive_access=True)  # a street membership never opens them
    assert selectors.resident_list(street_admin, tag="health").items == []


def test_the_list_page_offers_sensitive_tags_only_with_a_grant(world, worker, client):
    head = world.user(Role.COMMUNITY_HEAD)
    head.memberships.update(sensitive_access=True)
    for user, offered in ((head, True), (worker, False)):
        client.force_login(user)
        page = client.get("/registry/").content.decode()
        assert ('value="drug_rehab"' in page) is offered and 'value="dibao"' in page


def test_tag_reveal_needs_the_grant_something_sealed_and_a_reason(world, worker):
    resident = register(worker, world.a, [person("张一")]).members.get()
    head = world.user(Role.COMMUNITY_HEAD)
    head.memberships.update(sensitive_access=True)
    tag = services.resident_tag_add(actor=head, resident=resident, kind="resettlement",
                                    details={"helper": "赵社工"})
    plain = services.resident_tag_add(actor=worker, resident=resident, kind="disabled", details={"grade": "二级"})
    with pytest.raises(Forbidden):
        services.resident_tag_reveal(actor=worker, tag=tag, reason="走访")
    with pytest.raises(ApplicationError, match="请填写查看原因"):
        services.resident_tag_reveal(actor=head, tag=tag, reason=" ")
    with pytest.raises(ApplicationError, match="没有隐藏的详情"):  # no number in it: nothing was sealed
        services.resident_tag_reveal(actor=head, tag=plain, reason="走访")
    assert not AuditEvent.objects.filter(verb="tag_reveal").exists()
    assert services.resident_tag_reveal(actor=head, tag=tag, reason="走访") == {"helper": "赵社工"}
    assert AuditEvent.objects.get(verb="tag_reveal").details == {"kind": "resettlement", "tag": tag.id,
                                                                "reason": "走访"}
    # The sensitive tag's events are in the history only for those with the grant.
    assert {e.verb for e in selectors.record_history(head, resident)} >= {"tag_add", "tag_reveal"}
    assert [e.details["kind"] for e in selectors.record_history(worker, resident) if e.verb.startswith("tag_")] == [
        "disabled"]
    # In the audit trail they are marked, and so listed only to readers granted sensitive access.
    assert set(AuditEvent.objects.filter(sensitive=True).values_list("verb", flat=True)) == {"tag_add", "tag_reveal"}
    assert AuditEvent.objects.get(verb="tag_add", details__kind="disabled").sensitive is False


def test_migration_marks_the_sensitive_tag_events_written_before(world):
    migration = import_module("shequ.registry.migrations.0004_sensitive_tag_events")
    assert set(migration.SENSITIVE_KINDS) == set(SENSITIVE_TAGS)
    earlier = [audit_record(None, verb, world.a.estate, details={"kind": kind})
               for verb, kind in [("tag_add", "health"), ("tag_reveal", "drug_rehab"), ("tag_end", "resettlement"),
                                  ("tag_add", "dibao"), ("update", "health")]]
    migration.mark(apps, None)
    assert [e.id for e in earlier if AuditEvent.objects.get(id=e.id).sensitive] == [e.id for e in earlier[:3]]
