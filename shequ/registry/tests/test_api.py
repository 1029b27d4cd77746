"""/api/v1/registry: scoping, masking, reveal and life events through JSON."""

import pytest

from shequ.accounts.models import Membership, Role
from shequ.audit.models import AuditEvent
from shequ.registry import services
from shequ.registry.models import Household

from .helpers import person, register


@pytest.fixture
def setup(world, login):
    worker = world.user(Role.COMMUNITY_WORKER)
    household = register(worker, world.a, [person("张建国", phone="13800001234"), person("王丽", male=False)])
    return worker, household, login(worker)


def test_search_returns_masked_rows(setup):
    worker, household, client = setup
    body = client.get("/api/v1/registry/residents", {"q": "zjg"}).json()
    assert body["count"] == "1" and body["query_kind"] == "initials"
    row = body["items"][0]
    assert row["name"] == "张建国" and row["phone_masked"] == "138****1234"
    assert "id_number" not in row and "phone" not in row and "13800001234" not in str(body)


def test_other_community_gets_404(setup, world, client):
    worker, household, _ = setup
    resident = household.members.get(name="张建国")
    client.force_login(world.user(Role.COMMUNITY_WORKER, community=world.b))
    assert client.get(f"/api/v1/registry/residents/{resident.id}").status_code == 404
    assert client.get(f"/api/v1/registry/households/{household.id}").status_code == 404
    response = client.post(f"/api/v1/registry/residents/{resident.id}/reveal",
                           {"field": "id_number", "reason": "越权尝试"}, content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get("/api/v1/registry/residents", {"q": "建国"}).json()["items"] == []


def test_reveal_and_history(setup):
    worker, household, client = setup
    resident = household.members.get(name="张建国")
    url = f"/api/v1/registry/residents/{resident.id}/reveal"
    missing = client.post(url, {"field": "phone", "reason": ""}, content_type="application/json")
    assert missing.status_code == 400 and "原因" in missing.json()["message"]
    shown = client.post(url, {"field": "phone", "reason": "电话回访"}, content_type="application/json").json()
    assert shown == {"field": "phone", "value": "13800001234"}
    event = AuditEvent.objects.get(verb="reveal")
    assert event.source == "api" and event.actor == worker
    history = client.get(f"/api/v1/registry/residents/{resident.id}/history").json()
    assert history[0]["verb"] == "reveal" and history[0]["details"]["reason"] == "电话回访"


def test_sensitive_tag_details_are_revealed_with_a_reason(setup, world, client):
    worker, household, _ = setup
    resident = household.members.get(name="张建国")
    head = world.user(Role.COMMUNITY_HEAD)
    Membership.objects.filter(user=head).update(sensitive_access=True)
    tag = services.resident_tag_add(actor=head, resident=resident, kind="drug_rehab", details={"helper": "王警官"})
    url = f"/api/v1/registry/residents/{resident.id}/tags/{tag.id}/reveal"
    client.force_login(head)
    [listed] = client.get(f"/api/v1/registry/residents/{resident.id}").json()["tags"]
    assert (listed["kind"], listed["details"]) == ("drug_rehab", {})
    missing = client.post(url, {"reason": " "}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["message"] == "请填写查看原因"
    shown = client.post(url, {"reason": "帮扶回访"}, content_type="application/json")
    assert shown.json() == {"id": tag.id, "kind": "drug_rehab", "details": {"helper": "王警官"}}
    event = AuditEvent.objects.get(verb="tag_reveal")
    assert event.source == "api" and event.actor == head and event.details["reason"] == "帮扶回访"

    # Without the grant, or from another community, the tag does not exist.
    outsider = world.user(Role.COMMUNITY_HEAD, community=world.b)
    Membership.objects.filter(user=outsider).update(sensitive_access=True)
    for user in (worker, outsider):
        client.force_login(user)
        refused = client.post(url, {"reason": "想了解一下"}, content_type="application/json")
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    client.force_login(worker)
    assert client.get(f"/api/v1/registry/residents/{resident.id}").json()["tags"] == []
    assert AuditEvent.objects.filter(verb="tag_reveal").count() == 1


def test_register_household_and_validation_errors(setup, world):
    worker, _, client = setup
    payload = {"estate_id": world.a.estate.id, "building_id": world.a.building.id, "room": "909",
               "members": [person("李雷"), {"name": "韩梅梅", "id_number": "110105199002301234"}]}
    response = client.post("/api/v1/registry/households", payload, content_type="application/json")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "validation_error"
    assert body["message"].startswith("成员2：身份证号") and "members.1.id_number" in body["details"]
    assert Household.objects.count() == 1
    payload["members"][1] = person("韩梅梅", male=False, relation="配偶")
    created = client.post("/api/v1/registry/households", payload, content_type="application/json")
    assert created.status_code == 201
    members = created.json()["members"]
    assert [m["relation"] for m in members] == ["head", "spouse"]


def test_life_events(setup):
    worker, household, client = setup
    wang = household.members.get(name="王丽")
    moved = client.post(f"/api/v1/registry/residents/{wang.id}/move-out", {"destination": "天津"},
                        content_type="application/json")
    assert moved.status_code == 200 and moved.json()["status"] == "moved_out"
    corrected = client.patch(f"/api/v1/registry/residents/{wang.id}", {"notes": "已迁往天津", "reason": "补充"},
                             content_type="application/json")
    assert corrected.json()["notes"] == "已迁往天津"


def test_unauthenticated_is_401(client):
    response = client.get("/api/v1/registry/residents")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_list_query_count_is_flat(setup, world, django_assert_max_num_queries):
    worker, _, client = setup
    given = "一二三四五六七八九十春夏秋冬东南西北金木"
    for i in range(20):
        register(worker, world.a, [person(f"钱{given[i]}")], room=str(2000 + i))
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/registry/residents").json()
    assert len(body["items"]) == 22
