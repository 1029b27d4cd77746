"""Messages built outside the forms (ID numbers and phones, validate_person, the services' refusals) read in the
language of the switch, on pages and in the API; what an import stores stays Chinese whoever started it."""

import html

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from conftest import english
from shequ.accounts.models import Role
from shequ.accounts.services import api_token_create
from shequ.core.errors import Forbidden
from shequ.registry.models import ImportJob, ImportStatus

from .helpers import CHINESE, person, register
from .test_import import ADDRESS, new_id, rejected_rows, xlsx


@pytest.fixture(autouse=True)
def _signals(settings, tmp_path):
    settings.SHEQU_IMPORT_SIGNAL_DIR = str(tmp_path / "signals")



@pytest.fixture
def household(world, worker):
    return register(worker, world.a, [person("张建国", relation="head")])


def wrong_check_digit():
    """An ID number whose last character is wrong, and the right one."""
    number = new_id()
    return number[:-1] + ("1" if number[-1] == "0" else "0"), number[-1]


def test_the_add_member_form_tells_a_wrong_check_digit_in_english(worker, login, household):
    number, right = wrong_check_digit()
    url = reverse("registry:household_add_member", args=[household.id])
    data = {"add-name": "张小红", "add-id_number": number, "add-relation": "child", "add-ethnicity": "汉族"}
    client = english(login(worker))
    response = client.post(url, data)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert f"The ID number's check digit is wrong; it should be {right}" in page
    assert "校验码" not in page
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert f"身份证号校验码错误，应为 {right}" in client.post(url, data).content.decode()


def test_the_api_answers_in_the_language_of_the_switch(worker, login, household):
    number, right = wrong_check_digit()
    client = login(worker)
    url = f"/api/v1/registry/households/{household.id}/members"

    def add(**headers):
        response = client.post(url, {"name": "张小红", "id_number": number, "relation": "child"},
                               content_type="application/json", headers=headers)
        assert response.status_code == 400
        return response.json()

    chinese = f"身份证号校验码错误，应为 {right}"
    assert add() == {"code": "validation_error", "message": f"身份证号：{chinese}", "details": {"id_number": [chinese]}}
    # The browser's Accept-Language is not the switch (LanguageMiddleware: office PCs often run English Windows).
    assert add(**{"Accept-Language": "en"})["message"] == f"身份证号：{chinese}"
    english(client)
    body = add()
    message = f"The ID number's check digit is wrong; it should be {right}"
    assert body["details"] == {"id_number": [message]}
    assert body["message"].startswith("ID number") and body["message"].endswith(message)
    assert not CHINESE.search(body["message"])
    assert household.members.count() == 1


def test_an_import_started_in_english_is_refused_in_english_but_stores_its_problems_in_chinese(world, login, settings):
    client = english(login(world.user(Role.COMMUNITY_HEAD)))
    imports_url = "/api/v1/registry/imports"
    unsupported = client.post(imports_url, {"community_id": world.a.id, "file": SimpleUploadedFile("名单.pdf", b"%PDF")})
    assert unsupported.status_code == 400
    assert unsupported.json()["message"] == "Unsupported file type; upload an xlsx, xls, ods or csv file"

    number, right = wrong_check_digit()
    data = xlsx([["户号", "姓名", "与户主关系", "身份证号", "住址", "手机号"],
                 ["1", "甲", "户主", new_id(), ADDRESS, ""],
                 ["1", "乙", "配偶", number, "", "12345"]])
    job = client.post(imports_url, {"community_id": world.a.id, "file": SimpleUploadedFile("花名册.xlsx", data)}).json()
    url = f"{imports_url}/{job['id']}"
    without_name = {letter: field for letter, field in job["mapping"].items() if field != "name"}
    refused = client.post(f"{url}/mapping", {"mapping": without_name}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["message"] == "Choose the column that holds the “Name”"

    # The preview runs in this English request; its problems are kept, in Chinese.
    previewed = client.post(f"{url}/mapping", {"mapping": job["mapping"]}, content_type="application/json").json()
    assert previewed["status"] == ImportStatus.PREVIEWED
    problems = {(p["row"], p["header"]): p["message"] for p in previewed["problems"]}
    assert problems == {(3, "身份证号"): f"身份证号校验码错误，应为 {right}", (3, "手机号"): "手机号应为以1开头的11位数字"}

    # The import, here read by a forked process as a large file is, writes its rejected rows in Chinese too.
    settings.SHEQU_IMPORT_PARALLEL_MIN_ROWS = 0
    assert client.post(f"{url}/commit", {}, content_type="application/json").status_code == 202
    done = ImportJob.objects.get(id=job["id"])
    assert done.status == ImportStatus.DONE and (done.applied_rows, done.rejected_rows) == (1, 1)
    assert {item["message"] for item in done.problems["items"]} == set(problems.values())
    explanation = rejected_rows(done)[1][-1]
    assert explanation.startswith(f"原表第3行：D列（身份证号）：身份证号校验码错误，应为 {right}")
    assert "F列（手机号）：手机号应为以1开头的11位数字" in explanation
    refused = client.post(f"{url}/cancel", {}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["message"] == "This import has ended and cannot be cancelled"


def test_a_place_refused_in_english(world, login):
    client = english(login(world.user(Role.STREET_ADMIN)))
    response = client.post("/api/v1/places/buildings",
                           {"estate_id": world.a.estate.id, "number": "7", "grid_id": world.b.grid.id},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "Grid is not in this community"
    assert response.json()["details"] == {"grid": ["Not in this community"]}


def test_an_account_refusal_in_english(world, worker):
    with translation.override("en"), pytest.raises(Forbidden) as refused:
        api_token_create(actor=worker, user=worker, name="对接")
    assert refused.value.message == "Only community heads and street administrators can create API tokens"
