"""The registry services' refusals (and the selectors' "not found", the API's own errors) read in the language of
the switch, on pages and in the API; without the cookie they are the Chinese they always were. What is stored (an
export job's error message) stays Chinese whoever asked."""

import html

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from conftest import english
from shequ.accounts.models import Role
from shequ.core.errors import ApplicationError
from shequ.registry import exports, services
from shequ.registry.models import ExportJob, ExportStatus

from .helpers import CHINESE, person, register


@pytest.fixture
def household(world, worker):
    return register(worker, world.a, [person("张建国", relation="head")])


def chinese(client):
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    return client


def taken_id_number(worker, household):
    head = household.members.get()
    return head, services.resident_reveal(actor=worker, resident=head, field="id_number", reason="核对")


def test_a_duplicate_id_number_on_the_add_member_form(world, worker, login, household):
    head, taken = taken_id_number(worker, household)
    url = reverse("registry:household_add_member", args=[household.id])
    data = {"add-name": "张小红", "add-id_number": taken, "add-relation": "child", "add-ethnicity": "汉族"}
    client = english(login(worker))
    page = html.unescape(client.post(url, data).content.decode())
    assert "This ID number is already in the register (张建国, a member of this household)" in page
    assert "已登记在册" not in page
    chinese(client)
    assert "该身份证号已登记在册（本户成员张建国）" in client.post(url, data).content.decode()
    assert household.members.count() == 1


def test_a_duplicate_id_number_in_the_api(world, worker, login, household):
    head, taken = taken_id_number(worker, household)
    other = register(worker, world.a, [person("李四", relation="head")], room="202")
    client = english(login(worker))

    def add():
        response = client.post(f"/api/v1/registry/households/{other.id}/members",
                               {"name": "张小红", "id_number": taken, "relation": "child"},
                               content_type="application/json")
        assert response.status_code == 400
        return response.json()

    where = f"{head.name} of this community, {head.household.address}"
    assert add() == {"code": "duplicate", "message": f"The ID number is already registered ({where})",
                     "details": {"id_number": [f"This ID number is already in the register ({where})"]}}
    chinese(client)
    where = f"本社区 {head.name}，{head.household.address}"
    assert add() == {"code": "duplicate", "message": f"身份证号已登记（{where}）",
                     "details": {"id_number": [f"该身份证号已登记在册（{where}）"]}}


def test_moving_out_a_resident_who_moved_out(worker, login, household):
    resident = household.members.get()
    client = english(login(worker))
    url = f"/api/v1/registry/residents/{resident.id}/move-out"
    assert client.post(url, {"destination": "天津"}, content_type="application/json").status_code == 200
    again = client.post(url, {}, content_type="application/json")
    assert again.status_code == 400 and again.json()["message"] == "This resident is Moved out and cannot move out"
    chinese(client)
    assert client.post(url, {}, content_type="application/json").json()["message"] == "该居民当前状态为“已迁出”，不能迁出"


def test_who_may_not_change_a_household_is_told_so(world, login, household):
    url = f"/api/v1/registry/households/{household.id}/members"
    member = {"name": "张小红", "birth_date": "2020-01-01", "sex": "F", "relation": "child"}
    # A street administrator reads every household of the street but changes none.
    client = english(login(world.user(Role.STREET_ADMIN)))
    refused = client.post(url, member, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"code": "forbidden", "message": "You may not change this household", "details": {}}
    assert chinese(client).post(url, member, content_type="application/json").json()["message"] == "您无权修改该户"
    # A worker of another community does not find it at all.
    client = english(login(world.user(Role.COMMUNITY_WORKER, community=world.b)))
    missing = client.post(url, member, content_type="application/json")
    assert missing.status_code == 404 and missing.json()["message"] == "Household not found"
    assert chinese(client).post(url, member, content_type="application/json").json()["message"] == "未找到该户"
    assert household.members.count() == 1


def test_a_household_number_not_found_on_the_merge_form(worker, login, household):
    url = reverse("registry:household_merge", args=[household.id])
    client = english(login(worker))
    page = html.unescape(client.post(url, {"merge-number": "H99999999"}).content.decode())
    assert "No household no. “H99999999” in this community" in page and "未找到户号" not in page
    assert "本社区未找到户号“H99999999”" in chinese(client).post(url, {"merge-number": "H99999999"}).content.decode()


def test_the_apis_own_errors(world, login, client):
    english(client)
    unauthenticated = client.get("/api/v1/registry/households")
    assert unauthenticated.status_code == 401 and not CHINESE.search(unauthenticated.json()["message"])
    login(world.user(Role.COMMUNITY_WORKER))
    invalid = client.get("/api/v1/registry/households", {"community_id": "x"})
    assert invalid.status_code == 422 and invalid.json()["message"] == "The data sent is invalid: community_id"
    chinese(client)
    assert client.get("/api/v1/registry/households", {"community_id": "x"}).json()["message"] == "提交的数据有误：community_id"


def test_an_export_job_started_in_english_stores_its_failure_in_chinese(worker, login, household, monkeypatch):
    def fail(*args, **kwargs):
        raise ApplicationError(gettext("未找到该社区"))

    monkeypatch.setattr(exports, "write_export", fail)
    client = english(login(worker))
    started = client.post("/api/v1/registry/exports", {"kind": "resident_list"}, content_type="application/json")
    assert started.status_code == 202
    job = ExportJob.objects.get(id=started.json()["id"])
    assert job.status == ExportStatus.FAILED and job.error_message == "导出失败：未找到该社区"
    refused = client.post(f"/api/v1/registry/exports/{job.id}/cancel", {}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["message"] == "This export has ended and cannot be cancelled"
