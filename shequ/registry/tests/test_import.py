"""Roster import: messy rosters as offices keep them, duplicates, rejected rows, all-or-nothing, cancel,
scope, pages, API, and a query count that does not grow with the rows."""

import csv
import io
import re
import sqlite3
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.core.errors import ApplicationError, Forbidden, NotFound
from shequ.core.identity import make_id_number
from shequ.places.models import Building, Community, Entrance
from shequ.registry import imports
from shequ.registry.models import Household, ImportJob, ImportStatus, NameGram, Resident
from shequ.registry.pinyin import name_grams
from shequ.registry.protection import id_number_hash, reveal_notes
from shequ.registry.roster import column_letter, parse_address
from shequ.registry.selectors import resident_list

from .helpers import person, register

PRECISION = "已丢失精度"
_seq = iter(range(10_000))


def new_id(*, born=date(1975, 3, 4), male=True):
    return make_id_number("110105", born, next(_seq) % 500, male)


def xlsx(rows, merges=()):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def upload(actor, community, data, name="花名册.xlsx"):
    return imports.import_upload(actor=actor, community=community, file=SimpleUploadedFile(name, data))


def preview(actor, job, mapping=None, policy="report"):
    """What the preview found (job_summary), its problems also under "problems"."""
    job = imports.import_set_mapping(actor=actor, job=job, mapping=mapping or job.mapping, duplicate_policy=policy)
    summary = imports.job_summary(imports.import_preview(actor=actor, job=job))
    return summary | {"problems": summary["items"]}


def commit(actor, job, mapping=None, policy="report"):
    preview(actor, job, mapping, policy)
    return imports.import_commit(actor=actor, job=job)


def registry_counts():
    return (Household.objects.count(), Resident.objects.count(), NameGram.objects.count(),
            Community.objects.values_list("household_count", flat=True).order_by("id").first())


def rejected_rows(job):
    job.refresh_from_db()
    with job.rejected_file.open("rb") as handle:
        sheet = openpyxl.load_workbook(io.BytesIO(handle.read())).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def roster(*rows):
    """Rows of a simple roster with a 户号 column, under a header."""
    return [["户号", "姓名", "与户主关系", "身份证号", "住址", "手机号"], *rows]


@pytest.fixture(autouse=True)
def _signals(settings, tmp_path):
    settings.SHEQU_IMPORT_SIGNAL_DIR = str(tmp_path / "signals")


@pytest.fixture
def head(world):
    return world.user(Role.COMMUNITY_HEAD)



ADDRESS = "甲社区小区1号楼1单元101室"


# -- Reading messy rosters ----------------------------------------------------------------------------------


def download_template(client, user):
    client.force_login(user)
    response = client.get("/registry/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_template_data_sheet_has_the_headers_only_and_the_id_column_as_text(world, head, client):
    workbook = openpyxl.load_workbook(io.BytesIO(download_template(client, head)))
    assert workbook.sheetnames == ["居民信息", "填写说明"]
    sheet = workbook["居民信息"]
    headers = [c.value for c in sheet[1]]
    assert {"户号", "姓名", "与户主关系", "身份证号", "手机号", "住址"} <= set(headers)
    assert sheet.max_row == 1 and list(sheet.iter_rows(min_row=2, values_only=True)) == []
    assert sheet.column_dimensions[column_letter(headers.index("身份证号"))].number_format == "@"


def test_template_notes_sheet_has_the_example_and_says_to_fill_in_real_residents_only(world, head, client):
    workbook = openpyxl.load_workbook(io.BytesIO(download_template(client, head)))
    rows = [[c for c in row if c is not None] for row in workbook["填写说明"].iter_rows(values_only=True)]
    text = " ".join(str(c) for row in rows for c in row)
    assert "文本" in text and "只填写真实居民" in text
    title = rows.index(["示例（仅供参考，请在“居民信息”工作表填写）"])
    assert rows[title + 1] == ["表头", "示例"]
    example = dict(row for row in rows[title + 2:] if len(row) == 2)
    assert example["姓名"] == "张建国" and example["身份证号"] == "11010519491231002X"
    assert example["住址"] == "和平家园3号楼2单元501室"
    assert "张建国" not in [c.value for row in workbook["居民信息"].iter_rows() for c in row]


def test_the_untouched_template_imports_nothing_and_says_why(world, head, client):
    job = upload(head, world.a, download_template(client, head), name="居民信息导入模板.xlsx")
    assert job.header_row == 1 and {"name", "id_number", "address"} <= set(job.mapping.values())
    with pytest.raises(ApplicationError, match="第1行表头下没有居民数据，没有可导入的行") as refusal:
        preview(head, job)
    assert "“居民信息”工作表" in refusal.value.message
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPED and job.total_rows == 0
    assert job.error_message.startswith("预检失败：第1行表头下没有居民数据")
    response = client.post(f"/registry/import/{job.id}/mapping/", {f"col_{k}": v for k, v in job.mapping.items()})
    assert response.status_code == 200 and "第1行表头下没有居民数据" in response.content.decode()
    job = imports.import_commit(actor=head, job=job)  # committed regardless, it fails and writes nothing
    assert job.status == ImportStatus.FAILED and "没有可导入的行" in job.error_message
    assert registry_counts() == (0, 0, 0, 0)


def test_a_filled_in_template_imports_the_rows_under_its_headers_only(world, head, client):
    workbook = openpyxl.load_workbook(io.BytesIO(download_template(client, head)))
    sheet = workbook["居民信息"]
    headers = [c.value for c in sheet[1]]
    number = new_id()
    sheet.append([{"姓名": "李桂兰", "与户主关系": "户主", "身份证号": number, "住址": ADDRESS}.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = upload(head, world.a, buffer.getvalue(), name="居民信息导入模板.xlsx")
    counts = preview(head, job)["counts"]
    assert (counts["total"], counts["created"], counts["rejected"]) == (1, 1, 0)
    job = imports.import_commit(actor=head, job=job)
    assert job.status == ImportStatus.DONE and job.applied_rows == 1, job.error_message
    assert list(Resident.objects.values_list("name", flat=True)) == ["李桂兰"]


def test_title_row_alternative_headers_and_merged_household_cells(world, head):
    ids = [new_id() for _ in range(4)]
    data = xlsx([
        ["甲社区居民花名册（2024年）", None, None, None, None, None],
        ["户号", "姓名", "与户主关系", "公民身份号码", "现住址", "联系电话"],
        ["A-1", "张建国", "户主", ids[0], ADDRESS, "13800001234"],
        [None, "王丽", "配偶", ids[1], None, None],
        [None, "张小明", "子", ids[2], None, None],
        ["A-2", "李雷", "户主", ids[3], "甲社区小区1号楼1单元102室", None],
    ], merges=["A1:F1", "A3:A5", "E3:E5"])
    job = upload(head, world.a, data)
    assert job.header_row == 2
    assert job.mapping == {"A": "household_number", "B": "name", "C": "relation", "D": "id_number", "E": "address",
                           "F": "phone"}
    job = commit(head, job)
    assert job.status == ImportStatus.DONE, job.error_message
    assert job.applied_rows == 4 and job.rejected_rows == 0
    first = Household.objects.get(number="A-1")
    assert first.member_count == 3 and first.address == ADDRESS and first.entrance_id == world.a.entrance.id
    assert sorted(first.members.values_list("relation", flat=True)) == ["child", "head", "spouse"]
    assert Household.objects.get(number="A-2").room == "102"
    assert Community.objects.get(id=world.a.id).household_count == 2


@pytest.mark.parametrize("header", ["身份证号", "公民身份号码", "证件号码", "身份证号码", "身份证号码（18位）*"])
def test_id_header_aliases_are_one_column(world, head, header):
    job = upload(head, world.a, xlsx([["姓名", header, "与户主关系", "住址"], ["张三", new_id(), "户主", ADDRESS]]))
    assert job.mapping["B"] == "id_number"


def test_unknown_headers_are_unmapped_until_mapped_by_hand(world, head):
    data = xlsx([["户主姓名?", "身份证号", "与户主关系", "住址", "爱好"], ["张三", new_id(), "户主", ADDRESS, "下棋"]])
    job = upload(head, world.a, data)
    assert "A" not in job.mapping and "E" not in job.mapping
    assert {c["column"]: c["suggested"] for c in job.headers}["E"] == ""
    with pytest.raises(ApplicationError, match="姓名"):
        imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    with pytest.raises(ApplicationError, match="同时对应了"):
        imports.import_set_mapping(actor=head, job=job, mapping={**job.mapping, "A": "name", "E": "name"})
    job = commit(head, job, mapping={**job.mapping, "A": "name"})
    assert job.status == ImportStatus.DONE and Resident.objects.get().name == "张三"


def test_numeric_and_scientific_notation_ids_are_reported_with_their_rows(world, head):
    good = new_id()
    data = xlsx([
        ["姓名", "身份证号", "与户主关系", "住址"],
        ["甲", good, "户主", ADDRESS],
        ["乙", 110105197503041234, "配偶", None],  # stored as a number: Excel keeps 15 digits
        ["丙", "1.10105E+17", "子", None],  # what a copied cell of such a number looks like
        ["丁", 1.10105197503041e17, "子", None],
    ])
    job = upload(head, world.a, data)
    result = preview(head, job)
    assert result["precision_lost_rows"] == [3, 4, 5]
    lost = [p for p in result["problems"] if PRECISION in p["message"]]
    assert [(p["row"], p["column"], p["header"]) for p in lost] == [(3, "B", "身份证号"), (4, "B", "身份证号"),
                                                                       (5, "B", "身份证号")]
    job = imports.import_commit(actor=head, job=job)
    assert job.applied_rows == 1 and job.rejected_rows == 3


def test_full_width_digits_spaces_and_lowercase_x(world, head):
    number = next(n for n in (new_id() for _ in range(200)) if n.endswith("X"))
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:-1]) + "ｘ"
    spaced = f" {full_width[:6]}　{full_width[6:14]} {full_width[14:]} "
    other = next(n for n in (new_id(male=False) for _ in range(200)) if n.endswith("X"))
    data = xlsx([["姓名", "身份证号", "与户主关系", "住址", "手机号"],
                 ["张 三", spaced, "户主", "甲社区小区１号楼１单元１０１室", "１３８ ０００１ ２３４５"],
                 ["李四", other.lower(), "配偶", None, None]])
    job = commit(head, upload(head, world.a, data))
    assert job.status == ImportStatus.DONE and job.rejected_rows == 0, job.problems
    first = Resident.objects.get(name="张三")
    assert first.id_number_masked == number[:3] + "*" * 11 + number[-4:]
    assert first.phone_masked == "138****2345"
    assert [r.id for r in resident_list(head, q=number).items] == [first.id]
    assert resident_list(head, q=other).items[0].name == "李四"
    assert Household.objects.get().address == ADDRESS


def test_blank_rows_skipped_and_rows_numbered_as_in_excel(world, head):
    data = xlsx([["住户名册"], [], ["姓名", "身份证号", "与户主关系", "住址"],
                 ["甲", new_id(), "户主", ADDRESS], [None, None, None, None], [], ["乙", "123", "配偶", None],
                 ["", "  ", None, ""], ["丙", new_id(), "子", None]])
    job = upload(head, world.a, data)
    assert job.header_row == 3
    result = preview(head, job)
    assert result["counts"]["total"] == 3
    assert [(p["row"], p["column"]) for p in result["problems"]] == [(7, "B")]
    job = imports.import_commit(actor=head, job=job)
    assert job.applied_rows == 2
    assert Household.objects.get().member_count == 2  # 丙 joined 甲 across the blank rows and the bad row


def test_households_without_number_follow_head_rows_and_addresses(world, head):
    data = xlsx([
        ["姓名", "与户主关系", "身份证号", "住址"],
        ["张一", "户主", new_id(), "甲社区小区1号楼1单元101室"],
        ["张二", "妻子", new_id(male=False), ""],
        ["张三", "长子", new_id(), "甲社区小区1号楼1单元101室"],
        ["李一", "户主", new_id(), "甲社区小区1号楼1单元102室"],
        ["李二", "女儿", new_id(male=False), ""],
        ["王一", "", new_id(), "甲社区小区1号楼1单元103室"],  # no relation, a new address: a new household
        ["王二", "", new_id(), "甲社区小区1号楼1单元103室"],  # same address: same household
    ])
    job = commit(head, upload(head, world.a, data))
    assert job.status == ImportStatus.DONE
    households = {h.room: h for h in Household.objects.all()}
    assert {room: h.member_count for room, h in households.items()} == {"101": 3, "102": 2, "103": 2}
    assert all(h.number.startswith("H") for h in households.values())
    wang = {r.name: r.relation for r in households["103"].members.all()}
    assert wang == {"王一": "head", "王二": "relative"}


def test_an_address_kept_in_separate_columns_places_the_households(world, head):
    data = xlsx([
        ["姓名", "与户主关系", "身份证号", "小区", "楼号", "单元", "门牌号"],
        ["张一", "户主", new_id(), "甲社区小区", "1号楼", "1单元", "101室"],
        ["张二", "妻子", new_id(male=False), "", "", "", ""],
        ["李一", "户主", new_id(), "甲社区小区", "1", "1", "102"],
        ["王一", "户主", new_id(), "", "", "", ""],  # no address at all: a problem row
    ])
    job = commit(head, upload(head, world.a, data))
    assert job.status == ImportStatus.DONE and job.applied_rows == 3 and job.rejected_rows == 1
    households = {h.room: h for h in Household.objects.all()}
    assert {room: h.member_count for room, h in households.items()} == {"101": 2, "102": 1}
    assert {h.building_id for h in households.values()} == {world.a.building.id}
    assert "缺少住址" in rejected_rows(job)[1][-1]


def test_imported_names_are_cut_into_the_pieces_search_uses(world, head):
    # On SQLite the database cuts the names (pinyin.SQLITE_NAME_GRAMS); it must cut them as name_grams() does.
    names = ["王", "王王", "欧阳娜娜", "阿依古丽·买买提", "张建国", "司马相如", "李李李", "欧阳" + "娜丽" * 24]
    data = xlsx(roster(*[["", name, "户主", new_id(), f"甲社区小区1号楼1单元{101 + i}室", ""]
                         for i, name in enumerate(names)]))
    job = commit(head, upload(head, world.a, data))
    assert job.status == ImportStatus.DONE and job.applied_rows == len(names), job.problems
    for resident in Resident.objects.filter(community=world.a):
        pieces = list(NameGram.objects.filter(resident=resident).values_list("gram", "community_id"))
        assert sorted(pieces) == sorted((gram, world.a.id) for gram in name_grams(resident.name)), resident.name
    assert [r.name for r in resident_list(head, q="丽买").items] == ["阿依古丽·买买提"]


def test_members_of_an_existing_household_join_it(world, head):
    existing = register(head, world.a, [person("赵大")], room="909")
    data = xlsx(roster([existing.number, "赵二", "配偶", new_id(male=False), "", ""]))
    job = commit(head, upload(head, world.a, data))
    assert job.applied_rows == 1
    existing.refresh_from_db()
    assert existing.member_count == 2 and Household.objects.count() == 1
    assert Resident.objects.get(name="赵二").household_id == existing.id


def test_a_second_head_of_a_household_is_a_problem_row(world, head):
    existing = register(head, world.a, [person("赵大")], room="909")
    data = xlsx(roster(
        ["001", "钱一", "户主", new_id(), ADDRESS, ""],
        ["001", "钱二", "户主", new_id(), ADDRESS, ""],  # a second head of the same 户号
        ["002", "孙一", "", new_id(), "甲社区小区1号楼1单元102室", ""],  # no relation: the head, as the first
        ["002", "孙二", "户主", new_id(), "甲社区小区1号楼1单元102室", ""],
        [existing.number, "赵二", "户主", new_id(), "", ""],  # a head for a household that has one
    ))
    expected = {(3, "C"): "本户已有户主（钱一）", (5, "C"): "本户已有户主（孙一）", (6, "C"): "本户已有户主（赵大）"}
    found = preview(head, upload(head, world.a, data))
    assert {(p["row"], p["column"]): p["message"][:len(expected.get((p["row"], p["column"]), ""))]
            for p in found["problems"]} == expected
    job = commit(head, upload(head, world.a, data))
    assert job.applied_rows == 2 and job.rejected_rows == 3
    assert sorted(Resident.objects.filter(relation="head").values_list("name", flat=True)) == ["孙一", "赵大", "钱一"]
    assert "一户只能有一位户主" in rejected_rows(job)[2][-1]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_utf8_and_gbk(world, head, encoding):
    data = csv_bytes([["居民信息表"], ["姓名", "证件号码", "与户主关系", "住址", "联系电话"],
                      ["欧阳娜娜", new_id(male=False), "户主", ADDRESS, "13900001111"],
                      ["", "", "", "", ""],
                      ["欧阳锋", new_id(), "丈夫", "", ""]], encoding)
    job = upload(head, world.a, data, name="roster.csv")
    assert job.header_row == 2 and job.mapping["B"] == "id_number"
    job = commit(head, job)
    assert job.status == ImportStatus.DONE and job.applied_rows == 2
    assert set(Resident.objects.values_list("name", flat=True)) == {"欧阳娜娜", "欧阳锋"}
    assert Household.objects.get().member_count == 2


def test_unsupported_file_and_empty_file(world, head):
    with pytest.raises(ApplicationError, match="不支持的文件格式"):
        upload(head, world.a, b"hello", name="roster.pdf")
    with pytest.raises(ApplicationError, match="没有数据"):
        upload(head, world.a, csv_bytes([], "utf-8"), name="empty.csv")
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("text, expected", [
    ("和平家园3号楼2单元501室", ("和平家园", "3", "2", "501")),
    ("和平家园3-2-501", ("和平家园", "3", "2", "501")),
    ("3栋2单元501", ("", "3", "2", "501")),
    ("幸福里2期12幢402", ("幸福里2期", "12", "", "402")),
    ("人民路12号院3号楼1单元101室", ("人民路12号院", "3", "1", "101")),
    ("和平家园A座1203", ("和平家园", "A", "", "1203")),
])
def test_address_parsing(text, expected):
    address = parse_address(text)
    assert (address.estate, address.building, address.entrance, address.room) == expected


def test_unreadable_address_and_unknown_place(world, worker):
    data = xlsx(roster(["1", "甲", "户主", new_id(), "和平家园", ""],
                       ["2", "乙", "户主", new_id(), "别的小区9号楼1单元101室", ""]))
    job = upload(worker, world.a, data)
    problems = preview(worker, job)["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "E"), (3, "E")]
    assert "无法识别" in problems[0]["message"]
    assert "不存在" in problems[1]["message"] and "社区书记" in problems[1]["message"]


def test_head_gets_missing_buildings_and_entrances_created(world, head):
    data = xlsx(roster(["1", "甲", "户主", new_id(), "甲社区小区7号楼3单元701室", ""]))
    job = upload(head, world.a, data)
    assert preview(head, job)["new_places"] == ["甲社区小区7号楼", "甲社区小区7号楼3单元"]
    assert not Building.objects.filter(number="7").exists()
    job = imports.import_commit(actor=head, job=job)
    building = Building.objects.get(number="7", estate=world.a.estate)
    assert Entrance.objects.filter(building=building, number="3").exists()
    assert Household.objects.get().building_id == building.id
    assert AuditEvent.objects.filter(verb="create", target_type="places.building").count() == 1


def test_invalid_values_rejected_with_row_column_and_header(world, head):
    data = xlsx(roster(["1", "甲", "户主", new_id(), ADDRESS, "12345"],
                       ["1", "", "配偶", new_id(), "", ""],
                       ["1", "丙", "表哥的朋友", new_id(), "", ""]))
    job = upload(head, world.a, data)
    problems = {(p["row"], p["column"], p["header"]): p["message"] for p in preview(head, job)["problems"]}
    assert problems[(2, "F", "手机号")] == "手机号应为以1开头的11位数字"
    assert problems[(3, "B", "姓名")] == "姓名不能为空"
    assert problems[(4, "C", "与户主关系")].startswith("“表哥的朋友”无法识别")


# -- Duplicates and rejected rows ---------------------------------------------------------------------------


def test_duplicates_reported_or_updated_by_choice(world, head):
    registered = register(head, world.a, [person("钱一", phone="13800000001")], room="301")
    old = registered.members.get()
    number = old_number = services_reveal(old)
    data = xlsx(roster(["", "钱壹", "户主", number, "甲社区小区1号楼1单元301室", "13800000002"],
                       ["", "孙二", "户主", new_id(), "甲社区小区1号楼1单元302室", ""]))
    job = upload(head, world.a, data)
    result = preview(head, job)
    assert result["counts"]["duplicates"] == 1
    assert result["duplicates"][0]["row"] == 2 and result["duplicates"][0]["resident_id"] == old.id
    job = imports.import_commit(actor=head, job=job)
    assert job.applied_rows == 1 and job.rejected_rows == 1
    assert "已登记" in rejected_rows(job)[1][-1]
    old.refresh_from_db()
    assert old.name == "钱一"

    job = upload(head, world.a, data)
    job = commit(head, job, policy="update")
    assert job.status == ImportStatus.DONE and job.applied_rows == 2 and job.rejected_rows == 0
    old.refresh_from_db()
    assert old.name == "钱壹" and old.phone_masked == "138****0002" and old.household_id == registered.id
    assert Resident.objects.filter(name="孙二").count() == 1  # created once, by the first import
    assert [r.id for r in resident_list(head, q="钱壹").items] == [old.id] and resident_list(head, q="钱一").items == []
    event = AuditEvent.objects.filter(verb="import_commit").latest("id")
    assert event.details["updated"] == 2  # 孙二 was matched too, with nothing to change
    [change] = event.details["updated_changes"]
    assert change["resident"] == old.id and change["changes"]["name"] == {"from": "钱一", "to": "钱壹"}
    assert change["changes"]["phone"] == {"from": "138****0001", "to": "138****0002"}
    assert old_number not in str(event.details)


def test_numbers_in_the_notes_column_are_masked_and_sealed_on_create_and_update(world, head):
    number = new_id()
    data = xlsx([["户号", "姓名", "与户主关系", "身份证号", "住址", "备注"],
                 ["1", "郑一", "户主", number, ADDRESS, "女儿 13612345678"]])
    commit(head, upload(head, world.a, data))
    resident = Resident.objects.get(name="郑一")
    assert resident.notes == "女儿 136****5678" and reveal_notes(resident) == "女儿 13612345678"

    data = xlsx([["户号", "姓名", "与户主关系", "身份证号", "住址", "备注"],
                 ["1", "郑一", "户主", number, ADDRESS, "儿子 13798765432"]])
    job = commit(head, upload(head, world.a, data), policy="update")
    resident.refresh_from_db()
    assert resident.notes == "儿子 137****5432" and reveal_notes(resident) == "儿子 13798765432"
    event = AuditEvent.objects.filter(verb="import_commit").latest("id")
    assert event.details["updated_changes"][0]["changes"] == {
        "notes": {"from": "女儿 136****5678", "to": "儿子 137****5432"}}
    assert "13798765432" not in str(job.problems) + str(event.details)


def test_the_roster_goes_once_imported_and_idle_files_after_a_day(world, head, login):
    data = xlsx(roster(["1", "冯一", "户主", new_id(), ADDRESS, ""], ["1", "冯二", "配偶", "123", "", ""]))
    done = commit(head, upload(head, world.a, data))
    storage = ImportJob._meta.get_field("file").storage
    roster_name = ImportJob.objects.filter(id=done.id).values_list("file_name", flat=True).get()
    assert done.status == ImportStatus.DONE and not done.file and done.rejected_file and roster_name
    rejected_name = done.rejected_file.name
    waiting = imports.import_set_mapping(actor=head, job=upload(head, world.a, data, name="待导入.xlsx"),
                                         mapping=done.mapping)
    waiting_name = waiting.file.name
    assert storage.exists(waiting_name) and storage.exists(rejected_name)

    # A day later, the next upload removes what nobody touched since; a recent upload keeps its file.
    ImportJob.objects.filter(id__in=[done.id, waiting.id]).update(updated_at=timezone.now() - timedelta(days=1, minutes=1))
    recent = upload(head, world.a, data, name="新上传.xlsx")
    assert storage.exists(recent.file.name)
    assert not storage.exists(waiting_name) and not storage.exists(rejected_name)
    done.refresh_from_db()
    waiting.refresh_from_db()
    assert not waiting.file and not done.rejected_file and done.rejected_rows == 1
    with pytest.raises(ApplicationError, match="超过保存期限"):
        imports.import_commit(actor=head, job=waiting)
    with pytest.raises(ApplicationError, match="超过保存期限"):
        imports.import_preview(actor=head, job=waiting)
    client = login(head)
    page = client.get(reverse("registry:import_progress", args=[done.id])).content.decode()
    assert "data-rejected-expired" in page
    assert client.get(reverse("registry:import_rejected", args=[done.id])).status_code == 404


def services_reveal(resident):
    from shequ.registry.protection import reveal_id_number

    return reveal_id_number(resident)


def test_duplicate_in_another_community_and_within_the_file(world, head):
    other = register(world.user(Role.COMMUNITY_HEAD, community=world.b), world.b, [person("周一")])
    taken = services_reveal(other.members.get())
    twice = new_id()
    data = xlsx(roster(["1", "周一", "户主", taken, ADDRESS, ""],
                       ["1", "吴二", "配偶", twice, "", ""],
                       ["1", "吴二", "配偶", twice, "", ""]))
    job = commit(head, upload(head, world.a, data), policy="update")
    problems = {p["row"]: p["message"] for p in job.problems["items"]}
    assert "乙社区" in problems[2] and "迁出" in problems[2]
    assert "前面的行" in problems[4]
    assert job.applied_rows == 1


def test_rejected_rows_file_keeps_original_columns_and_explains_each_row(world, head):
    good = new_id()
    data = xlsx([["名册"], ["户号", "姓名", "与户主关系", "公民身份号码", "住址", "联系电话"],
                 ["1", "甲", "户主", good, ADDRESS, "13800001234"],
                 ["1", "乙", "配偶", "110105197503041235", "", "139"],
                 ["1", "丙", "子", 1.10105e17, "", ""]])
    job = commit(head, upload(head, world.a, data))
    rows = rejected_rows(job)
    assert rows[0] == ["户号", "姓名", "与户主关系", "公民身份号码", "住址", "联系电话", "错误说明"]
    assert rows[1][:4] == ["1", "乙", "配偶", "110105197503041235"]
    assert rows[1][6].startswith("原表第4行：D列（公民身份号码）：身份证号校验码错误")
    assert "F列（联系电话）：手机号应为以1开头的11位数字" in rows[1][6]
    assert rows[2][1] == "丙" and "第5行" in rows[2][6] and PRECISION in rows[2][6]
    assert len(rows) == 3


# -- All or nothing, cancel, background -------------------------------------------------------------------------


def _big_roster(count, *, households_of=3, prefix="B"):
    rows = [["户号", "姓名", "与户主关系", "身份证号", "住址"]]
    for i in range(count):
        household = i // households_of
        rows.append([f"{prefix}{household:05d}", f"居民{'甲乙丙丁戊己庚辛'[i % 8]}{'子丑寅卯'[i % 4]}",
                     "户主" if i % households_of == 0 else "子女", new_id(born=date(1950 + i % 50, 1, 1 + i % 28)),
                     f"甲社区小区1号楼1单元{household + 100}室"])
    return xlsx(rows)


def test_failure_half_way_leaves_the_registry_exactly_as_it_was(world, head, monkeypatch):
    register(head, world.a, [person("原有")], room="999")
    before = registry_counts()
    monkeypatch.setattr(imports, "BATCH_SIZE", 10)
    job = upload(head, world.a, _big_roster(60))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    seen = []

    def explode(processed, total):
        seen.append(processed)
        if processed >= 30:
            raise RuntimeError("磁盘已满")

    job = imports.run_import(job, actor=head, on_progress=explode)
    assert seen[0] < 30 <= seen[-1]  # rows were written before the failure
    assert job.status == ImportStatus.FAILED and "未做任何改动" in job.error_message and "磁盘已满" in job.error_message
    assert registry_counts() == before
    assert not job.rejected_file
    assert AuditEvent.objects.filter(verb="import_failed").exists()
    assert not AuditEvent.objects.filter(verb="import_commit").exists()


def test_cancel_mid_run_rolls_everything_back(world, head, monkeypatch):
    before = registry_counts()
    monkeypatch.setattr(imports, "BATCH_SIZE", 10)
    job = upload(head, world.a, _big_roster(50))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)

    def cancel_after_first_batch(processed, total):
        if processed >= 10:
            imports.import_cancel(actor=head, job=ImportJob.objects.get(id=job.id))

    job = imports.run_import(job, actor=head, on_progress=cancel_after_first_batch)
    assert job.status == ImportStatus.CANCELLED and job.cancel_requested
    assert registry_counts() == before
    assert AuditEvent.objects.filter(verb="import_cancelled", actor=head).exists()


def test_cancel_before_the_worker_starts(world, head):
    job = upload(head, world.a, _big_roster(6))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    ImportJob.objects.filter(id=job.id).update(status=ImportStatus.QUEUED)
    imports.import_cancel(actor=head, job=job)
    job = imports.run_import(ImportJob.objects.get(id=job.id), actor=head)
    assert job.status == ImportStatus.CANCELLED and Resident.objects.count() == 0
    with pytest.raises(ApplicationError, match="已结束"):
        imports.import_cancel(actor=head, job=job)


def test_an_unstarted_import_can_be_cancelled(world, head):
    job = upload(head, world.a, _big_roster(3))
    job = imports.import_cancel(actor=head, job=job)
    assert job.status == ImportStatus.CANCELLED


def test_progress_of_a_running_import_is_read_from_its_signal(world, head):
    job = upload(head, world.a, _big_roster(3))
    ImportJob.objects.filter(id=job.id).update(status=ImportStatus.RUNNING, total_rows=3000)
    job.refresh_from_db()
    imports._Signals(job).progress(1200, 3000)
    if connection.vendor == "sqlite":
        assert imports.import_progress(job) == (1200, 3000)
    else:  # PostgreSQL: written through a second connection, which cannot see this test's uncommitted job
        assert imports.import_progress(job) == (0, 3000)


def _running(job, *, heard):
    ImportJob.objects.filter(id=job.id).update(status=ImportStatus.RUNNING, total_rows=3000,
                                               updated_at=timezone.now() - heard)
    job.refresh_from_db()
    return job


def test_a_running_import_that_stopped_reporting_is_shown_failed(world, head, client):
    # Its process died (a restart, a crash) and its transaction with it: the page must not wait for ever.
    client.force_login(head)
    quiet = _running(upload(head, world.a, _big_roster(3)), heard=timedelta(minutes=3))
    page = client.get(reverse("registry:import_progress", args=[quiet.id])).content.decode()
    assert imports.ImportJob.objects.get(id=quiet.id).status == ImportStatus.RUNNING and "hx-get" in page
    dead = _running(upload(head, world.a, _big_roster(3)), heard=imports.STALLED_AFTER + timedelta(seconds=5))
    recent = client.get(reverse("registry:import_start")).content.decode()  # the list of latest imports
    assert recent.count(">导入中<") == 1 and recent.count(">失败<") == 1
    assert client.get(f"/api/v1/registry/imports/{dead.id}").json()["status"] == "failed"
    page = client.get(reverse("registry:import_progress", args=[dead.id])).content.decode()
    assert "导入中断" in page and "居民台账未做任何改动" in page and "hx-get" not in page
    event = AuditEvent.objects.get(verb="import_failed")
    assert event.target_id == str(dead.id) and "导入中断" in event.details["error"]
    assert imports.ImportJob.objects.get(id=quiet.id).status == ImportStatus.RUNNING


def test_a_running_import_that_reports_progress_is_alive(world, head):
    job = _running(upload(head, world.a, _big_roster(3)), heard=timedelta(hours=1))
    imports._Signals(job).progress(1200, 3000)
    if connection.vendor == "postgresql":  # reported on the job row, by a connection this test's cannot see
        job = _running(job, heard=timedelta(seconds=1))
    assert imports.import_job_settle(job).status == ImportStatus.RUNNING


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL has no database-wide write lock")
@pytest.mark.django_db(transaction=True)  # the lock is taken by a second connection to the same file
def test_a_quiet_import_that_still_holds_the_write_lock_stays_running(world, head):
    job = _running(upload(head, world.a, _big_roster(3)), heard=timedelta(hours=1))
    writer = sqlite3.connect(connection.settings_dict["NAME"])
    writer.execute("BEGIN IMMEDIATE")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 50")
    try:
        assert imports.import_job_settle(job).status == ImportStatus.RUNNING
    finally:
        writer.rollback()
        writer.close()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 20000")
    assert imports.import_job_settle(job).status == ImportStatus.FAILED


def test_query_count_does_not_grow_with_rows(world, head):
    counts = []
    for size in (50, 500):  # households of their own: the second import's heads are not second heads
        job = upload(head, world.a, _big_roster(size, prefix=f"S{size}-"))
        job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
        with CaptureQueriesContext(connection) as queries:
            job = imports.run_import(job, actor=head)
        assert job.status == ImportStatus.DONE and job.applied_rows == size, job.error_message
        counts.append(len(queries))
    assert counts[1] <= counts[0] + 3, counts
    assert counts[1] < 60


def test_queries_grow_per_batch_not_per_row(world, head, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 100)
    job = upload(head, world.a, _big_roster(600))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    with CaptureQueriesContext(connection) as queries:
        job = imports.run_import(job, actor=head)
    assert job.applied_rows == 600
    assert len(queries) <= 25 + 6 * 12, len(queries)  # fixed part + 6 batches of at most 12 queries


@pytest.mark.parametrize("variable_limit", [None, 999])
def test_rows_go_in_many_a_statement_and_every_row_whole(world, head, variable_limit):
    """SQLite takes a batch's rows SQLITE_ROWS_PER_INSERT an INSERT (fewer where its limit on bound values is
    lower), and the remainder one a statement; each resident and household is its own row as the file says."""
    sqlite = connection.vendor == "sqlite"
    if variable_limit and not sqlite:
        pytest.skip("PostgreSQL writes by COPY")
    connection.ensure_connection()
    before = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variable_limit) \
        if variable_limit else None
    try:
        data = _big_roster(250, households_of=2)
        job = upload(head, world.a, data)
        job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
        with CaptureQueriesContext(connection) as queries:
            job = imports.run_import(job, actor=head)
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if sqlite else None
    finally:
        if before is not None:
            connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
    assert job.status == ImportStatus.DONE and job.applied_rows == 250, job.error_message
    file_rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True))
    residents = list(Resident.objects.order_by("id").select_related("household"))
    assert [(r.household.number, r.name, r.id_number_hash, r.household.address) for r in residents] == [
        (number, name, id_number_hash(id_number), address) for number, name, _, id_number, address in file_rows]
    assert {r.household.member_count for r in residents} == {2}
    if sqlite:
        inserts = [re.match(r'(\d+) times: INSERT INTO "registry_resident"', q["sql"]) for q in queries.captured_queries]
        width = len(imports.RESIDENT_PLACE_COLUMNS) + len(imports.RECORD_COLUMNS)
        per_statement = min(imports.SQLITE_ROWS_PER_INSERT, limit // width)
        whole = 250 // per_statement * per_statement
        assert [(int(m[1]), m.string.count("), (") + 1) for m in inserts if m] == [
            (whole // per_statement, per_statement), (250 - whole, 1)]


def test_commit_audits_once_with_counts_and_created_ids(world, head):
    job = commit(head, upload(head, world.a, _big_roster(9)))
    events = AuditEvent.objects.filter(verb="import_commit")
    assert events.count() == 1
    details = events.get().details
    assert (details["created"], details["households_created"], details["rejected"]) == (9, 3, 0)
    assert details["job"] == job.id
    ids = sorted(Resident.objects.values_list("id", flat=True))
    assert [[ids[0], ids[-1]]] == details["created_ids"]
    assert set(AuditEvent.objects.values_list("verb", flat=True)) >= {"import_upload", "import_mapping",
                                                                     "import_queue", "import_commit"}
    assert not AuditEvent.objects.filter(verb="resident_add").exists()


def planner_row_estimate(table):
    """The number of rows the query planner believes the table has, from its gathered statistics."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
            stats = cursor.fetchall()
            return int(stats[0][0].split()[0]) if stats else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        estimate = cursor.fetchone()[0]
        return None if estimate < 0 else int(estimate)


def test_a_finished_import_leaves_the_planner_statistics_of_the_registry_current(world, head):
    commit(head, upload(head, world.a, _big_roster(12)))
    assert planner_row_estimate(Resident._meta.db_table) == 12
    assert planner_row_estimate(Household._meta.db_table) == 4
    assert planner_row_estimate(NameGram._meta.db_table) == NameGram.objects.count()


# -- Scope ------------------------------------------------------------------------------------------------------


def test_other_community_cannot_see_or_commit_the_job(world, head, client):
    job = upload(head, world.a, _big_roster(3))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    outsider = world.user(Role.COMMUNITY_WORKER, community=world.b)
    with pytest.raises(NotFound):
        imports.import_job_get(outsider, job.id)
    client.force_login(outsider)
    for url in (f"/registry/import/{job.id}/", f"/registry/import/{job.id}/mapping/",
                f"/registry/import/{job.id}/preview/", f"/api/v1/registry/imports/{job.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/registry/import/{job.id}/commit/", {"duplicate_policy": "update"}).status_code == 404
    assert client.post(f"/api/v1/registry/imports/{job.id}/commit", {}, content_type="application/json"
                       ).status_code == 404
    assert client.post(f"/api/v1/registry/imports/{job.id}/cancel").status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPED and Resident.objects.count() == 0


def test_grid_worker_and_street_admin_cannot_import(world, client):
    for role in (Role.GRID_WORKER, Role.STREET_ADMIN):
        actor = world.user(role)
        with pytest.raises(Forbidden):
            upload(actor, world.a, _big_roster(3))
        client.force_login(actor)
        assert client.get("/registry/import/").status_code == 403
        response = client.post("/api/v1/registry/imports", {"community_id": world.a.id,
                                                             "file": SimpleUploadedFile("a.xlsx", _big_roster(3))})
        assert response.status_code == 404


# -- Pages and API ----------------------------------------------------------------------------------------------


def test_pages_walk_upload_mapping_preview_commit_done(world, head, client):
    client.force_login(head)
    page = client.get("/registry/")
    assert 'href="/registry/import/"' in page.content.decode()
    data = xlsx([["居民花名册"], ["人员", "身份证号", "与户主关系", "住址"],
                 ["甲", new_id(), "户主", ADDRESS], ["乙", "bad", "配偶", ""]])
    response = client.post("/registry/import/", {"file": SimpleUploadedFile("花名册.xlsx", data),
                                                  "community": world.a.id})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registry/import/{job.id}/mapping/"
    page = client.get(response["Location"]).content.decode()
    assert "第 2 行为表头" in page and "人员" in page and "（不导入）" in page
    response = client.post(f"/registry/import/{job.id}/mapping/", {
        "col_A": "name", "col_B": "id_number", "col_C": "relation", "col_D": "address"})
    assert response.status_code == 302 and response["Location"] == f"/registry/import/{job.id}/preview/"
    page = client.get(response["Location"]).content.decode()
    assert "data-problems" in page and "身份证号含非法字符" in page and "<td>4</td>" in page
    response = client.post(f"/registry/import/{job.id}/commit/", {"duplicate_policy": "report"})
    assert response["Location"] == f"/registry/import/{job.id}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and f"/registry/import/{job.id}/rejected.xlsx" in page
    assert 'hx-trigger="every 1s"' not in page
    download = client.get(f"/registry/import/{job.id}/rejected.xlsx")
    assert download.status_code == 200 and download["Content-Type"].startswith("application/vnd.openxml")


def test_mapping_page_shows_errors(world, head, client):
    client.force_login(head)
    job = upload(head, world.a, _big_roster(3))
    response = client.post(f"/registry/import/{job.id}/mapping/", {"col_B": "name", "col_C": "name"})
    assert response.status_code == 200 and "同时对应了B列和C列" in response.content.decode()


def test_progress_partial_polls_every_second_and_offers_cancel(world, head, client):
    client.force_login(head)
    job = upload(head, world.a, _big_roster(3))
    ImportJob.objects.filter(id=job.id).update(status=ImportStatus.RUNNING, total_rows=200, processed_rows=50)
    response = client.get(f"/registry/import/{job.id}/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and "<progress" in html and 'value="50"' in html and "25%" in html
    assert "取消导入" in html and "<html" not in html
    response = client.post(f"/registry/import/{job.id}/cancel/")
    assert response.status_code == 302


def test_api_upload_map_commit_and_download_rejected(world, head, client):
    client.force_login(head)
    data = csv_bytes([["姓名", "身份证号码", "与户主关系", "住址"], ["甲", new_id(), "户主", ADDRESS],
                      ["乙", "110105197503041235", "配偶", ""]], "gbk")
    response = client.post("/api/v1/registry/imports",
                           {"community_id": world.a.id, "file": SimpleUploadedFile("名单.csv", data)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "uploaded" and body["mapping"]["B"] == "id_number"
    url = f"/api/v1/registry/imports/{body['id']}"
    body = client.post(f"{url}/mapping", {"mapping": body["mapping"], "duplicate_policy": "update"},
                       content_type="application/json").json()
    assert body["status"] == "previewed" and body["counts"]["rejected"] == 1
    assert body["problems"] == [{"row": 3, "column": "B", "header": "身份证号码", "field": "id_number",
                                 "message": "身份证号校验码错误，应为 " + body["problems"][0]["message"][-1]}]
    response = client.post(f"{url}/commit", {}, content_type="application/json")
    assert response.status_code == 202 and response.json()["status"] == "done"
    body = client.get(url).json()
    assert body["applied_rows"] == 1 and body["rejected_file_url"] == f"{url}/rejected"
    rejected = client.get(body["rejected_file_url"])
    assert rejected.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(rejected.streaming_content))).active
    assert sheet.cell(1, 5).value == "错误说明" and sheet.cell(2, 1).value == "乙"


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA"]


def _indexes():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
                           "('registry_resident', 'registry_namegram') ORDER BY name")
        else:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                           "('registry_resident', 'registry_namegram') ORDER BY indexname")
        return cursor.fetchall()


def _sqlite_sort_settings():
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        return [cursor.execute(f"PRAGMA {pragma}").fetchone()[0] for pragma in ("cache_size", "threads")]


@pytest.mark.parametrize("fail", [False, True])
def test_large_imports_leave_every_index_as_it_was(world, head, monkeypatch, fail):
    """SQLite drops the indexes it does not read during a large import and rebuilds them before
    commit (or restores them on rollback); PostgreSQL keeps them throughout."""
    monkeypatch.setattr(imports._IndexHold, "MIN_ROWS", 1)
    before = _indexes()
    assert len(before) >= 10
    sorting_before = _sqlite_sort_settings()
    job = upload(head, world.a, _big_roster(12))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    dropped = []

    def watch(processed, total):
        dropped.append(len(_indexes()))
        if fail:
            raise RuntimeError("断电")

    job = imports.run_import(job, actor=head, on_progress=watch)
    if connection.vendor == "sqlite":
        assert dropped[0] < len(before)  # the import ran without them
    else:
        assert dropped[0] == len(before)
    assert _indexes() == before
    assert _sqlite_sort_settings() == sorting_before  # the sorts' smaller cache and threads are the connection's no longer
    assert job.status == (ImportStatus.FAILED if fail else ImportStatus.DONE)
    if not fail:
        assert resident_list(head, q="居民").items  # found through the rebuilt name-piece index


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite holds indexes back during an import")
@pytest.mark.parametrize("registered_before", [False, True])
def test_the_id_number_index_is_held_back_only_when_no_duplicate_can_be_looked_up(world, head, monkeypatch,
                                                                                 registered_before):
    monkeypatch.setattr(imports._IndexHold, "MIN_ROWS", 1)
    if registered_before:
        register(head, world.a, [person("原有")], room="999")
    job = upload(head, world.a, _big_roster(12))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    during = []

    def watch(processed, total):
        during.append({name for name, _ in _indexes()})

    job = imports.run_import(job, actor=head, on_progress=watch)
    hash_index = next(name for name, sql in _indexes() if '("id_number_hash")' in sql)
    assert (hash_index in during[0]) is registered_before
    assert job.status == ImportStatus.DONE and hash_index in {name for name, _ in _indexes()}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL keeps its foreign-key checks")
@pytest.mark.django_db(transaction=True)  # SQLite switches the checks off only outside a transaction
def test_an_import_writes_without_foreign_key_checks_and_leaves_every_key_whole(world, head):
    job = upload(head, world.a, _big_roster(12))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    during = []

    def watch(processed, total):
        with connection.cursor() as cursor:
            during.append(cursor.execute("PRAGMA foreign_keys").fetchone()[0])

    job = imports.run_import(job, actor=head, on_progress=watch)
    assert job.status == ImportStatus.DONE and Resident.objects.count() == 12
    assert during == [0]
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cursor.execute("PRAGMA foreign_key_check").fetchall() == []


def test_household_type_and_housing_columns(world, head):
    data = xlsx([["户号", "姓名", "与户主关系", "身份证号", "住址", "户类型", "住房性质"],
                 ["1", "甲", "户主", new_id(), ADDRESS, "流动", "租房"],
                 ["2", "乙", "户主", new_id(), "甲社区小区1号楼1单元102室", "常住", "别墅"]])
    job = commit(head, upload(head, world.a, data))
    household = Household.objects.get()
    assert (household.household_type, household.housing) == ("floating", "rented")
    [problem] = job.problems["items"]
    assert (problem["row"], problem["column"], problem["header"]) == (3, "G", "住房性质")
    assert problem["message"].startswith("住房性质“别墅”无法识别")


def test_columns_the_mapping_leaves_out_take_their_defaults_and_mapped_ones_the_rows_values(world, head):
    """An import writes what is the same for all its rows (its moment, community, status, the defaults of columns
    its mapping leaves out) once in the statement; each resident and household still gets every one of them."""
    before = timezone.now()
    data = xlsx([["户号", "姓名", "与户主关系", "身份证号", "住址", "政治面貌", "迁入日期", "备注"],
                 ["1", "冯一", "户主", new_id(), ADDRESS, "中共党员", "2020-05-01", "100% 'ok'"],
                 ["1", "冯二", "配偶", new_id(male=False), ADDRESS, "", "", ""]])
    commit(head, upload(head, world.a, data))
    data = xlsx([["户号", "姓名", "与户主关系", "身份证号", "住址"], ["2", "卫一", "户主", new_id(), ADDRESS]])
    commit(head, upload(head, world.a, data))

    first, second, other = (Resident.objects.get(name=name) for name in ("冯一", "冯二", "卫一"))
    assert (first.political_status, first.moved_in_on, first.notes) == ("cpc", date(2020, 5, 1), "100% 'ok'")
    assert (second.political_status, second.moved_in_on, second.notes) == ("", None, "")
    assert (other.political_status, other.moved_in_on, other.notes, other.notes_enc) == ("", None, "", "")
    for resident in (first, second, other):
        assert resident.community_id == world.a.id and resident.status == "present"
        assert resident.residence_status == Resident._meta.get_field("residence_status").get_default()
        assert resident.floating_registered_on is None and resident.education == ""
        assert before <= resident.created_at == resident.updated_at <= timezone.now()
    for household in Household.objects.filter(number__in=("1", "2")):
        assert household.community_id == world.a.id and household.status == "living"
        assert household.registered_on == timezone.localdate() and not household.placement_overridden
        assert (household.phone_enc, household.phone_hash, household.phone_masked) == ("", "", "")
        assert household.member_count == (2 if household.number == "1" else 1)
