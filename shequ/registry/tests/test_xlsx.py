"""The streaming xlsx reader gives what calamine gives, for the files offices make (Excel's shared
strings, inline strings, numbers, dates, booleans, rich text, gaps), and the parallel reading of a large
import applies exactly what reading in one process does."""

import gc
import io
import multiprocessing
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from python_calamine import CalamineWorkbook

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.core.errors import ApplicationError
from shequ.core.identity import make_id_number
from shequ.registry import imports, reading
from shequ.registry.models import ImportStatus, NameGram, Resident
from shequ.registry.protection import id_number_hash, reveal_id_number, reveal_phone
from shequ.registry.roster import Roster
from shequ.registry.xlsx import XlsxError, XlsxSheet

from .test_import import _big_roster, rejected_rows, roster, upload, xlsx


def calamine_rows(data):
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    pad = [""] * sheet.start[1]
    rows = []
    for number, cells in enumerate(sheet.iter_rows(), start=sheet.start[0] + 1):
        cells = pad + list(cells)
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            rows.append((number, cells))
    return rows


def stream_rows(data):
    return [(number, cells) for number, cells in XlsxSheet(data).rows() if any(c != "" for c in cells)]


def test_excel_style_workbook_reads_as_calamine_reads_it():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "花名册"
    sheet.append([])
    sheet.append(["姓名", "身份证号", "出生日期", "人数", "党员", "备注"])
    sheet.append(["张建国", 110105194912310021, date(1949, 12, 31), 3, True, "A&B <旧> “引号”"])
    sheet.append(["  前后空格 ", "11010519491231002X", datetime(2024, 5, 1, 8, 30), 2.5, False, None])
    sheet["B6"] = "只有第二列"
    sheet["D8"] = 1.1e17
    sheet["F9"] = CellRichText(["富", TextBlock(InlineFont(b=True), "文本")])
    for row in (4, 5):
        sheet.cell(row, 3).number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    assert stream_rows(data) == calamine_rows(data)
    rows = dict(stream_rows(data))
    assert rows[4][:5] == ["张建国", pytest.approx(1.1010519491231e17), date(1949, 12, 31), 3.0, True]
    assert isinstance(rows[4][1], float)  # a number, so the import can say its last digits are lost
    assert rows[4][5] == "A&B <旧> “引号”"
    assert rows[5][2] == datetime(2024, 5, 1, 8, 30)
    assert rows[6] == ["", "只有第二列"] and rows[9] == ["", "", "", "", "", "富文本"]


def test_inline_strings_as_constant_memory_writers_make_them():
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["户号", "姓名", "手机号"])
    sheet.write_row(1, 0, ["001", "李&梅", "13800001234"])
    sheet.write_string(3, 2, " 13900001234")
    sheet.write_number(4, 0, 12)
    workbook.close()
    data = buffer.getvalue()

    assert stream_rows(data) == calamine_rows(data)
    assert XlsxSheet(data).estimated_rows() == 5


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared strings", "inline strings"])
def test_rows_of_text_only_read_as_calamine_reads_them(constant_memory):
    """Rows of nothing but text take a shorter way through the reader: wide rows (columns AA…), rows from 10
    on, escapes, a styled cell, a gap, and a number among the text must all still come out right."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": constant_memory, "in_memory": True})
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    for row in range(14):
        sheet.write_row(row, 0, [f"第{row}行{col}列" for col in range(30)])
    sheet.write_string(2, 3, "甲&乙<丙>", bold)
    sheet.write_string(5, 31, "隔一列")
    sheet.write_number(7, 4, 42)
    sheet.write_blank(9, 0, None)
    sheet.write_string(11, 35, "丁&戊")  # after a gap, escaped
    sheet.write_string(15, 2, "只有C列", bold)  # a row that starts at C, styled
    sheet.write_string(15, 4, "和E列")
    workbook.close()
    data = buffer.getvalue()

    assert stream_rows(data) == calamine_rows(data)
    rows = dict(stream_rows(data))
    assert rows[3][3] == "甲&乙<丙>" and rows[6][30:] == ["", "隔一列"] and rows[8][4] == 42.0
    assert rows[12][29:] == ["第11行29列", "", "", "", "", "", "丁&戊"] and rows[16] == ["", "", "只有C列", "", "和E列"]


def with_sheet_data(data, sheet_data):
    """The workbook with its first sheet's rows replaced by `sheet_data` (XML), as other writers lay them out."""
    source, copy = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, _, rest = content.decode().partition("<sheetData>")
                content = (head + "<sheetData>" + sheet_data + "</sheetData>" + rest.partition("</sheetData>")[2])
            archive.writestr(info.filename, content)
    return copy.getvalue()


def test_empty_rows_and_rows_without_their_number_read_as_calamine_reads_them():
    """Empty rows written as <row …/> come before the next row in the same stretch of text, and a row may leave
    out its number (it is the one after the row before)."""
    def cell(ref, text):
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    sheet_data = (
        f'<row r="1">{cell("A1", "户号")}{cell("B1", "姓名")}</row>'
        '<row r="2" spans="1:2"/><row r="3"/>'
        f'<row r="4" spans="1:2">{cell("A4", "001")}{cell("B4", "甲")}</row>'
        f'<row>{cell("A5", "002")}{cell("B5", "乙")}</row>'
        f'<row r="6"/><row>{cell("B7", "丙")}</row>'
        '<row r="9"/>'
    )
    data = with_sheet_data(xlsx([["占位"]]), sheet_data)
    assert stream_rows(data) == calamine_rows(data) == [
        (1, ["户号", "姓名"]), (4, ["001", "甲"]), (5, ["002", "乙"]), (7, ["", "丙"])]


def test_merged_ranges_are_found_after_the_rows():
    data = xlsx([["标题"], ["户号", "姓名"], ["001", "甲"], [None, "乙"]], merges=["A1:B1", "A3:A4"])
    assert sorted(XlsxSheet(data).merged_ranges()) == [((0, 0), (0, 1)), ((2, 0), (3, 0))]


def stored(data):
    """The same workbook with its members stored, not deflated (which zip allows, and some tools write)."""
    source, copy = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
    return copy.getvalue()


@pytest.mark.parametrize("kind", ["deflated", "stored"])
def test_merged_ranges_cut_between_the_chunks_read_are_found_whole(monkeypatch, kind):
    rows = [[f"{n:03d}", f"居民{n}", "户主"] for n in range(1, 301)]
    merges = [f"A{n}:A{n + 1}" for n in range(1, 300, 2)] + ["B299:C300"]
    data = xlsx(rows, merges=merges)
    data = stored(data) if kind == "stored" else data
    expected = sorted([((n - 1, 0), (n, 0)) for n in range(1, 300, 2)] + [((298, 1), (299, 2))])
    assert sorted(XlsxSheet(data).merged_ranges()) == expected
    for size in (97, 1000, 4099):  # every merge element is cut somewhere by one of these
        monkeypatch.setattr("shequ.registry.xlsx._CHUNK", size)
        assert sorted(XlsxSheet(data).merged_ranges()) == expected
    assert stream_rows(data) == calamine_rows(data)


def test_shared_strings_read_between_two_chunks_of_the_sheet_leave_the_sheet_whole(monkeypatch):
    """The shared strings are inflated from the same archive when the first row needs them, halfway through the
    sheet's compressed bytes: the sheet must go on from where it was, not from where the strings ended."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})  # Excel's way: text as shared strings
    sheet = workbook.add_worksheet()
    for row in range(400):
        sheet.write_row(row, 0, [f"居民{row}", f"{row % 7}号楼", "户主" if row % 3 else "子女"])
    workbook.close()
    data = buffer.getvalue()
    monkeypatch.setattr("shequ.registry.xlsx._CHUNK", 97)
    assert stream_rows(data) == calamine_rows(data) and len(stream_rows(data)) == 400


def _with_sheet_crc(data, crc):
    """The workbook with the CRC its zip directory states for the sheet changed to `crc`."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    entry = data.index(b"PK\x01\x02")  # the central directory's first entry
    while not data[entry + 46:].startswith(info.filename.encode()):
        entry = data.index(b"PK\x01\x02", entry + 4)
    return data[:entry + 16] + crc.to_bytes(4, "little") + data[entry + 20:]


def test_a_sheet_that_does_not_inflate_to_what_its_zip_states_is_refused_with_a_clear_message():
    data = xlsx([["户号", "姓名", "与户主关系"], ["001", "甲", "户主"]])
    good = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").CRC
    assert stream_rows(_with_sheet_crc(data, good)) == stream_rows(data)
    with pytest.raises(XlsxError, match="文件已损坏"):
        stream_rows(_with_sheet_crc(data, good ^ 1))
    compressed_at = data.index(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    garbled = data[:compressed_at + 10] + bytes(b ^ 0xFF for b in data[compressed_at + 10:compressed_at + 40]) \
        + data[compressed_at + 40:]
    with pytest.raises(XlsxError, match="文件已损坏"):
        stream_rows(garbled)


def test_a_broken_xlsx_gets_a_clear_message():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    with pytest.raises(ApplicationError, match="无法读取该表格文件"):
        Roster(data.getvalue(), "坏文件.xlsx").find_header()


# -- The reading half in a second process ------------------------------------------------------------------


@pytest.fixture
def head(world):
    return world.user(Role.COMMUNITY_HEAD)


def _messy_roster(place, first_id, *more_rows):
    """Two households, a bad ID and phone, an ID given twice."""
    ids = [make_id_number("110105", date(1980, 1, 2), first_id + n, True) for n in range(3)]
    address = f"{place.estate.name}{place.building.number}号楼{place.entrance.number}单元"
    return xlsx(roster(
        ["001", "王建国", "户主", ids[0], f"{address}101室", "13800001234"],
        ["001", "李秀英", "配偶", ids[1], f"{address}101室", ""],
        ["002", "赵六", "户主", "110105197503040000", f"{address}102室", "123"],
        ["003", "钱七", "户主", ids[1], f"{address}103室", ""],
        ["004", "孙八", "户主", ids[2], f"{address}104室", "13900001234"],
        *more_rows,
    ))


def _import(head, community, data):
    job = upload(head, community, data)
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    job = imports.run_import(job, actor=head)
    return job


def _outcome(community):
    residents = Resident.objects.filter(community=community).order_by("id")
    return ([(r.name, r.relation, bool(r.id_number_hash), r.phone_masked, r.household.number) for r in residents],
            sorted((g.gram, g.resident.name) for g in NameGram.objects.filter(community_id=community.id)))


@pytest.mark.parametrize("batch_size", [2, 2000])
def test_reading_in_a_second_process_applies_what_one_process_applies(world, head, settings, monkeypatch,
                                                                      batch_size):
    monkeypatch.setattr(imports, "BATCH_SIZE", batch_size)
    settings.SHEQU_IMPORT_PARALLEL_MIN_ROWS = 10**9
    alone = _import(head, world.a, _messy_roster(world.a, 0))
    forked_seen = []
    real = imports.read_in_child

    def watched(importer):
        forked_seen.append(importer)
        yield from real(importer)

    monkeypatch.setattr(imports, "read_in_child", watched)
    settings.SHEQU_IMPORT_PARALLEL_MIN_ROWS = 0
    other_head = world.user(Role.COMMUNITY_HEAD, community=world.b)
    forked = _import(other_head, world.b, _messy_roster(world.b, 10))

    assert forked_seen, "the large-file path was not taken"
    assert alone.status == forked.status == ImportStatus.DONE, forked.error_message
    assert imports.job_summary(alone)["counts"] == imports.job_summary(forked)["counts"]
    assert [(p["row"], p["column"], p["message"]) for p in alone.problems["items"]] == \
        [(p["row"], p["column"], p["message"]) for p in forked.problems["items"]]
    names_a, grams_a = _outcome(world.a)
    names_b, grams_b = _outcome(world.b)
    assert names_a == names_b and grams_a == grams_b and len(names_a) == 3
    # Rejected rows cross from the reading process packed; they come out in the file cell for cell.
    rejected_a, rejected_b = rejected_rows(alone), rejected_rows(forked)
    assert [row[:3] + row[5:] for row in rejected_a] == [row[:3] + row[5:] for row in rejected_b]
    assert [row[1] for row in rejected_b] == ["姓名", "赵六", "钱七"]
    assert rejected_b[2][3] == make_id_number("110105", date(1980, 1, 2), 11, True)
    assert rejected_b[2][4] == f"{world.b.estate.name}{world.b.building.number}号楼{world.b.entrance.number}单元103室"


@pytest.mark.parametrize("writer_waits", [False, True], ids=["reader protects", "writer protects"])
def test_the_writer_protects_what_the_reader_left_when_it_waited(world, head, settings, monkeypatch, writer_waits):
    settings.SHEQU_IMPORT_PARALLEL_MIN_ROWS = 0
    real = imports._Importer.read_batches
    monkeypatch.setattr(imports._Importer, "read_batches",
                        lambda self, writer_waiting=None: real(self, lambda: writer_waits))
    # An ID number Excel stored as a number (its last digits lost), on row 7.
    lost = ["005", "周九", "户主", float(make_id_number("110105", date(1980, 1, 2), 3, True)[:17] + "1"),
            f"{world.a.estate.name}{world.a.building.number}号楼{world.a.entrance.number}单元105室", ""]
    job = _import(head, world.a, _messy_roster(world.a, 0, lost))
    assert job.status == ImportStatus.DONE and job.applied_rows == 3 and job.rejected_rows == 3
    # Whichever half checked them, the problems are the same, the file's own duplicate among them.
    assert [(p["row"], p["column"]) for p in job.problems["items"]] == [(4, "D"), (4, "F"), (5, "D"), (7, "D")]
    assert "前面的行身份证号重复" in job.problems["items"][2]["message"]
    assert job.problems["precision_lost_rows"] == [7] and job.problems["precision_lost_count"] == 1
    wang = Resident.objects.get(name="王建国")
    assert reveal_id_number(wang) == make_id_number("110105", date(1980, 1, 2), 0, True)
    assert reveal_phone(wang) == "13800001234" and wang.phone_masked == "138****1234"
    assert Resident.objects.get(name="孙八").id_number_hash == id_number_hash(
        make_id_number("110105", date(1980, 1, 2), 2, True))


def test_a_large_import_collects_cycles_less_often_and_then_as_before(world, head, settings):
    settings.SHEQU_IMPORT_PARALLEL_MIN_ROWS = 0
    before = gc.get_threshold()
    job = upload(head, world.a, _big_roster(6))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)
    during = []
    job = imports.run_import(job, actor=head, on_progress=lambda *_: during.append(
        (gc.get_threshold()[0], gc.get_freeze_count() > 0)))
    assert job.status == ImportStatus.DONE
    assert during[0][0] > before[0] and during[0][1]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_failure_while_reading_in_the_second_process_leaves_nothing(world, head, settings, monkeypatch):
    settings.SHEQU_IMPORT_PARALLEL_MIN_ROWS = 0
    monkeypatch.setattr(imports, "BATCH_SIZE", 5)
    before = Resident.objects.count()

    def broken_read(self, number, cells):
        if number > 12:
            raise ApplicationError("第13行读取失败")
        return real_read(self, number, cells)

    real_read = imports._Importer._read
    monkeypatch.setattr(imports._Importer, "_read", broken_read)
    job = _import(head, world.a, _big_roster(30))
    assert job.status == ImportStatus.FAILED and "第13行读取失败" in job.error_message
    assert Resident.objects.count() == before
    assert AuditEvent.objects.filter(verb="import_failed").exists()
    assert not multiprocessing.active_children()


def test_cancel_stops_the_second_process_and_rolls_back(world, head, settings, monkeypatch):
    settings.SHEQU_IMPORT_PARALLEL_MIN_ROWS = 0
    monkeypatch.setattr(imports, "BATCH_SIZE", 10)
    job = upload(head, world.a, _big_roster(50))
    job = imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)

    def cancel(processed, total):
        imports.import_cancel(actor=head, job=imports.ImportJob.objects.get(id=job.id))

    job = imports.run_import(job, actor=head, on_progress=cancel)
    assert job.status == ImportStatus.CANCELLED and Resident.objects.count() == 0
    assert not multiprocessing.active_children()  # the reading process was stopped, not left waiting


def test_the_pipe_carries_plain_batches_by_marshal_and_the_rest_by_pickle():
    plain = ("batch", ([("001", ("和平家园", "3", "2", "501"), "resident", "owned", 4, [])],
                       [(4, "张三\x1f户主", True, None, [], 0, None, 7, "ab12", ("张三", None, "head"), False)]))
    with_dates = ("batch", ([], [(5, "", True, {"birth_date": date(1980, 1, 2)}, [], 0, None, None, "", None, True)]))
    assert reading._dumps(plain)[:1] == b"m" and reading._dumps(with_dates)[:1] == b"p"
    assert reading._loads(reading._dumps(plain)) == plain
    assert reading._loads(reading._dumps(with_dates)) == with_dates
