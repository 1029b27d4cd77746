"""Exports: the filtered list masked by default and in full only with a reason (audited), the standard
roster layout, scope, and query counts that do not grow with the rows."""

import io
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.core.errors import ApplicationError, Forbidden, NotFound
from shequ.places.models import Building, Grid
from shequ.registry import exports, services
from shequ.registry.protection import reveal_id_number

from .helpers import person, register


def read(export):
    with export.open() as handle:
        return openpyxl.load_workbook(io.BytesIO(handle.read()))


def body(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


@pytest.fixture
def setup(world):
    worker = world.user(Role.COMMUNITY_WORKER)
    first = register(worker, world.a, [person("张建国", phone="13800001234"),
                                       person("王丽", male=False, relation="spouse"),
                                       person("张小明", born=date(2010, 5, 1), relation="child")], room="101")
    second = register(worker, world.a, [person("李雷", phone="13900005678")], room="102")
    other = register(world.user(Role.COMMUNITY_WORKER, community=world.b), world.b, [person("外人")])
    return worker, first, second, other


def test_list_export_is_masked_by_default_and_audited(setup):
    worker, first, second, _ = setup
    export = exports.resident_export_xlsx(worker, {})
    assert export.rows == 4 and not export.revealed
    data = rows(read(export).active)
    header = data[0]
    assert header[:6] == ["姓名", "性别", "出生日期", "民族", "身份证号", "手机号"]
    by_name = {row[0]: row for row in data[1:]}
    assert set(by_name) == {"张建国", "王丽", "张小明", "李雷"}  # not 外人 of the other community
    zhang = first.members.get(name="张建国")
    assert by_name["张建国"][4] == zhang.id_number_masked and "*" in by_name["张建国"][4]
    assert by_name["张建国"][5] == "138****1234"
    assert by_name["张建国"][7] == first.number and by_name["张建国"][8] == first.address
    assert reveal_id_number(zhang) not in str(data)
    event = AuditEvent.objects.get(verb="export")
    assert event.details["rows"] == 4 and event.details["full_values"] is False and event.actor == worker


def test_list_export_in_full_needs_a_reason_and_is_audited(setup):
    worker, first, _, _ = setup
    zhang = first.members.get(name="张建国")
    with pytest.raises(ApplicationError, match="原因"):
        exports.resident_export_xlsx(worker, {}, reveal_reason="x")
    export = exports.resident_export_xlsx(worker, {"q": "张建国"}, reveal_reason="上报高龄津贴名单")
    data = rows(read(export).active)
    assert len(data) == 2 and data[1][4] == reveal_id_number(zhang) and data[1][5] == "13800001234"
    event = AuditEvent.objects.get(verb="export")
    assert event.details["reason"] == "上报高龄津贴名单" and event.details["full_values"] is True
    assert event.details["rows"] == 1 and event.details["filters"] == {"q": "张建国"}
    assert event.community_id == zhang.community_id


def test_roles_that_may_not_reveal_get_no_full_export(setup, world):
    admin = world.user(Role.STREET_ADMIN)
    assert exports.resident_export_xlsx(admin, {}).rows == 5  # masked, the whole street
    with pytest.raises(Forbidden):
        exports.resident_export_xlsx(admin, {}, reveal_reason="核对信息")
    assert not AuditEvent.objects.filter(verb="export", details__full_values=True).exists()


def test_grid_worker_exports_only_his_grid(setup, world):
    worker, *_ = setup
    grid = Grid.objects.create(community=world.a, code="02", name="第2网格")
    building = Building.objects.create(community=world.a, estate=world.a.estate, number="2", grid=grid)
    services.household_register(actor=worker, estate=world.a.estate, building=building, room="201",
                                members=[person("网格二")])
    grid_worker = world.user(Role.GRID_WORKER, grid=grid)
    export = exports.resident_export_xlsx(grid_worker, {}, reveal_reason="入户走访核对")
    data = rows(read(export).active)
    assert [row[0] for row in data[1:]] == ["网格二"] and "*" not in data[1][4]


def test_list_export_filters_like_the_list(setup):
    worker, *_ = setup
    export = exports.resident_export_xlsx(worker, {"sex": "F"})
    assert [row[0] for row in rows(read(export).active)[1:]] == ["王丽"]


def test_list_export_queries_do_not_grow_with_rows(setup, world, monkeypatch):
    worker, *_ = setup
    monkeypatch.setattr(exports, "BATCH", 2)
    with CaptureQueriesContext(connection) as few:
        exports.resident_export_xlsx(worker, {"q": "李雷"})
    for i in range(6):
        register(worker, world.a, [person(f"新{'甲乙丙丁戊己'[i]}")], room=f"5{i:02d}")
    monkeypatch.setattr(exports, "BATCH", 2000)
    worker = type(worker).objects.get(id=worker.id)  # fresh scope cache
    with CaptureQueriesContext(connection) as many:
        export = exports.resident_export_xlsx(worker, {})
    assert export.rows == 10
    assert len(many) <= len(few) + 1, (len(few), len(many))
    monkeypatch.setattr(exports, "BATCH", 3)  # keyset pages: every row once, in id order
    names = [row[0] for row in rows(read(exports.resident_export_xlsx(worker, {})).active)[1:]]
    assert len(names) == len(set(names)) == 10


def test_roster_layout_groups_households_and_merges_their_cells(setup, world):
    worker, first, second, _ = setup
    export = exports.roster_export_xlsx(worker)
    assert export.filename.startswith("甲社区居民花名册")
    sheet = read(export).active
    data = rows(sheet)
    assert data[0][0] == "甲社区居民花名册"
    assert data[1] == ["序号", "户号", "地址", "姓名", "与户主关系", "性别", "民族", "出生日期", "身份证号", "联系电话",
                       "居住状况", "备注"]
    assert [row[3] for row in data[2:]] == ["张建国", "王丽", "张小明", "李雷"]  # head first, households together
    assert data[2][:3] == [1, first.number, first.address] and data[3][:3] == [None, None, None]
    assert data[5][:3] == [2, second.number, second.address]
    assert data[2][4] == "户主" and data[3][4] == "配偶" and data[4][4] == "子女"
    assert "*" in data[2][8] and data[2][9] == "138****1234"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:L1", "A3:A5", "B3:B5", "C3:C5"} <= merged
    assert not any(r.startswith("A6") for r in merged)  # one-member household: nothing to merge
    event = AuditEvent.objects.get(verb="export")
    assert event.details["kind"] == "roster" and event.details["rows"] == 4


def test_the_roster_lists_the_residents_the_list_shows(setup, world, client):
    worker, first, second, _ = setup
    client.force_login(worker)
    # The list searched for 张: its roster has the two 张 of the first household, numbered from 1, and not 李雷's.
    data = rows(body(client.get("/registry/roster.xlsx", {"q": "张"})).active)
    assert [row[3] for row in data[2:]] == ["张建国", "张小明"] and data[2][:3] == [1, first.number, first.address]
    assert [row[3] for row in rows(body(client.get("/registry/roster.xlsx", {"age_max": 30})).active)[2:]] == ["张小明"]
    services.resident_move_out(actor=worker, resident=second.members.get(), on=date(2026, 1, 1))
    assert [row[3] for row in rows(body(client.get("/registry/roster.xlsx", {"status": "moved_out"})).active)[2:]] \
        == ["李雷"]
    event = AuditEvent.objects.filter(verb="export").latest("id")
    assert event.details["filters"]["status"] == "moved_out" and event.details["rows"] == 1


def test_roster_in_full_with_reason(setup):
    worker, first, *_ = setup
    zhang = first.members.get(name="张建国")
    sheet = read(exports.roster_export_xlsx(worker, reveal_reason="民政核对")).active
    assert sheet.cell(3, 9).value == reveal_id_number(zhang) and sheet.cell(3, 10).value == "13800001234"


def test_roster_of_a_community_out_of_scope_is_not_found(setup, world):
    worker, *_ = setup
    with pytest.raises(NotFound):
        exports.roster_export_xlsx(worker, community_id=world.b.id)
    admin = world.user(Role.STREET_ADMIN)
    with pytest.raises(ApplicationError, match="按社区导出"):
        exports.roster_export_xlsx(admin)
    assert exports.roster_export_xlsx(admin, community_id=world.b.id).rows == 1


def test_pages_download_masked_and_full(setup, client):
    worker, first, *_ = setup
    client.force_login(worker)
    page = client.get("/registry/", {"q": "张"}).content.decode()
    assert "/registry/export.xlsx?q=%E5%BC%A0" in page and "/registry/roster.xlsx" in page
    response = client.get("/registry/export.xlsx", {"q": "张"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    names = [row[0] for row in rows(body(response).active)[1:]]
    assert names == ["张建国", "张小明"]
    response = client.post("/registry/export.xlsx?q=%E5%BC%A0%E5%BB%BA%E5%9B%BD", {"reveal_reason": "核对身份"})
    assert rows(body(response).active)[1][4] == reveal_id_number(first.members.get(name="张建国"))
    response = client.post("/registry/export.xlsx", {"reveal_reason": "x"})
    assert response.status_code == 302
    response = client.get("/registry/roster.xlsx")
    assert response.status_code == 200 and rows(body(response).active)[0][0] == "甲社区居民花名册"
    assert AuditEvent.objects.filter(verb="export").count() == 3


def test_api_export(setup, client):
    worker, first, *_ = setup
    client.force_login(worker)
    response = client.get("/api/v1/registry/export.xlsx", {"sex": "M"})
    assert response.status_code == 200
    assert sorted(row[0] for row in rows(body(response).active)[1:]) == ["张小明", "张建国", "李雷"]
    response = client.get("/api/v1/registry/export.xlsx", {"q": "王丽", "reveal_reason": "核对"})
    assert rows(body(response).active)[1][4] == reveal_id_number(first.members.get(name="王丽"))
    response = client.get("/api/v1/registry/export.xlsx", {"reveal_reason": "x"})
    assert response.status_code == 400 and "原因" in response.json()["message"]
    response = client.get("/api/v1/registry/roster.xlsx")
    assert response.status_code == 200


def test_notes_are_masked_in_exports_and_in_full_only_with_a_reason(setup):
    worker, first, *_ = setup
    zhang = first.members.get(name="张建国")
    services.resident_correct(actor=worker, resident=zhang, data={"notes": "女儿电话13812345678"})
    masked = {row[0]: row for row in rows(read(exports.resident_export_xlsx(worker, {})).active)}
    assert masked["张建国"][-1] == "女儿电话138****5678"
    full = rows(read(exports.resident_export_xlsx(worker, {"q": "张建国"}, reveal_reason="联系家属")).active)
    assert full[1][-1] == "女儿电话13812345678"
    roster = read(exports.roster_export_xlsx(worker, reveal_reason="民政核对")).active
    assert roster.cell(3, 12).value == "女儿电话13812345678"
    masked_roster = read(exports.roster_export_xlsx(worker)).active
    assert masked_roster.cell(3, 12).value == "女儿电话138****5678"
