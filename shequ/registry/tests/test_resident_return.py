"""A resident who moved out comes back (迁回) on the same record, and a death recorded by mistake is taken back
with its reason: through the services, the resident's page and the API, with history, counts and scoping."""

import io
from datetime import date

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.core.errors import ApplicationError, Forbidden
from shequ.registry import selectors, services
from shequ.registry.models import Household, Resident

from .helpers import person, register


@pytest.fixture
def family(world, worker):
    return register(worker, world.a, [person("张一"), person("王二", male=False, relation="spouse"),
                                      person("张三", born=date(2005, 5, 5), relation="child")])


def member(household, name):
    return Resident.objects.select_related("household").get(household=household, name=name)


def test_moving_back_reuses_the_record(family, worker):
    three = member(family, "张三")
    services.resident_move_out(actor=worker, resident=three, on=date(2025, 9, 1), destination="大学")
    services.resident_move_back(actor=worker, resident=member(family, "张三"), on=date(2026, 7, 1))
    three = member(family, "张三")
    assert (three.status, three.moved_in_on, three.moved_out_on, three.relation) == (
        "present", date(2026, 7, 1), None, "child")
    assert Household.objects.get(id=family.id).member_count == 3
    assert Resident.objects.count() == 3  # no second record
    assert AuditEvent.objects.get(verb="resident_move_back").details == {
        "household": family.number, "relation": "child", "on": "2026-07-01"}
    assert [r.id for r in selectors.resident_list(worker, q="张三").items] == [three.id]


def test_moving_back_into_another_household_follows_its_grid(family, worker, world):
    other = register(worker, world.a, [person("李四")], room="102")
    three = member(family, "张三")
    services.resident_move_out(actor=worker, resident=three)
    services.resident_move_back(actor=worker, resident=member(family, "张三"), household=other,
                                relation="relative")
    three = Resident.objects.get(id=three.id)
    assert (three.household_id, three.relation, three.grid_id) == (other.id, "relative", other.grid_id)
    assert Household.objects.get(id=other.id).member_count == 2
    assert Household.objects.get(id=family.id).member_count == 2


def test_a_former_head_cannot_come_back_as_a_second_head(family, worker):
    one = member(family, "张一")
    services.resident_move_out(actor=worker, resident=one)
    services.household_change_head(actor=worker, household=family, head=member(family, "王二"),
                                   relations={member(family, "张三").id: "child"})
    with pytest.raises(ApplicationError, match="已有户主") as error:
        services.resident_move_back(actor=worker, resident=member(family, "张一"))
    assert "relation" in error.value.details
    services.resident_move_back(actor=worker, resident=member(family, "张一"), relation="spouse")
    assert member(family, "张一").relation == "spouse"


def test_moving_back_is_refused_where_it_cannot_be(family, worker, world):
    three = member(family, "张三")
    with pytest.raises(ApplicationError, match="不能办理迁回"):
        services.resident_move_back(actor=worker, resident=three)  # still here
    services.resident_move_out(actor=worker, resident=three, on=date(2026, 3, 1))
    with pytest.raises(ApplicationError, match="不能早于迁出日期"):
        services.resident_move_back(actor=worker, resident=member(family, "张三"), on=date(2026, 2, 1))
    with pytest.raises(ApplicationError, match="无法识别"):
        services.resident_move_back(actor=worker, resident=member(family, "张三"), relation="cousin")
    closed = register(worker, world.a, [person("赵五")], room="103")
    services.household_move_out(actor=worker, household=closed)
    with pytest.raises(ApplicationError, match="已不在住"):
        services.resident_move_back(actor=worker, resident=member(family, "张三"),
                                    household=Household.objects.get(id=closed.id))
    assert member(family, "张三").status == "moved_out"
    assert Household.objects.get(id=family.id).member_count == 2


def test_someone_registered_again_meanwhile_is_not_doubled(family, worker, world):
    three = member(family, "张三")
    services.resident_move_out(actor=worker, resident=three)
    number = services.resident_reveal(actor=worker, resident=three, field="id_number", reason="核对")
    register(world.user(Role.COMMUNITY_WORKER, community=world.b), world.b, [{"name": "张三", "id_number": number}])
    with pytest.raises(ApplicationError, match="身份证号已登记（乙社区）"):
        services.resident_move_back(actor=worker, resident=member(family, "张三"))


def test_who_moved_out_is_brought_back_not_registered_again(family, worker, world):
    three = member(family, "张三")
    services.resident_move_out(actor=worker, resident=three, on=date(2026, 2, 3))
    number = services.resident_reveal(actor=worker, resident=three, field="id_number", reason="核对")
    with pytest.raises(ApplicationError, match="张三 已于 2026-02-03 从本社区迁出，请在其原记录上办理“迁回”"):
        register(worker, world.a, [{"name": "张三", "id_number": number}], room="104")
    with pytest.raises(ApplicationError, match="迁回"):
        services.resident_add(actor=worker, household=family, data={"name": "张三", "id_number": number,
                                                                     "relation": "child"})
    assert Resident.objects.filter(name="张三").count() == 1
    # Another community registers someone who moved away from this one.
    register(world.user(Role.COMMUNITY_WORKER, community=world.b), world.b, [{"name": "张三", "id_number": number}])
    assert Resident.objects.filter(name="张三", community=world.b).count() == 1


def test_another_community_cannot_bring_them_back(family, worker, world):
    three = member(family, "张三")
    services.resident_move_out(actor=worker, resident=three)
    outsider = world.user(Role.COMMUNITY_WORKER, community=world.b)
    with pytest.raises(Forbidden):
        services.resident_move_back(actor=outsider, resident=member(family, "张三"))


def test_a_death_recorded_by_mistake_is_taken_back_with_a_reason(family, worker):
    one = member(family, "张一")
    services.resident_record_death(actor=worker, resident=one, died_on=date(2026, 3, 1))
    with pytest.raises(ApplicationError, match="原因"):
        services.resident_death_revoke(actor=worker, resident=member(family, "张一"), reason=" ")
    services.resident_death_revoke(actor=worker, resident=member(family, "张一"), reason="误登记，本人健在")
    one = member(family, "张一")
    assert (one.status, one.died_on, one.relation) == ("present", None, "head")
    assert Household.objects.get(id=family.id).member_count == 3
    assert AuditEvent.objects.get(verb="resident_death_revoke").details == {
        "died_on": "2026-03-01", "reason": "误登记，本人健在"}
    with pytest.raises(ApplicationError, match="未登记死亡"):
        services.resident_death_revoke(actor=worker, resident=one, reason="再来一次")


# -- the resident's page and the API ----------------------------------------------------------------------

def test_the_page_offers_the_way_back_for_each_state(family, worker, login):
    client = login(worker)
    three, one = member(family, "张三"), member(family, "张一")
    page = client.get(reverse("registry:resident", args=[three.id])).content.decode()
    assert 'id="move_back"' not in page and 'id="death_revoke"' not in page
    services.resident_move_out(actor=worker, resident=three)
    services.resident_record_death(actor=worker, resident=one, died_on=date(2026, 3, 1))
    moved = client.get(reverse("registry:resident", args=[three.id])).content.decode()
    assert 'id="move_back"' in moved and 'id="move_out"' not in moved and 'id="death_revoke"' not in moved
    dead = client.get(reverse("registry:resident", args=[one.id])).content.decode()
    assert 'id="death_revoke"' in dead and 'id="move_back"' not in dead


def test_the_page_moves_back_and_shows_it_in_the_history(family, worker, login):
    client = login(worker)
    three = member(family, "张三")
    services.resident_move_out(actor=worker, resident=three, on=date(2025, 9, 1))
    url = reverse("registry:resident_move_back", args=[three.id])
    refused = client.post(url, {"move_back-number": "NOPE", "move_back-relation": "child",
                                "move_back-on": "2026-07-01"}).content.decode()
    assert "本社区未找到户号“NOPE”" in refused and 'id="move_back"' in refused
    done = client.post(url, {"move_back-number": "", "move_back-relation": "child", "move_back-on": "2026-07-01"},
                       follow=True).content.decode()
    assert f"张三 已迁回户 {family.number}" in done
    assert f"迁回户 {family.number}，关系：子女，日期：2026-07-01" in done


def test_the_page_takes_a_death_back(family, worker, login):
    client = login(worker)
    one = member(family, "张一")
    services.resident_record_death(actor=worker, resident=one, died_on=date(2026, 3, 1))
    url = reverse("registry:resident_death_revoke", args=[one.id])
    missing = client.post(url, {"death_revoke-reason": ""}).content.decode()
    assert "请填写原因" in missing
    done = client.post(url, {"death_revoke-reason": "误登记"}, follow=True).content.decode()
    assert "已撤销 张一 的死亡登记" in done and "原因：误登记" in done and "死亡日期：2026-03-01" in done


def test_the_api_moves_back_and_revokes(family, worker, login, world):
    client = login(worker)
    three, one = member(family, "张三"), member(family, "张一")
    services.resident_move_out(actor=worker, resident=three)
    services.resident_record_death(actor=worker, resident=one, died_on=date(2026, 3, 1))
    body = client.post(f"/api/v1/registry/residents/{three.id}/move-back", {},
                       content_type="application/json").json()
    assert body["status"] == "present" and body["household_id"] == family.id
    refused = client.post(f"/api/v1/registry/residents/{one.id}/death/revoke", {"reason": ""},
                          content_type="application/json")
    assert refused.status_code == 400 and "reason" in refused.json()["details"]
    body = client.post(f"/api/v1/registry/residents/{one.id}/death/revoke", {"reason": "误登记"},
                       content_type="application/json").json()
    assert body["status"] == "present"
    client.force_login(world.user(Role.COMMUNITY_WORKER, community=world.b))
    assert client.post(f"/api/v1/registry/residents/{one.id}/death/revoke", {"reason": "越权"},
                       content_type="application/json").status_code == 404


def test_the_way_back_speaks_english_when_asked(family, worker, login):
    three = member(family, "张三")
    services.resident_move_out(actor=worker, resident=three, on=date(2025, 9, 1))
    client = login(worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("registry:resident", args=[three.id])).content.decode()
    assert "Move back" in page and "Household number to return to" in page and "迁回户号" not in page


def test_the_list_finds_who_moved_out_or_died_when_asked(family, worker, login):
    services.resident_move_out(actor=worker, resident=member(family, "张三"))
    services.resident_record_death(actor=worker, resident=member(family, "张一"), died_on=date(2026, 1, 5))
    client = login(worker)

    def names(**query):
        page = client.get(reverse("registry:residents"), query).content.decode()
        return sorted(name for name in ("张一", "王二", "张三") if f">{name}</a>" in page)

    assert names() == ["王二"]
    assert names(status="moved_out", q="张三") == ["张三"]
    assert names(status="deceased") == ["张一"]
    assert names(status="all") == ["张一", "张三", "王二"]
    assert "已迁出" in client.get(reverse("registry:residents"), {"status": "all"}).content.decode()
    body = client.get("/api/v1/registry/residents", {"status": "all", "q": "zs"}).json()
    assert [r["name"] for r in body["items"]] == ["张三"]
    export = client.get(reverse("registry:export_residents"), {"status": "moved_out"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert {"张三"} == {cell for row in sheet.iter_rows(values_only=True) for cell in row} & {"张一", "王二", "张三"}
