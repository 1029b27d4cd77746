"""The audit page as its readers see it: actions, objects, sources and details in words (户, 网页, 「住房性质：自有 →
租住」), never the codes and dictionaries stored underneath; a household linked to its page for those who may open
it; the filter by kind of object; a bounded number of queries however many rows."""

import html
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import english
from shequ.accounts.models import Role
from shequ.audit.display import detail_lines, object_name
from shequ.audit.models import AuditEvent
from shequ.audit.services import audit_record
from shequ.core.context import source
from shequ.registry import services
from shequ.registry.tests.helpers import person, register


def visible_text(response):
    """What a reader sees: the page without its tags and their attributes (titles, data-*), unescaped."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def rows(response):
    return re.findall(r'<tr data-verb="([^"]*)" data-target="([^"]*)"', response.content.decode())


@pytest.fixture
def worker(world):
    return world.user(Role.COMMUNITY_WORKER)


@pytest.fixture
def corrected(world, worker):
    """A household of 甲社区 registered and then corrected on the web: owned → rented, with a reason."""
    household = register(worker, world.a, [person("张建国"), person("王丽", male=False, relation="spouse")])
    with source("web", ip="192.0.2.9"):
        services.household_correct(actor=worker, household=household, reason="入户核对", data={"housing": "rented"})
    return household


def test_the_page_reads_in_words_not_codes(world, corrected, login):
    response = login(world.user(Role.COMMUNITY_HEAD)).get("/audit/")
    body, text = response.content.decode(), visible_text(response)

    assert response.status_code == 200
    # Actions by their label alone; the code stays in the row's attributes.
    assert "更正户信息" in text and "household_correct" not in text and "登记新户" in text
    assert 'data-verb="household_correct"' in body and 'title="household_correct"' in body
    # The object by its kind and name, linked to its page; no "registry.household#3".
    assert "registry." not in text and "#" not in text
    link = reverse("registry:household", args=[corrected.id])
    assert re.search(rf'<span class="muted">户</span> <a href="{link}">{re.escape(str(corrected))}</a>', body)
    assert f'title="registry.household#{corrected.id}"' in body
    member = corrected.members.get(name="张建国")
    assert f'<span class="muted">居民</span> <a href="{reverse("registry:resident", args=[member.id])}">张建国</a>' in body
    # Where it came from, in words.
    assert "网页" in text and "命令行" in text and ">web<" not in body and ">cli<" not in body
    # The details as lines, never a Python dict.
    assert "住房性质：自有 → 租住" in text and "原因：入户核对" in text
    assert "{'" not in text and "{&#x27;" not in body and "'changes'" not in text and "[[" not in text


def test_a_supervisor_reads_the_object_without_a_link_to_the_registry_he_may_not_open(world, corrected, login):
    response = login(world.user(Role.SUPERVISOR)).get("/audit/")

    text = visible_text(response)
    assert str(corrected) in text and "住房性质：自有 → 租住" in text
    assert "/registry/" not in response.content.decode()


def test_a_street_admin_is_linked_to_the_households_of_his_street(world, corrected, login):
    response = login(world.user(Role.STREET_ADMIN)).get("/audit/?target_type=registry.household")

    assert f'href="{reverse("registry:household", args=[corrected.id])}"' in response.content.decode()


def test_the_page_reads_in_english_with_the_switch(world, corrected, login):
    response = english(login(world.user(Role.COMMUNITY_HEAD))).get("/audit/?target_type=registry.household")

    text = visible_text(response)
    assert "Housing type: Owned → Rented" in text and "Reason: 入户核对" in text


def test_an_export_of_a_list_names_what_was_exported(world, login):
    head = world.user(Role.COMMUNITY_HEAD)
    audit_record(head, "export", None, community_id=world.a.id, details={
        "kind": "roster", "rows": 12, "filters": {"community_id": world.a.id, "sex": "F", "tag": "low_income"},
        "full_values": False, "reason": None})

    response = login(head).get("/audit/")

    text = visible_text(response)
    assert "导出" in text and "花名册" in text and " # " not in text
    assert "行数：12" in text and "含完整身份证号和手机号：否" in text
    # The filters in words; in the order the database keeps them (PostgreSQL's jsonb sorts keys its own way).
    filters = re.search(r"筛选条件：(\S+)", text).group(1).split("，")
    assert sorted(filters) == sorted([f"社区编号：{world.a.id}", "性别：女", "标签：低收入"])


# ---------------------------------------------------------------- the filter by kind of object


def test_the_kind_filter_offers_the_kinds_in_the_trail_by_name(world, corrected, login):
    head = world.user(Role.COMMUNITY_HEAD)
    audit_record(head, "update", world.a.estate)
    client = login(head)

    body = client.get("/audit/").content.decode()
    select = re.search(r'<select name="target_type"[^>]*>(.*?)</select>', body, flags=re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert options[0] == ("", "全部")
    assert set(options[1:]) == {("registry.household", "户"), ("places.estate", "小区"), ("registry.resident", "居民")}

    by_label = client.get("/audit/?target_type=registry.household")
    assert {target for _verb, target in rows(by_label)} == {f"registry.household#{corrected.id}"}
    assert [verb for verb, _target in rows(by_label)] == ["household_correct", "household_register"]
    assert '<option value="registry.household" selected>' in by_label.content.decode()
    # The kind typed by its name, as someone may write it into the address.
    assert rows(client.get("/audit/?target_type=户")) == rows(by_label)
    assert {t.split("#")[0] for _v, t in rows(client.get("/audit/?target_type=居民"))} == {"registry.resident"}
    # A kind the trail does not hold (yet) finds nothing, rather than dropping the filter.
    assert rows(client.get("/audit/?target_type=registry.importjob")) == []


# ---------------------------------------------------------------- queries


def test_objects_are_resolved_in_a_bounded_number_of_queries(world, worker, login, django_assert_max_num_queries):
    """Households and residents linked for every row with one query each, not one a row: the page reads the same
    number of queries for 2 rows as for 20 (session, user, memberships, the street's communities, the kinds, the
    events, the households and the residents the reader may open, and the header's street)."""
    client = login(world.user(Role.STREET_ADMIN))
    counts = []
    for households in (1, 10):
        for n in range(households - AuditEvent.objects.filter(verb="household_register").count()):
            register(worker, world.a, [person("张建国")], room=str(200 + n))
        with django_assert_max_num_queries(9), CaptureQueriesContext(connection) as queries:
            response = client.get("/audit/")
        assert len(rows(response)) == 2 * households  # household_register and resident_add
        table = response.content.decode().split('id="audit-rows"')[1]
        assert len(re.findall(r'<a href="/registry/(households|residents)/\d+/">', table)) == 2 * households
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ---------------------------------------------------------------- details of every shape as lines


@pytest.mark.parametrize("verb, target_type, details, lines", [
    ("resident_transfer", "registry.resident", {"household": {"from": "H1", "to": "H2"}, "relation": "child"},
     ["户：H1 → H2", "与户主关系：子女"]),
    ("tag_add", "registry.resident", {"kind": "disabled"}, ["类别：残疾"]),
    ("reveal", "registry.resident", {"field": "id_number", "reason": "核对身份"}, ["查看内容：身份证号", "原因：核对身份"]),
    ("membership_grant", "accounts.user", {"role": "supervisor", "scope": "甲社区"},
     ["角色：居务监督委员会成员", "范围：甲社区"]),
    ("household_bulk_register", "places.community", {"households": 600, "household_ids": [[1, 600]]},
     ["户数：600", "户编号：1–600"]),
    ("household_split", "registry.household", {"new_household": "H9", "members": ["张一", "张二"]},
     ["新户号：H9", "成员：张一、张二"]),
    ("household_head_change", "registry.household", {"head": {"from": "", "to": "李四"}}, ["户主：空 → 李四"]),
    ("resident_add", "registry.resident", {"name": "张三", "id_number": "110105********1234",
                                           "converted_from_15": False}, ["姓名：张三", "身份证号：110105********1234"]),
    ("import_mapping", "registry.importjob", {"mapping": {"A": "name", "B": "id_number"}, "duplicate_policy": "report"},
     ["列对应：A → 姓名，B → 身份证号", "重复身份证号：列为问题行，不导入"]),
    ("rotate_keys", "", {"counts": {"resident.id_number_enc": 3}, "reindex": True},
     ["重新加密：resident.id_number_enc：3", "重建索引：是"]),
    ("something_new", "gone.model", {"note": {"deep": [1, 2]}}, ["note：deep：1、2"]),
])
def test_details_read_as_lines(verb, target_type, details, lines):
    assert detail_lines(AuditEvent(verb=verb, target_type=target_type, target_id="1", details=details)) == lines


def test_an_object_without_a_label_is_named_by_its_kind_and_number():
    event = AuditEvent(verb="update", target_type="registry.exportjob", target_id="7", details={})
    assert object_name(event) == "编号 7"
    assert object_name(AuditEvent(verb="import_failed", target_type="registry.importjob", target_id="3",
                                  details={"file": "花名册.xlsx"})) == "花名册.xlsx"


def test_long_lists_are_cut_on_the_page():
    event = AuditEvent(verb="household_split", target_type="registry.household", target_id="1",
                       details={"members": [f"成员{n}" for n in range(30)]})
    (line,) = detail_lines(event)
    assert line.startswith("成员：成员0、成员1") and line.endswith("等 30 项") and "成员29" not in line


def test_more_than_three_lines_fold_behind_a_summary(world, login):
    head = world.user(Role.COMMUNITY_HEAD)
    audit_record(head, "import_upload", world.a.estate, details={
        "file": "花名册.xlsx", "header_row": 2, "columns": 20, "recognised": 18, "on": date(2026, 1, 5).isoformat()})

    body = login(head).get("/audit/").content.decode()

    # In the order people read them (what, then how many), whatever order the database keeps the keys in.
    assert re.search(r"<div>日期：2026-01-05</div><div>文件：花名册.xlsx</div><div>表头行：2</div>\s*"
                     r"<details><summary>还有 2 项</summary><div>列数：20</div><div>识别的列数：18</div></details>", body)
