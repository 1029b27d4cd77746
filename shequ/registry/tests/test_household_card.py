"""户卡: a household's card as an A4 Word document — its fields, its members (present first) with their care
tags, ID numbers and phones only masked, sensitive kinds only where granted; the same scoping as the
household's page, a fixed number of queries, an audit event, and the page's link to it."""

import io
import zipfile
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from docx import Document

from shequ.accounts.models import Membership, Role, User
from shequ.audit.models import AuditEvent
from shequ.registry import services

from .helpers import person, register

HOUSEHOLD_PHONE = "13911112222"
HEALTH = "健康状况（含严重精神障碍）"



@pytest.fixture
def people():
    """The members as registered, head first; their plain ID numbers and phones must never reach the card."""
    return [
        person("张建国", phone="13800001234"),
        person("李秀英", born=date(1952, 3, 4), male=False, relation="parent"),
        person("王丽", born=date(1982, 6, 7), male=False, relation="spouse", phone="13700005678"),
        person("张小明", born=date(2010, 3, 4), relation="child"),
    ]


@pytest.fixture
def family(world, worker, people):
    """Four registered; the mother deceased, so she is listed after the present ones. The head is empty nest
    (with a detail), the wife has a sensitive health tag (added by the head of the community, who was granted
    the sensitive kinds)."""
    household = register(worker, world.a, people, phone=HOUSEHOLD_PHONE)
    members = {member.name: member for member in household.members.all()}
    services.resident_tag_add(actor=worker, resident=members["张建国"], kind="empty_nest",
                              details={"contact": "邻居刘阿姨"})
    services.resident_tag_add(actor=granted(world.user(Role.COMMUNITY_HEAD)), resident=members["王丽"],
                              kind="health", details={"condition": "高血压"})
    services.resident_record_death(actor=worker, resident=members["李秀英"], died_on=date(2024, 1, 2))
    return household


def granted(user):
    Membership.objects.filter(user=user).update(sensitive_access=True)
    return User.objects.get(id=user.id)


@pytest.fixture
def english(worker, login):
    """The worker's client with the language switch on English."""
    client = login(worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def card_of(client, household):
    response = client.get(reverse("registry:household_card", args=[household.id]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def every_part(content):
    """All the XML of the document (body, styles, properties…) as one text, to look for what must not be there."""
    with zipfile.ZipFile(io.BytesIO(content)) as parts:
        return "".join(parts.read(name).decode("utf-8", "replace") for name in parts.namelist())


def rows_of(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


# --- what the card holds --------------------------------------------------------------------------------------

def test_the_card_is_an_a4_document_of_the_household_in_chinese(family, worker, english):
    response, content = card_of(english, family)
    assert response["Content-Type"].endswith("wordprocessingml.document")
    assert response["Content-Disposition"].startswith("attachment") and ".docx" in response["Content-Disposition"]
    document = Document(io.BytesIO(content))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    texts = [p.text for p in document.paragraphs]
    assert texts[:2] == ["户卡", "甲社区"] and "家庭成员（在册 3 人）" in texts and "入户走访记录" in texts
    assert texts[-1] == f"打印日期 {timezone.localdate():%Y-%m-%d} · 打印人 {worker.full_name}"

    facts, members, visits = document.tables
    fields = {row[0]: row[1] for row in rows_of(facts)} | {row[2]: row[3] for row in rows_of(facts)}
    assert fields["户号"] == family.number and fields["地址"] == family.address
    assert (fields["户类型"], fields["住房性质"], fields["状态"]) == ("常住", "自有", "在住")
    assert (fields["网格"], fields["居民小组"]) == ("第1网格", "第1居民小组")
    assert fields["登记日期"] == f"{family.registered_on:%Y-%m-%d}"
    assert fields["联系电话"] == family.phone_masked == "139****2222"
    assert rows_of(visits)[0] == ["日期", "走访人", "情况"] and len(visits.rows) > 3
    assert all(text == "" for row in rows_of(visits)[1:] for text in row)


def test_members_present_first_then_the_deceased_with_ids_and_phones_only_masked(family, worker, people, login):
    _response, content = card_of(login(worker), family)
    members = Document(io.BytesIO(content)).tables[1]
    rows = rows_of(members)
    assert rows[0] == ["姓名", "与户主关系", "性别", "出生日期", "身份证号", "手机号", "居住状况", "状态", "重点人群"]
    assert [row[0] for row in rows[1:]] == ["张建国", "王丽", "张小明", "李秀英"]
    head, wife, _child, mother = rows[1:]
    stored = {member.name: member for member in family.members.all()}
    assert head[1:4] == ["户主", "男", "1980-01-01"] and head[6:8] == ["户籍在本社区", "在册"]
    assert head[4] == stored["张建国"].id_number_masked and "*" in head[4]
    assert (head[5], wife[5]) == ("138****1234", "137****5678")
    assert mother[7] == "已故" and mother[5] == "—"

    xml = every_part(content)
    for member in people:
        assert member["id_number"] not in xml
    for phone in ("13800001234", "13700005678", HOUSEHOLD_PHONE):
        assert phone not in xml


def test_care_tags_by_label_sensitive_ones_only_with_the_grant_and_never_their_details(family, worker, login,
                                                                                       client):
    _response, content = card_of(login(worker), family)
    tags = {row[0]: row[8] for row in rows_of(Document(io.BytesIO(content)).tables[1])[1:]}
    assert tags == {"张建国": "空巢", "王丽": "—", "张小明": "—", "李秀英": "—"}
    assert HEALTH not in every_part(content)

    client.force_login(granted(worker))
    _response, content = card_of(client, family)
    tags = {row[0]: row[8] for row in rows_of(Document(io.BytesIO(content)).tables[1])[1:]}
    assert tags["王丽"] == HEALTH and tags["张建国"] == "空巢"
    xml = every_part(content)
    assert "邻居刘阿姨" not in xml and "高血压" not in xml


# --- who may have it ------------------------------------------------------------------------------------------

def test_the_card_is_scoped_like_the_household_page(family, world, login, client):
    login(world.user(Role.COMMUNITY_WORKER, community=world.b))
    url = reverse("registry:household_card", args=[family.id])
    assert client.get(url).status_code == 404
    assert client.get(reverse("registry:household_card", args=[family.id + 1000])).status_code == 404
    api = f"/api/v1/registry/households/{family.id}/card.docx"
    assert client.get(api).status_code == 404
    client.force_login(world.user(Role.RESIDENT))
    assert client.get(url).status_code == 403 and client.get(api).status_code == 403
    client.force_login(world.user(Role.STREET_ADMIN))
    assert client.get(url).status_code == 200
    response = client.get(api)
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "户卡" in "".join(p.text for p in Document(io.BytesIO(b"".join(response.streaming_content))).paragraphs)


def test_a_download_is_audited_as_a_masked_export_and_shown_in_the_household_history(family, worker, login):
    client = login(worker)
    card_of(client, family)
    event = AuditEvent.objects.get(verb="export")
    assert (event.actor, event.target_id, event.community_id) == (worker, str(family.id), family.community_id)
    assert event.details == {"kind": "household_card", "rows": 4, "full_values": False}
    page = client.get(reverse("registry:household", args=[family.id])).content.decode()
    assert "打印户卡（Word）</div>" in page


# --- a fixed number of queries --------------------------------------------------------------------------------

# session, user, memberships, the household, its members, their tags, the audit event
CARD_QUERIES = 7


@pytest.mark.parametrize("count", [2, 5])
def test_the_card_reads_in_the_same_number_of_queries_whatever_the_size(world, worker, login, count,
                                                                       django_assert_num_queries):
    members = [person(f"赵{'一二三四五'[i]}", relation="head" if i == 0 else "child") for i in range(count)]
    household = register(worker, world.a, members)
    for member in household.members.all():
        services.resident_tag_add(actor=worker, resident=member, kind="dibao")
    client = login(worker)
    with django_assert_num_queries(CARD_QUERIES):
        _response, content = card_of(client, household)
    assert len(Document(io.BytesIO(content)).tables[1].rows) == 1 + count


# --- the household page ---------------------------------------------------------------------------------------

def test_the_household_page_links_to_its_card(family, worker, login):
    page = login(worker).get(reverse("registry:household", args=[family.id])).content.decode()
    link = f'href="{reverse("registry:household_card", args=[family.id])}"'
    assert link in page and "打印户卡（Word）" in page
    assert page.index(link) < page.index('<dl class="facts">')  # at the head of the page


def test_the_link_speaks_english_when_asked(family, english):
    page = english.get(reverse("registry:household", args=[family.id])).content.decode()
    assert "Print household card (Word)" in page
