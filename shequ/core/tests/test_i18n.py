"""English is the second UI language: the language cookie switches the pages to the English catalogue, the
values of the fixed vocabularies included, and without it the pages stay in Chinese. Files stay Chinese."""

import io
import re
from datetime import date
from types import SimpleNamespace

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from docx import Document

from shequ.accounts.models import Role
from shequ.registry import services
from shequ.registry.models import ImportJob, ImportStatus, Resident
from shequ.registry.tests.helpers import person, register, register_data

pytestmark = pytest.mark.usefixtures("english_catalogue")


def main_nav(response):
    html = response.content.decode()
    return re.search(r'<nav id="mainnav".*?</nav>', html, re.S).group(0)


def test_language_cookie_switches_the_shell_to_english(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    nav = main_nav(response)
    assert "Workbench" in nav
    assert "Resident registry" in nav
    assert "工作台" not in nav
    assert "居民台账" not in nav
    # The request's language ends with it: what the thread does next is in the default language again.
    assert translation.get_language() == settings.LANGUAGE_CODE


def test_chinese_is_the_default(world, login):
    response = login(world.user(Role.COMMUNITY_HEAD)).get("/")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.content.decode()
    nav = main_nav(response)
    assert "工作台" in nav
    assert "Workbench" not in nav


def test_english_browser_still_gets_chinese_by_default(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD, username="head_accept_language"))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-CN">' in response.content.decode()


# --- values from the fixed vocabularies: translated where a page shows them, Chinese wherever they are data ---

@pytest.fixture
def family(world):
    """A registered couple in community A, the head with his details filled in and an empty-nest tag."""
    worker = world.user(Role.COMMUNITY_WORKER)
    household = register(worker, world.a, [
        person("张建国", born=date(1962, 7, 8), marital_status="married", education="college", employment="retired",
               political_status="masses"),
        person("王丽", born=date(1964, 2, 3), male=False, relation="spouse"),
    ])
    head = household.members.get(name="张建国")
    services.resident_tag_add(actor=worker, resident=head, kind="empty_nest", details={})
    return SimpleNamespace(worker=worker, household=household, head=head,
                           spouse=household.members.get(name="王丽"))


@pytest.fixture
def english(family, client):
    client.force_login(family.worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def part(html, pattern):
    return re.search(pattern, html, re.S).group(0)


CARD_IN_ENGLISH = ["Male", "July 8, 1962", "Han", "Head of household", "Registered in this community",
                   "No party affiliation", "Junior college", "Retired", "Married"]
CARD_IN_CHINESE = ["男", "1962年7月8日", "汉族", "户主", "户籍在本社区", "群众", "大专", "离退休", "已婚"]


def test_the_resident_card_shows_its_values_in_english(family, english):
    html = page(english, "registry:resident", family.head.id)
    facts = part(html, r'<dl class="facts">.*?</dl>')
    assert all(value in facts for value in CARD_IN_ENGLISH), facts
    assert not any(value in facts for value in CARD_IN_CHINESE), facts
    assert '<span class="badge">Registered</span>' in html
    assert "Empty nest" in part(html, r'<section id="tags">.*?</section>')
    history = part(html, r'<section id="history">.*?</section>')
    assert "Tag added" in history and "Member added" in history and "空巢" not in history
    assert "Community worker" in part(html, r'<span class="who">.*?</span>')
    spouse = part(page(english, "registry:resident", family.spouse.id), r'<dl class="facts">.*?</dl>')
    assert "Female" in spouse and "Spouse" in spouse


def test_without_the_cookie_the_same_card_is_chinese(family, client):
    client.force_login(family.worker)
    html = page(client, "registry:resident", family.head.id)
    facts = part(html, r'<dl class="facts">.*?</dl>')
    assert all(value in facts for value in CARD_IN_CHINESE), facts
    assert '<span class="badge">在册</span>' in html and "空巢" in part(html, r'<section id="tags">.*?</section>')
    assert "添加标签" in part(html, r'<section id="history">.*?</section>')
    assert "社区工作者" in part(html, r'<span class="who">.*?</span>')


def test_a_correction_reads_in_the_history_in_either_language(family, english):
    services.resident_correct(actor=family.worker, resident=family.spouse, data={"education": "bachelor"},
                              reason="核对户口簿")
    history = part(page(english, "registry:resident", family.spouse.id), r'<section id="history">.*?</section>')
    assert "Details corrected" in history and "Education: empty → Bachelor&#x27;s degree" in history
    assert "Reason: 核对户口簿" in history
    english.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    history = part(page(english, "registry:resident", family.spouse.id), r'<section id="history">.*?</section>')
    assert "更正信息" in history and "文化程度：空 → 本科" in history and "原因：核对户口簿" in history


def test_household_page_list_and_overview_show_values_in_english(family, english):
    members = part(page(english, "registry:household", family.household.id), r'<table class="members-table">.*?</table>')
    assert all(value in members for value in ["Head of household", "Spouse", "Male", "Female", "Registered"])
    assert not any(value in members for value in ["户主", "配偶", "在册"])
    listed = part(page(english, "registry:residents"), r'<div id="results">.*?</table>')
    assert "Head of household" in listed and "Female" in listed and "户主" not in listed
    overview = page(english, "registry:overview")
    assert "Registered in this community" in overview and "Empty nest" in overview
    assert "户籍在本社区" not in overview and "空巢" not in overview


def test_the_place_form_names_its_kind_in_the_language(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))
    estate = world.a.estate
    assert f"<h1>编辑小区：{estate.name}</h1>" in page(client, "places:edit", "estate", estate.id)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert f"<h1>Edit estate: {estate.name}</h1>" in page(client, "places:edit", "estate", estate.id)


def test_exports_and_the_household_card_stay_chinese_in_english(family, english, world):
    rows = sheet_rows(english.get(reverse("registry:export_residents")))
    head = next(row for row in rows if row[0] == "张建国")
    assert {"男", "汉族", "户主", "户籍在本社区", "群众", "大专", "离退休", "已婚", "在册"} <= set(head)
    card = Document(io.BytesIO(b"".join(english.get(reverse("registry:household_card",
                                                          args=[family.household.id])).streaming_content)))
    members = [[cell.text for cell in row.cells] for row in card.tables[1].rows]
    assert members[1][:3] == ["张建国", "户主", "男"] and "空巢" in members[1] and "在册" in members[1]
    english.force_login(world.user(Role.COMMUNITY_HEAD))
    overview = [cell for row in sheet_rows(english.get(reverse("registry:overview_xlsx"))) for cell in row]
    assert "户籍在本社区" in overview and "空巢" in overview and "Empty nest" not in overview


def sheet_rows(response):
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_a_roster_with_chinese_labels_imports_in_an_english_request(world, login, settings, tmp_path):
    settings.SHEQU_IMPORT_SIGNAL_DIR = str(tmp_path / "signals")
    client = login(world.user(Role.COMMUNITY_HEAD))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in page(client, "registry:residents")  # a request in English before the import
    workbook = openpyxl.Workbook()
    for row in [["户号", "姓名", "与户主关系", "身份证号", "住址", "民族", "婚姻状况", "文化程度", "居住状况"],
                ["A-1", "马明", "户主", person("马明")["id_number"], "甲社区小区1号楼1单元101室", "回族", "已婚",
                 "大专", "流动人口"],
                ["A-1", "马丽", "配偶", person("马丽", male=False)["id_number"], None, "回族", "已婚", "本科",
                 "流动人口"]]:
        workbook.active.append(row)
    data = io.BytesIO()
    workbook.save(data)
    # Every step through the pages, in English: upload, columns, preview, commit.
    response = client.post(reverse("registry:import_start"),
                           {"file": SimpleUploadedFile("花名册.xlsx", data.getvalue()), "community": world.a.id})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and len(job.mapping) == 9
    client.post(reverse("registry:import_mapping", args=[job.id]),
                {f"col_{column}": field for column, field in job.mapping.items()})
    page(client, "registry:import_preview", job.id)
    client.post(reverse("registry:import_commit", args=[job.id]), {"duplicate_policy": "report"})
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.applied_rows == 2, (job.status, job.problems)
    stored = set(Resident.objects.values_list("name", "relation", "ethnicity", "marital_status", "education",
                                              "residence_status"))
    assert stored == {("马明", "head", "回族", "married", "college", "floating"),
                      ("马丽", "spouse", "回族", "married", "bachelor", "floating")}
    assert "Head of household" in page(client, "registry:residents")
    assert translation.get_language() == settings.LANGUAGE_CODE


# --- forms: labels, options and the messages after a post, in the language; the posted values are the same ---

def select(html, name):
    """The <select name=…> of a page, options included."""
    return part(html, rf'<select name="{name}".*?</select>')


def test_the_register_form_reads_in_english_and_registers_the_same_values(world, english):
    html = page(english, "registry:household_new")
    assert all(label in html for label in ["Name", "ID number", "Relationship to head of household", "Ethnicity",
                                           "Household type", "Door/room no."]), html
    assert not any(label in html for label in ["与户主关系</label>", "户类型</label>", "门牌/室号"])
    assert '<option value="M">Male</option>' in select(html, "members-0-sex")
    relation = select(html, "members-0-relation")
    assert '<option value="spouse">Spouse</option>' in relation and "Please choose" in relation
    assert "配偶" not in relation
    ethnicity = select(html, "members-0-ethnicity")
    assert '<option value="回族">Hui</option>' in ethnicity and '<option value="汉族" selected>Han</option>' in ethnicity
    assert '<option value="owned" selected>Owned</option>' in select(html, "housing")

    response = english.post(reverse("registry:household_new"), register_data(world.a, [
        {"name": "马明", "id_number": person("马明")["id_number"], "relation": "head", "ethnicity": "回族"},
        {"name": "马丽", "id_number": person("马丽", male=False)["id_number"], "relation": "spouse",
         "ethnicity": "回族", "marital_status": "married"},
    ]))
    assert response.status_code == 302, response.content.decode()
    stored = set(Resident.objects.filter(name__startswith="马").values_list("name", "relation", "sex", "ethnicity"))
    assert stored == {("马明", "head", "M", "回族"), ("马丽", "spouse", "F", "回族")}
    card = english.get(response["Location"]).content.decode()
    assert re.search(r'<li class="msg-success">Household H\d+ registered, 2 people</li>', card), card


def test_the_register_form_and_its_message_stay_chinese_by_default(world, family, client):
    client.force_login(family.worker)
    html = page(client, "registry:household_new")
    assert all(label in html for label in ["姓名", "身份证号", "与户主关系", "民族", "户类型", "门牌/室号"])
    assert '<option value="M">男</option>' in select(html, "members-0-sex")
    assert '<option value="spouse">配偶</option>' in select(html, "members-0-relation")
    assert '<option value="汉族" selected>汉族</option>' in select(html, "members-0-ethnicity")
    assert "Spouse" not in html and "Relationship to head of household" not in html
    response = client.post(reverse("registry:household_new"), register_data(world.a, [
        {"name": "马明", "id_number": person("马明")["id_number"], "relation": "head", "ethnicity": "回族"}]))
    card = client.get(response["Location"]).content.decode()
    assert re.search(r'<li class="msg-success">已登记新户 H\d+，1 人</li>', card), card


def test_a_life_event_message_and_the_id_hint_follow_the_language(family, english):
    response = english.post(reverse("registry:resident_tag_add", args=[family.spouse.id]),
                            {"tag-kind": "living_alone"})
    assert response.status_code == 302
    assert "Tag “Living alone”" in english.get(response["Location"]).content.decode()
    typed = {"members-0-id_number": person("王丽", born=date(1962, 7, 8), male=False)["id_number"]}
    assert "✓ July 8, 1962 Female" in english.get(reverse("registry:id_hint"), typed).content.decode()
    assert "The ID number must have 18 digits" in english.get(reverse("registry:id_hint"),
                                                              {"id_number": "1101"}).content.decode()
    english.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    assert "✓ 1962年7月8日 女" in english.get(reverse("registry:id_hint"), typed).content.decode()


def test_the_list_filters_read_in_english(family, english):
    html = page(english, "registry:residents")
    assert '<option value="" selected>Any</option>' in select(html, "sex")
    assert '<option value="F">Female</option>' in select(html, "sex")
    assert '<option value="empty_nest">Empty nest</option>' in select(html, "tag")
    assert '<option value="floating">Floating population</option>' in select(html, "residence_status")
    assert "不限" not in html and "空巢" not in select(html, "tag")
    filtered = english.get(reverse("registry:residents"), {"sex": "F"}).content.decode()
    listed = part(filtered, r'<div id="results">.*?</table>')
    assert "王丽" in listed and "张建国" not in listed
    english.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    html = page(english, "registry:residents")
    assert '<option value="" selected>不限</option>' in select(html, "sex")
    assert '<option value="empty_nest">空巢</option>' in select(html, "tag")
