"""The roster import as a community head does it in the browser: upload a messy roster (title row, an
unrecognised header, a bad ID), map the column by hand, read the problems on the preview, import, and
download the rejected rows; then export the list, and the roster as a background export. Screenshots of
each step at 1366×768 and the preview at 390×844."""

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.files import File
from playwright.sync_api import expect

from conftest import TEST_PASSWORD
from shequ.accounts.models import Role
from shequ.core.identity import make_id_number
from shequ.core.tests.conftest import PHONE, browser, login_as, new_page, screenshot, wide_elements  # noqa: F401
from shequ.registry import exports, imports
from shequ.registry.models import Household, ImportJob, ImportStatus, Resident

pytestmark = pytest.mark.browser


def roster_file(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["甲社区居民花名册"])
    sheet.merge_cells("A1:E1")
    sheet.append(["户号", "人员", "与户主关系", "公民身份号码", "现住址"])
    sheet.append(["101", "张建国", "户主", make_id_number("110105", date(1960, 2, 3), 1, True), "甲社区小区1号楼1单元101室"])
    sheet.append(["101", "王丽", "配偶", make_id_number("110105", date(1962, 6, 7), 2, False), None])
    sheet.append(["101", "张小明", "子", 1.10105198805061e17, None])
    sheet.merge_cells("A3:A5")
    sheet.merge_cells("E3:E5")
    path = tmp_path / "甲社区花名册.xlsx"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_upload_map_preview_import_and_download(world, live_server, new_page, tmp_path, monkeypatch):  # noqa: F811
    head = world.user(Role.COMMUNITY_HEAD)
    page = new_page()
    login_as(page, live_server, head.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/registry/")
    page.get_by_role("link", name="导入花名册").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入花名册")
    expect(page.get_by_role("link", name="下载导入模板")).to_be_visible()
    page.locator("input[type=file]").set_input_files(roster_file(tmp_path))
    screenshot(page, "import-1-upload")
    page.get_by_role("button", name="上传并识别表头").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("对应列")
    expect(page.get_by_text("已识别第 2 行为表头")).to_be_visible()
    page.locator("[name=col_B]").select_option("name")  # 人员 is not a known header: mapped by hand
    screenshot(page, "import-2-mapping")
    page.get_by_role("button", name="下一步：预检").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("预检结果")
    expect(page.locator("[data-precision-lost]")).to_contain_text("第5行")
    expect(page.locator("[data-problems]")).to_contain_text("公民身份号码")
    screenshot(page, "import-3-preview")
    page.get_by_role("button", name="开始导入").click()

    expect(page.locator("#import-status")).to_have_attribute("data-status", "done")
    expect(page.locator("[data-counts]")).to_contain_text("2")
    screenshot(page, "import-4-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载问题行（含错误说明）").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet.cell(1, 6).value == "错误说明" and sheet.cell(2, 2).value == "张小明"
    assert Household.objects.get().member_count == 2 and Resident.objects.count() == 2

    page.goto(f"{live_server.url}/registry/")
    screenshot(page, "import-5-list-actions")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    names = [row[0] for row in openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.iter_rows(values_only=True)]
    assert names == ["姓名", "张建国", "王丽"]
    assert wide_elements(page, 1366) == []
    page.locator("[name=q]").fill("王")  # htmx narrows the list and the address; the export follows it
    expect(page.locator("[data-count]")).to_contain_text("共 1 人")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    names = [row[0] for row in openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())
                                                      ).active.iter_rows(values_only=True)]
    assert names == ["姓名", "王丽"]

    monkeypatch.setattr(exports, "IN_REQUEST_ROWS", 1)  # two residents make a large export: written in the background
    page.locator("[name=q]").fill("")  # the roster, too, lists what the list shows: both residents again
    expect(page.locator("[data-count]")).to_contain_text("共 2 人")
    page.get_by_role("link", name="导出花名册").click()
    expect(page.locator("#export-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#export-status")).to_contain_text("文件保存一天")
    screenshot(page, "export-done")
    with page.expect_download() as download:
        page.locator("#export-status a[download]").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet.cell(1, 1).value == "甲社区居民花名册" and sheet.cell(3, 4).value == "张建国"
    # The export is listed under 我的导出, reached from its page, on an office screen and on a phone.
    page.locator(".crumbs").get_by_role("link", name="我的导出").click()
    expect(page.locator("[data-exports] tbody tr")).to_have_count(1)
    expect(page.locator("[data-exports] tbody tr")).to_contain_text("已完成")
    assert wide_elements(page, 1366) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "export-list-phone")
    assert wide_elements(page, PHONE["width"]) == []


def test_preview_fits_a_phone(world, live_server, new_page, tmp_path):  # noqa: F811
    head = world.user(Role.COMMUNITY_HEAD)
    page = new_page(PHONE)
    login_as(page, live_server, head.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/registry/import/")
    page.locator("input[type=file]").set_input_files(roster_file(tmp_path))
    page.get_by_role("button", name="上传并识别表头").click()
    page.locator("[name=col_B]").select_option("name")
    page.get_by_role("button", name="下一步：预检").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("预检结果")
    screenshot(page, "import-3-preview-phone")
    assert wide_elements(page, PHONE["width"]) == []


def test_a_large_preview_shows_its_progress_then_its_result(world, live_server, new_page, tmp_path):  # noqa: F811
    head = world.user(Role.COMMUNITY_HEAD)
    path = roster_file(tmp_path)
    with path.open("rb") as handle:
        job = imports.import_upload(actor=head, community=world.a, file=File(handle, name=path.name))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping | {"B": "name"})
    # As import_preview leaves a large file: claimed, queued for the worker, which has checked 12 of 40 rows.
    ImportJob.objects.filter(id=job.id).update(status=ImportStatus.PREVIEWING, processed_rows=12, total_rows=40)
    pages = {"desktop": new_page(), "phone": new_page(PHONE)}
    for name, page in pages.items():
        login_as(page, live_server, head.username, TEST_PASSWORD)
        page.goto(f"{live_server.url}/registry/import/{job.id}/preview/")
        expect(page.locator("#preview-status")).to_contain_text("已检查 12 / 40 行（30%）")
        assert wide_elements(page, page.viewport_size["width"]) == []
        screenshot(page, f"import-3-previewing-{name}")

    imports.import_preview_task.call(job.id, head.id)  # what the worker does
    for page in pages.values():  # the page polls, sees the check has ended and reloads with the result
        expect(page.get_by_role("heading", level=1)).to_have_text("预检结果")
        expect(page.locator("[data-precision-lost]")).to_contain_text("第5行")
