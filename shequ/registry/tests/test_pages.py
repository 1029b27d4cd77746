"""The registry pages: 登记新户, the household and resident cards with their life-event forms, the list.
Everything goes through the pages as a browser would post it; the database is real."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from shequ.accounts.models import Membership, Role
from shequ.audit.models import AuditEvent
from shequ.core.identity import make_id_number
from shequ.places.models import Building, Entrance, Grid
from shequ.registry import services
from shequ.registry.models import Household, Resident, ResidentTag

from .helpers import person, register, register_data

SURNAMES = "赵钱孙李周吴郑王冯陈"
GIVEN = "伟芳娜敏静丽强磊洋艳"


def names(count):
    """Distinct Chinese names (the name rule allows no digits)."""
    return [SURNAMES[i % 10] + GIVEN[(i // 10) % 10] + GIVEN[i % 10] for i in range(count)]


def id_number(born=date(1990, 5, 1), seq=1, male=True):
    return make_id_number("110105", born, seq, male)


def verbs():
    return list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))



@pytest.fixture
def family(world, worker):
    household = register(worker, world.a, [
        person("张建国", phone="13800001234"), person("王丽", male=False, relation="spouse"),
        person("张小明", born=date(2010, 3, 4), relation="child"),
    ])
    return household


# --- 登记新户 ------------------------------------------------------------------------------------------------

def test_register_a_household_of_three_through_the_page(world, worker, login):
    client = login(worker)
    page = client.get(reverse("registry:household_new"))
    assert page.status_code == 200
    assert "登记新户" in page.content.decode() and 'name="members-0-id_number"' in page.content.decode()

    response = client.post(reverse("registry:household_new"), register_data(world.a, [
        {"name": "张建国", "id_number": id_number(), "phone": "13800001234", "relation": "head",
         "political_status": "cpc", "education": "bachelor", "employment": "employed", "marital_status": "married"},
        {"name": "王丽", "id_number": id_number(date(1991, 2, 3), 2, male=False), "relation": "spouse",
         "ethnicity": "回族"},
        {"name": "张小明", "id_number": id_number(date(2015, 6, 7), 3), "relation": "child",
         "employment": "student"},
    ], phone="010-65001111"))

    household = Household.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registry:household", args=[household.id])
    assert household.address == "甲社区小区1号楼1单元302室" and household.member_count == 3
    assert household.phone_masked and "65001111" not in household.phone_enc
    head, spouse, child = household.members.order_by("id")
    assert (head.name, head.relation, head.sex, head.birth_date) == ("张建国", "head", "M", date(1990, 5, 1))
    assert head.political_status == "cpc" and head.phone_masked == "138****1234"
    assert (spouse.relation, spouse.sex, spouse.ethnicity) == ("spouse", "F", "回族")
    assert child.relation == "child" and child.birth_date == date(2015, 6, 7)
    assert verbs() == ["household_register", "resident_add", "resident_add", "resident_add"]
    assert set(AuditEvent.objects.values_list("source", flat=True)) == {"web"}

    card = client.get(response["Location"]).content.decode()
    assert "已登记新户" in card and "张小明" in card and "登记新户" in card  # the message and the history


def test_one_bad_id_number_shows_inline_and_writes_nothing(world, worker, login):
    client = login(worker)
    bad = id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1")
    response = client.post(reverse("registry:household_new"), register_data(world.a, [
        {"name": "张建国", "id_number": id_number(), "relation": "head"},
        {"name": "王丽", "id_number": bad, "relation": "spouse"},
        {"name": "", "id_number": "", "phone": "12345", "relation": ""},
    ]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "身份证号校验码错误" in html
    assert "姓名不能为空" in html and "手机号应为以1开头的11位数字" in html and "请选择与户主关系" in html
    # The error sits with the member it belongs to, and what was typed is kept.
    second = html[html.index('name="members-1-name"'):html.index('name="members-2-name"')]
    assert "身份证号校验码错误" in second and f'value="{bad}"' in second
    assert Household.objects.count() == 0 and Resident.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_a_duplicate_id_number_is_shown_on_its_member_row(world, worker, login, family):
    client = login(worker)
    registered = family.members.get(name="张建国")
    taken = services.resident_reveal(actor=worker, resident=registered, field="id_number", reason="核对")
    before = (Household.objects.count(), Resident.objects.count(), AuditEvent.objects.count())
    response = client.post(reverse("registry:household_new"), register_data(world.a, [
        {"name": "李四", "id_number": id_number(date(1985, 1, 2), 7), "relation": "head"},
        {"name": "删掉的", "relation": "spouse", "DELETE": "on"},
        {"name": "李五", "id_number": taken, "relation": "child"},
    ]))
    html = response.content.decode()
    assert response.status_code == 200
    # On the row of 李五, which the page numbers 2 (the deleted row is hidden), next to his ID number.
    row = html[html.index('name="members-2-name"'):]
    assert f"成员2：该身份证号已登记在册（本社区 张建国，{family.address}）" in row and f'value="{taken}"' in row
    assert html.count("该身份证号已登记在册") == 1  # not repeated above the form
    assert (Household.objects.count(), Resident.objects.count(), AuditEvent.objects.count()) == before


def test_the_same_id_number_twice_in_one_household_names_the_member_above(world, worker, login):
    client = login(worker)
    twice = id_number(date(1985, 1, 2), 8)
    html = client.post(reverse("registry:household_new"), register_data(world.a, [
        {"name": "李四", "id_number": twice, "relation": "head"},
        {"name": "李五", "id_number": twice, "relation": "child"},
    ])).content.decode()
    assert "成员2：该身份证号已登记在册（本户成员李四）" in html[html.index('name="members-1-name"'):]
    assert Household.objects.count() == 0 and Resident.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_a_member_without_id_number_needs_sex_and_birth_date(world, worker, login):
    client = login(worker)
    members = [{"name": "张建国", "id_number": id_number(), "relation": "head"},
               {"name": "张宝宝", "relation": "child"}]
    html = client.post(reverse("registry:household_new"), register_data(world.a, members)).content.decode()
    assert "身份证号不能为空" in html and Household.objects.count() == 0

    members[1] |= {"sex": "F", "birth_date": "2025-01-02"}
    assert client.post(reverse("registry:household_new"), register_data(world.a, members)).status_code == 302
    baby = Resident.objects.get(name="张宝宝")
    assert (baby.sex, baby.birth_date, baby.id_number_masked) == ("F", date(2025, 1, 2), "")


def test_deleted_and_untouched_extra_rows_are_skipped(world, worker, login):
    client = login(worker)
    data = register_data(world.a, [
        {"name": "张建国", "id_number": id_number(), "relation": "head"},
        {"name": "错行", "id_number": "123", "relation": "spouse", "DELETE": "on"},
        {"relation": ""},  # added, never filled in
    ])
    assert client.post(reverse("registry:household_new"), data).status_code == 302
    assert list(Resident.objects.values_list("name", flat=True)) == ["张建国"]


def test_id_hint_reads_birth_date_and_sex(worker, login):
    client = login(worker)
    url = reverse("registry:id_hint")
    assert "1990年5月1日 男" in client.get(url, {"members-0-id_number": id_number()}).content.decode()
    female = client.get(url, {"add-id_number": id_number(date(2001, 12, 9), 4, male=False)}).content.decode()
    assert "2001年12月9日 女" in female
    assert "身份证号应为18位" in client.get(url, {"members-0-id_number": "1101051990"}).content.decode()
    assert client.get(url, {"members-0-id_number": ""}).content.decode().strip() == ""


def test_place_options_narrow_and_stay_in_scope(world, worker, login):
    client = login(worker)
    second = Building.objects.create(community=world.a, estate=world.a.estate, number="2", grid=world.a.grid)
    Entrance.objects.create(community=world.a, building=second, number="3")
    url = reverse("registry:place_options")
    buildings = client.get(url, {"source": "estate", "child": "building", "estate": world.a.estate.id,
                                 "reset": "#id_entrance"}).content.decode()
    assert "1号楼" in buildings and "2号楼" in buildings and 'hx-swap-oob="innerHTML:#id_entrance"' in buildings
    entrances = client.get(url, {"source": "building", "child": "entrance", "building": second.id}).content.decode()
    assert "3单元" in entrances and "1单元" not in entrances
    # Another community's estate and building give nothing.
    assert "号楼" not in client.get(url, {"source": "estate", "child": "building",
                                          "estate": world.b.estate.id}).content.decode()
    assert "单元" not in client.get(url, {"source": "building", "child": "entrance",
                                          "building": world.b.building.id}).content.decode()


def test_resident_list_has_the_register_button_for_writers_only(world, worker, login, client):
    html = login(worker).get(reverse("registry:residents")).content.decode()
    assert reverse("registry:household_new") in html and "筛选" in html
    client.force_login(world.user(Role.STREET_ADMIN))
    html = client.get(reverse("registry:residents")).content.decode()
    assert reverse("registry:household_new") not in html
    assert client.get(reverse("registry:household_new")).status_code == 403


# --- the household card --------------------------------------------------------------------------------

def test_household_card_lists_members_in_register_first_the_head_first(world, worker, login):
    household = register(worker, world.a, [
        person("王丽", male=False, relation="spouse"), person("张建国", relation="head"),
        person("李秀英", born=date(1950, 1, 1), male=False, relation="parent"),
        person("张大伟", relation="sibling"), person("张小明", born=date(2010, 3, 4), relation="child"),
    ])
    members = {member.name: member for member in household.members.all()}
    services.resident_record_death(actor=worker, resident=members["李秀英"], died_on=date(2024, 1, 2))
    services.resident_move_out(actor=worker, resident=members["张大伟"], on=date(2024, 2, 3))
    html = login(worker).get(reverse("registry:household", args=[household.id])).content.decode()
    table = html[html.index('class="members-table"'):]
    shown = sorted(members, key=table.index)
    # Present (head, then as registered), then those moved out or deceased, as registered.
    assert shown == ["张建国", "王丽", "张小明", "李秀英", "张大伟"]


def test_add_member_from_the_household_card(world, worker, login, family):
    client = login(worker)
    url = reverse("registry:household_add_member", args=[family.id])
    bad = client.post(url, {"add-name": "张小红", "add-id_number": "110105", "add-relation": "child",
                            "add-ethnicity": "汉族"})
    assert bad.status_code == 200 and "身份证号应为18位" in bad.content.decode()
    assert '<details id="add" class="action" name="household-action" open>' in bad.content.decode()
    before = AuditEvent.objects.count()
    response = client.post(url, {"add-name": "张小红", "add-id_number": id_number(date(2012, 1, 1), 9, False),
                                 "add-relation": "child", "add-ethnicity": "汉族", "add-moved_in_on": "2024-03-01"})
    assert response.status_code == 302
    member = family.members.get(name="张小红")
    assert member.moved_in_on == date(2024, 3, 1) and member.sex == "F"
    family.refresh_from_db()
    assert family.member_count == 4
    assert AuditEvent.objects.count() == before + 1 and verbs()[-1] == "resident_add"


def test_move_the_whole_household_out(world, worker, login, family):
    client = login(worker)
    response = client.post(reverse("registry:household_move_out", args=[family.id]),
                           {"move_out-on": "2025-06-30", "move_out-destination": "海淀区"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.status == "moved_out" and family.member_count == 0
    assert set(family.members.values_list("status", flat=True)) == {"moved_out"}
    assert verbs()[-4:] == ["resident_move_out"] * 3 + ["household_move_out"]
    card = client.get(reverse("registry:household", args=[family.id])).content.decode()
    assert "整户迁出" in card and 'id="move_out"' not in card  # the actions are gone once moved out


def test_split_selected_members_into_a_new_household(world, worker, login, family):
    client = login(worker)
    son = family.members.get(name="张小明")
    spouse = family.members.get(name="王丽")
    url = reverse("registry:household_split", args=[family.id])
    bad = client.post(url, {"split-members": [str(son.id)], "split-head": str(spouse.id)})
    assert "新户户主须是选中的成员之一" in bad.content.decode()
    response = client.post(url, {"split-members": [str(son.id)], "split-room": "502",
                                 "split-building": str(world.a.building.id), "split-entrance": ""})
    new = Household.objects.exclude(id=family.id).get()
    assert response.status_code == 302 and response["Location"] == reverse("registry:household", args=[new.id])
    son.refresh_from_db()
    assert son.household_id == new.id and son.relation == "head" and new.room == "502"
    assert "household_split" in verbs()


def test_merge_into_another_household_by_number(world, worker, login, family):
    client = login(worker)
    other = register(worker, world.a, [person("李四")], room="202")
    url = reverse("registry:household_merge", args=[family.id])
    missing = client.post(url, {"merge-number": "H99999999"})
    assert "本社区未找到户号“H99999999”" in missing.content.decode()
    response = client.post(url, {"merge-number": other.number})
    assert response.status_code == 302 and response["Location"] == reverse("registry:household", args=[other.id])
    family.refresh_from_db()
    other.refresh_from_db()
    assert family.status == "closed" and other.member_count == 4
    assert verbs()[-1] == "household_merge"
    # A household that is no longer living cannot be merged again, nor receive members.
    again = client.post(url, {"merge-number": other.number})
    assert again.status_code == 200 and "只能合并两个在住户" in again.content.decode()
    assert AuditEvent.objects.filter(verb="household_merge").count() == 1


def test_merge_target_must_be_in_the_same_community(world, worker, login, family):
    other_worker = world.user(Role.COMMUNITY_WORKER, community=world.b)
    foreign = register(other_worker, world.b, [person("外社区")], number="B0001")
    response = login(worker).post(reverse("registry:household_merge", args=[family.id]),
                                  {"merge-number": foreign.number})
    assert "本社区未找到户号" in response.content.decode()
    assert Household.objects.get(id=family.id).status == "living"


# --- the resident card ---------------------------------------------------------------------------------

def test_correct_form_is_prefilled_but_never_with_id_or_phone(world, worker, login, family):
    client = login(worker)
    head = family.members.get(name="张建国")
    full_id = services.resident_reveal(actor=worker, resident=head, field="id_number", reason="核对")
    html = client.get(reverse("registry:resident", args=[head.id])).content.decode()
    assert 'name="correct-name"' in html and 'value="张建国"' in html
    assert full_id not in html and "13800001234" not in html
    id_input = html[html.index('name="correct-id_number"'):].split(">", 1)[0]
    phone_input = html[html.index('name="correct-phone"'):].split(">", 1)[0]
    assert "value=" not in id_input and "value=" not in phone_input
    correct = html.split('id="correct"')[1].split("</details>")[0]
    assert 'for="id_correct-name">姓名<span class="req">*</span>' in correct  # required, as it says when empty


def _correct_data(resident, **changes):
    data = {"correct-name": resident.name, "correct-ethnicity": resident.ethnicity,
            "correct-relation": resident.relation, "correct-residence_status": resident.residence_status}
    return data | {f"correct-{k}": v for k, v in changes.items()}


def test_correct_data_keeps_id_and_phone_unless_typed(world, worker, login, family):
    client = login(worker)
    head = family.members.get(name="张建国")
    old_id_masked, old_phone_masked = head.id_number_masked, head.phone_masked
    url = reverse("registry:resident_correct", args=[head.id])
    response = client.post(url, _correct_data(head, name="张建华", education="college", reason="户口本核对"))
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.name == "张建华" and head.education == "college"
    assert (head.id_number_masked, head.phone_masked) == (old_id_masked, old_phone_masked)
    event = AuditEvent.objects.filter(verb="resident_correct").get()
    assert event.details["changes"]["name"] == {"from": "张建国", "to": "张建华"}
    assert event.details["reason"] == "户口本核对" and "id_number_masked" not in event.details["changes"]

    bad = client.post(url, _correct_data(head, phone="1234"))
    assert "手机号应为以1开头的11位数字" in bad.content.decode()
    assert '<details id="correct" class="action" name="resident-action" open>' in bad.content.decode()

    client.post(url, _correct_data(head, phone="13912345678"), follow=True)  # its page shows the messages so far
    head.refresh_from_db()
    assert head.phone_masked == "139****5678"

    events = AuditEvent.objects.filter(verb="resident_correct").count()
    unchanged = client.post(url, _correct_data(head), follow=True).content.decode()
    assert "信息与原来相同，未作更正" in unchanged and "已更正" not in unchanged
    assert AuditEvent.objects.filter(verb="resident_correct").count() == events


def test_correcting_the_id_number_may_change_sex_and_birth_date(world, worker, login, family):
    head = family.members.get(name="张建国")
    new_id = id_number(date(1985, 7, 8), 30, male=False)
    response = login(worker).post(reverse("registry:resident_correct", args=[head.id]),
                                  _correct_data(head, id_number=new_id, reason="身份证号录错"))
    assert response.status_code == 302, response.content.decode()
    head.refresh_from_db()
    assert (head.sex, head.birth_date) == ("F", date(1985, 7, 8))
    assert head.id_number_masked == new_id[:3] + "*" * 11 + new_id[-4:]


def test_resident_move_out_death_and_transfer(world, worker, login, family):
    client = login(worker)
    spouse, son = family.members.get(name="王丽"), family.members.get(name="张小明")
    head = family.members.get(name="张建国")
    other = register(worker, world.a, [person("李四")], room="202")

    response = client.post(reverse("registry:resident_move_out", args=[son.id]),
                           {"move_out-on": "2025-09-01", "move_out-destination": "大学宿舍"})
    assert response.status_code == 302
    son.refresh_from_db()
    assert son.status == "moved_out" and son.moved_out_on == date(2025, 9, 1)
    event = AuditEvent.objects.filter(verb="resident_move_out").get()
    assert event.details["destination"] == "大学宿舍"

    future = (date.today() + timedelta(days=2)).isoformat()
    bad = client.post(reverse("registry:resident_death", args=[head.id]), {"death-died_on": future})
    assert "死亡日期" in bad.content.decode() and Resident.objects.get(id=head.id).status == "present"
    client.post(reverse("registry:resident_death", args=[head.id]), {"death-died_on": "2025-01-15"})
    head.refresh_from_db()
    assert head.status == "deceased" and head.died_on == date(2025, 1, 15)
    assert AuditEvent.objects.filter(verb="resident_death", target_id=str(head.id)).count() == 1

    missing = client.post(reverse("registry:resident_transfer", args=[spouse.id]),
                          {"transfer-number": "H0", "transfer-relation": "spouse"})
    assert "本社区未找到户号" in missing.content.decode()
    client.post(reverse("registry:resident_transfer", args=[spouse.id]),
                {"transfer-number": other.number, "transfer-relation": "spouse"})
    spouse.refresh_from_db()
    assert spouse.household_id == other.id and spouse.relation == "spouse"
    assert AuditEvent.objects.filter(verb="resident_transfer", target_id=str(spouse.id)).count() == 1
    family.refresh_from_db()
    assert family.member_count == 0


def test_add_and_end_tags(world, worker, login, family):
    client = login(worker)
    head = family.members.get(name="张建国")
    card = client.get(reverse("registry:resident", args=[head.id])).content.decode()
    assert 'value="dibao"' in card and 'value="health"' not in card  # sensitive kinds need a grant
    fields = client.get(reverse("registry:tag_fields"), {"source": "tag-kind", "tag-kind": "dibao",
                                                         "prefix": "tag-detail"}).content.decode()
    assert 'name="tag-detail-certificate"' in fields and "低保证号" in fields

    url = reverse("registry:resident_tag_add", args=[head.id])
    response = client.post(url, {"tag-kind": "dibao", "tag-started_on": "2024-01-01",
                                 "tag-detail-certificate": "DB-001", "tag-detail-start": "2024-01-01"})
    assert response.status_code == 302
    tag = ResidentTag.objects.get(resident=head)
    assert tag.details == {"certificate": "DB-001", "start": "2024-01-01"} and tag.started_on == date(2024, 1, 1)
    assert "DB-001" in client.get(reverse("registry:resident", args=[head.id])).content.decode()
    again = client.post(url, {"tag-kind": "dibao"})
    assert "该居民已有此类标签" in again.content.decode()
    refused = client.post(url, {"tag-kind": "health"})
    assert refused.status_code == 200 and ResidentTag.objects.filter(kind="health").count() == 0

    client.post(reverse("registry:resident_tag_end", args=[head.id, tag.id]), {"ended_on": "2025-02-01"})
    tag.refresh_from_db()
    assert not tag.active and tag.ended_on == date(2025, 2, 1)
    assert verbs()[-2:] == ["tag_add", "tag_end"]


def test_sensitive_tags_with_a_grant(world, worker, login, family):
    Membership.objects.filter(user=worker).update(sensitive_access=True)
    client = login(worker)
    head = family.members.get(name="张建国")
    assert 'value="health"' in client.get(reverse("registry:resident", args=[head.id])).content.decode()
    client.post(reverse("registry:resident_tag_add", args=[head.id]),
                {"tag-kind": "health", "tag-detail-condition": "高血压"})
    tag = ResidentTag.objects.get(resident=head, kind="health")
    assert tag.sensitive and tag.details == {} and "高血压" not in tag.details_enc


@pytest.fixture
def health_tag(world, family):
    """A 健康状况 tag on 张建国, added by the community head, who holds a sensitive-access grant."""
    head = world.user(Role.COMMUNITY_HEAD)
    Membership.objects.filter(user=head).update(sensitive_access=True)
    resident = family.members.get(name="张建国")
    tag = services.resident_tag_add(actor=head, resident=resident, kind="health",
                                    details={"condition": "高血压", "doctor": "李医生"})
    return head, resident, tag


def test_sensitive_tag_details_are_revealed_with_a_reason_and_audited(login, health_tag):
    head, resident, tag = health_tag
    client = login(head)
    card = client.get(reverse("registry:resident", args=[resident.id])).content.decode()
    url = reverse("registry:tag_reveal", args=[resident.id, tag.id])
    assert 'data-tag="health"' in card and f'hx-post="{url}"' in card
    assert "高血压" not in card and "李医生" not in card
    for reason, message in (("", "请填写查看原因"), (" 看 ", "查看原因至少2个字")):
        html = client.post(url, {"reason": reason}).content.decode()
        assert message in html and "高血压" not in html
    assert not AuditEvent.objects.filter(verb="tag_reveal").exists()

    html = client.post(url, {"reason": "入户走访前了解病情"}).content.decode()
    assert "健康状况：高血压 · 签约医生：李医生" in html and "已记录查看" in html
    event = AuditEvent.objects.get(verb="tag_reveal")
    assert (event.actor, event.target_id, event.source) == (head, str(resident.id), "web")
    assert event.details == {"kind": "health", "tag": tag.id, "reason": "入户走访前了解病情"}
    card = client.get(reverse("registry:resident", args=[resident.id])).content.decode()
    assert "查看标签详情" in card and "查看“健康状况（含严重精神障碍）”详情，原因：入户走访前了解病情" in card
    assert "高血压" not in card


def test_a_phone_in_a_tag_is_masked_on_the_card_and_revealed_with_a_reason(world, worker, login, family):
    resident = family.members.get(name="张建国")
    tag = services.resident_tag_add(actor=worker, resident=resident, kind="empty_nest",
                                    details={"contact": "女儿 13612345678"})
    client = login(worker)
    card = client.get(reverse("registry:resident", args=[resident.id])).content.decode()
    url = reverse("registry:tag_reveal", args=[resident.id, tag.id])
    assert "女儿 136****5678" in card and "13612345678" not in card and f'hx-post="{url}"' in card
    html = client.post(url, {"reason": "联系家属"}).content.decode()
    assert "紧急联系人：女儿 13612345678" in html and "已记录查看" in html
    event = AuditEvent.objects.get(verb="tag_reveal")
    assert (event.actor, event.sensitive, event.details["reason"]) == (worker, False, "联系家属")
    # A street administrator reads the card, masked, with nothing to reveal it by.
    card = login(world.user(Role.STREET_ADMIN)).get(reverse("registry:resident", args=[resident.id])).content.decode()
    assert "女儿 136****5678" in card and url not in card


def test_without_the_grant_a_sensitive_tag_is_not_there(world, worker, login, health_tag):
    _, resident, tag = health_tag
    url = reverse("registry:tag_reveal", args=[resident.id, tag.id])
    client = login(worker)
    card = client.get(reverse("registry:resident", args=[resident.id])).content.decode()
    assert "健康状况" not in card and url not in card  # neither the tag nor its lines in the history
    assert client.post(url, {"reason": "想了解一下"}).status_code == 404
    # A head of another community is refused the same way, grant or not.
    outsider = world.user(Role.COMMUNITY_HEAD, community=world.b)
    Membership.objects.filter(user=outsider).update(sensitive_access=True)
    assert login(outsider).post(url, {"reason": "想了解一下"}).status_code == 404
    assert not AuditEvent.objects.filter(verb="tag_reveal").exists()


def test_reveal_from_the_card_is_audited_and_in_the_history(world, worker, login, family):
    client = login(worker)
    head = family.members.get(name="张建国")
    html = client.post(reverse("registry:reveal", args=[head.id]),
                       {"field": "phone", "reason": "电话回访"}).content.decode()
    assert "13800001234" in html
    card = client.get(reverse("registry:resident", args=[head.id])).content.decode()
    assert "查看敏感信息" in card and "查看完整手机号，原因：电话回访" in card and "13800001234" not in card


# --- scope ---------------------------------------------------------------------------------------------

def _all_forms(family):
    resident = family.members.get(name="张建国")
    tag = services.resident_tag_add(actor=family._worker, resident=resident, kind="dibao")
    household_posts = {
        "household_add_member": {"add-name": "越权", "add-relation": "child"},
        "household_move_out": {"move_out-on": "2025-01-01"},
        "household_split": {"split-members": [str(resident.id)]},
        "household_merge": {"merge-number": family.number},
    }
    resident_posts = {
        "resident_correct": {"correct-name": "越权"}, "resident_move_out": {"move_out-on": "2025-01-01"},
        "resident_death": {"death-died_on": "2025-01-01"}, "reveal": {"field": "id_number", "reason": "越权"},
        "resident_transfer": {"transfer-number": family.number}, "resident_tag_add": {"tag-kind": "empty_nest"},
    }
    urls = [(reverse(f"registry:{name}", args=[family.id]), data) for name, data in household_posts.items()]
    urls += [(reverse(f"registry:{name}", args=[resident.id]), data) for name, data in resident_posts.items()]
    urls.append((reverse("registry:resident_tag_end", args=[resident.id, tag.id]), {}))
    urls.append((reverse("registry:tag_reveal", args=[resident.id, tag.id]), {"reason": "越权"}))
    return resident, urls


def test_another_community_gets_404_on_pages_and_forms(world, worker, login, family):
    family._worker = worker
    resident, posts = _all_forms(family)
    before = AuditEvent.objects.count()
    client = login(world.user(Role.COMMUNITY_WORKER, community=world.b))
    assert client.get(reverse("registry:household", args=[family.id])).status_code == 404
    assert client.get(reverse("registry:resident", args=[resident.id])).status_code == 404
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert AuditEvent.objects.count() == before
    assert Household.objects.get(id=family.id).status == "living"


def test_grid_worker_cannot_open_residents_outside_his_grid(world, login, worker):
    other_grid = Grid.objects.create(community=world.a, code="02", name="第2网格")
    building = Building.objects.create(community=world.a, estate=world.a.estate, number="9", grid=other_grid)
    outside = services.household_register(actor=worker, estate=world.a.estate, building=building,
                                          members=[person("网格外")])
    inside = register(worker, world.a, [person("网格内")])
    grid_worker = world.user(Role.GRID_WORKER)
    client = login(grid_worker)
    outsider = outside.members.get()
    assert client.get(reverse("registry:resident", args=[outsider.id])).status_code == 404
    assert client.get(reverse("registry:household", args=[outside.id])).status_code == 404
    assert client.post(reverse("registry:resident_move_out", args=[outsider.id]),
                       {"move_out-on": "2025-01-01"}).status_code == 404
    assert client.get(reverse("registry:resident", args=[inside.members.get().id])).status_code == 200
    assert "网格外" not in client.get(reverse("registry:residents")).content.decode()
    # His register form offers only the buildings of his grid.
    options = client.get(reverse("registry:place_options"), {"source": "estate", "child": "building",
                                                             "estate": world.a.estate.id}).content.decode()
    assert "1号楼" in options and "9号楼" not in options


# --- query counts: the same bound at 3 and at 30 rows ----------------------------------------------------
# Today: session, user, memberships and the shell's community, then the page's own (list: count, rows, grid
# and group choices; household card: household, members, history, split-form buildings, and the correction
# form's buildings, entrances, grids and groups; resident card: resident, tags, history). One query of headroom
# for the shell; an N+1 at 30 rows would blow any of them.
LIST_QUERIES, HOUSEHOLD_QUERIES, RESIDENT_QUERIES = 9, 13, 8

@pytest.fixture
def household_of(world, worker):
    def _make(count):
        born = date(1970, 1, 1)
        members = [{"name": name, "id_number": make_id_number("110105", born + timedelta(days=i), 1, True),
                    "phone": f"1380000{i:04d}", "relation": "head" if i == 0 else "child"}
                   for i, name in enumerate(names(count))]
        household = register(worker, world.a, members)
        grid = world.a.grid
        for resident in household.members.all()[:3]:
            services.resident_tag_add(actor=worker, resident=resident, kind="empty_nest",
                                      details={"contact": "邻居"})
        return household, grid

    return _make


@pytest.mark.parametrize("count", [3, 30])
def test_resident_list_queries_do_not_grow(household_of, worker, login, django_assert_max_num_queries, count):
    household_of(count)
    client = login(worker)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("registry:residents"))
    assert response.content.decode().count('href="/registry/residents/') == count
    with django_assert_max_num_queries(LIST_QUERIES):
        client.get(reverse("registry:residents"), {"q": "zw"}, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("count", [3, 30])
def test_household_card_queries_do_not_grow(household_of, worker, login, django_assert_max_num_queries, count):
    household, _ = household_of(count)
    client = login(worker)
    with django_assert_max_num_queries(HOUSEHOLD_QUERIES):
        response = client.get(reverse("registry:household", args=[household.id]))
    members, history = response.content.decode().split('<section id="history">')
    assert members.count('href="/registry/residents/') == count
    assert history.count('data-verb="resident_add"') == count  # each member's registration, named and linked


@pytest.mark.parametrize("count", [3, 30])
def test_resident_card_queries_do_not_grow(household_of, worker, login, django_assert_max_num_queries, count):
    household, _ = household_of(3)
    head = household.members.order_by("id").first()
    for i in range(count):
        services.resident_reveal(actor=worker, resident=head, field="phone", reason=f"回访第{i}次")
    client = login(worker)
    with django_assert_max_num_queries(RESIDENT_QUERIES):
        response = client.get(reverse("registry:resident", args=[head.id]))
    assert response.content.decode().count("查看完整手机号") == count
