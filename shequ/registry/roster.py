"""Reading rosters the way offices keep them.

xlsx streams through xlsx.XlsxSheet (bounded memory, a million rows in a few seconds), xls/xlsb/ods go
through python-calamine (merged ranges from `sheet.merged_cell_ranges`), csv through the csv module with the encoding sniffed (UTF-8 with or without BOM, else GB18030, which
covers GBK). The header is the first of the top rows that names at least three known columns, so a
title row above it is skipped. Header names are matched through aliases (身份证号/公民身份号码/证件号码
are one column); unknown headers stay unmapped until a person maps them. Rows are numbered as Excel
shows them, columns by letter, so every message can say exactly where a problem is.

Nothing here touches the database. Its errors are in the active language: the user's at upload, Chinese
while an import or a preview reads the file (imports.py), as what they store is.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.utils.translation import gettext

from shequ.core.errors import ApplicationError
from shequ.core.identity import normalize_text

from .xlsx import XlsxError, XlsxSheet

# field → label, in the order of the import template.
FIELDS = {
    "household_number": "户号",
    "name": "姓名",
    "relation": "与户主关系",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "phone": "手机号",
    "address": "住址",
    "estate": "小区",
    "building": "楼号",
    "entrance": "单元",
    "room": "门牌号",
    "residence_status": "居住状况",
    "political_status": "政治面貌",
    "education": "文化程度",
    "employment": "就业状况",
    "marital_status": "婚姻状况",
    "household_type": "户类型",
    "housing": "住房性质",
    "moved_in_on": "迁入日期",
    "notes": "备注",
}

_ALIASES = {
    "name": ["姓名", "居民姓名", "成员姓名", "名字"],
    "id_number": ["身份证号", "公民身份号码", "证件号码", "身份证号码", "身份证", "居民身份证号码", "身份号码",
                  "证件号", "身份证件号码"],
    "phone": ["手机号", "联系电话", "手机", "电话", "手机号码", "联系方式", "电话号码"],
    "relation": ["与户主关系", "关系", "家庭关系", "与户主的关系"],
    "sex": ["性别"],
    "birth_date": ["出生日期", "出生年月", "出生年月日", "生日"],
    "ethnicity": ["民族"],
    "residence_status": ["居住状况", "居住状态", "人口类型", "户籍状况", "居住情况"],
    "political_status": ["政治面貌"],
    "education": ["文化程度", "学历"],
    "employment": ["就业状况", "就业情况", "职业状况"],
    "marital_status": ["婚姻状况", "婚姻状态", "婚姻"],
    "household_number": ["户号", "户编号", "户籍编号"],
    "estate": ["小区", "小区名称", "所在小区"],
    "building": ["楼号", "楼栋", "楼栋号", "栋号", "幢号"],
    "entrance": ["单元", "单元号"],
    "room": ["门牌号", "室号", "房号", "房间号", "门牌"],
    "address": ["住址", "地址", "现住址", "居住地址", "家庭住址", "现居住地址"],
    "household_type": ["户类型", "户别", "户口类型"],
    "housing": ["住房性质", "住房情况", "房屋性质"],
    "moved_in_on": ["迁入日期", "迁入时间"],
    "notes": ["备注", "说明"],
}
HEADER_ALIASES = {alias: field for field, aliases in _ALIASES.items() for alias in aliases}

# Columns that describe the household, not the person: merged cells in them are filled down, and a
# member's row may leave them blank to mean "same household as above".
HOUSEHOLD_FIELDS = frozenset({"household_number", "address", "estate", "building", "entrance", "room",
                              "household_type", "housing"})

HEADER_SCAN_ROWS = 10
HEADER_MIN_MATCHES = 3
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
STREAMED_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".txt"}
_SNIFF_BYTES = 1 << 20


def column_letter(index):
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_BRACKETED = re.compile(r"[(（\[【].*?[)）\]】]")


def clean_header(value):
    """'身份证号码（18位）*' → '身份证号码'."""
    text = normalize_text(cell_text(value))
    text = _BRACKETED.sub("", text)
    return text.strip("*:：★※#")


def field_for_header(value):
    return HEADER_ALIASES.get(clean_header(value))


def cell_text(value):
    """A cell as the text a person sees: 501.0 → '501', dates as 2024-05-01, None → ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_blank(cells):
    for value in cells:
        if value is None or value == "":
            continue
        if isinstance(value, str) and not value.strip():
            continue
        return False
    return True


def field_value(field, value):
    """A cell prepared for validation. ID numbers keep floats, so precision loss is reported rather than
    hidden, except whole numbers below 10^15, which Excel stores exactly (old 15-digit numbers)."""
    if isinstance(value, str):
        value = value.strip()
        return value
    if isinstance(value, bool) or value is None:
        return cell_text(value)
    if isinstance(value, float):
        if field == "id_number":
            return int(value) if value.is_integer() and abs(value) < 1e15 else value
        return cell_text(value)
    if isinstance(value, datetime):
        return value.date() if field in ("birth_date", "moved_in_on") else cell_text(value)
    if isinstance(value, date):
        return value if field in ("birth_date", "moved_in_on") else cell_text(value)
    if isinstance(value, int):
        return value if field == "id_number" else str(value)
    return cell_text(value)


# 和平家园3号楼2单元501室 · 3栋2单元501 · 和平家园3-2-501 · 3号楼501室
_ADDRESS = re.compile(
    r"^(?P<estate>.*?)"
    r"(?P<building>[0-9A-Za-z]+)(?:号楼|栋|幢|座|号|#|-)"
    r"(?:(?P<entrance>[0-9A-Za-z]+)(?:单元|门|-))?"
    r"(?:(?P<room>[0-9A-Za-z]+)(?:室|号|户)?)?$"
)


@dataclass(frozen=True)
class Address:
    estate: str
    building: str
    entrance: str
    room: str


def parse_address(text):
    """'和平家园3号楼2单元501室' → Address('和平家园', '3', '2', '501'); None when it cannot be read."""
    text = normalize_text(text)
    if not text:
        return None
    match = _ADDRESS.match(text)
    if not match:
        return None
    return Address(match["estate"] or "", match["building"], match["entrance"] or "", match["room"] or "")


def place_number(text, suffixes):
    """'3号楼' → '3', '2单元' → '2': the number a building or entrance is known by."""
    return without_suffix(normalize_text(text), suffixes)


def without_suffix(text, suffixes):
    """place_number of text already normalised."""
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


BUILDING_SUFFIXES = ("号楼", "栋", "幢", "座", "号", "#")
ENTRANCE_SUFFIXES = ("单元", "门")
ROOM_SUFFIXES = ("室", "号", "户")


@dataclass
class Header:
    row: int  # as Excel numbers it (1-based)
    cells: list  # header text by column index (0-based, from column A)

    def columns(self):
        """[(index, letter, header text)] of the non-empty header cells."""
        return [(i, column_letter(i), text) for i, text in enumerate(self.cells) if text]

    def suggested_mapping(self):
        """{column letter: field} for headers that match an alias; each field at most once."""
        mapping, used = {}, set()
        for _index, letter, text in self.columns():
            field = field_for_header(text)
            if field and field not in used:
                mapping[letter] = field
                used.add(field)
        return mapping


class Roster:
    """One uploaded roster file. Iterating it twice reads the file twice; nothing is kept in memory
    beyond a chunk of an xlsx, or what calamine holds for other spreadsheets."""

    def __init__(self, source, file_name):
        self.file_name = file_name
        self.suffix = Path(file_name).suffix.lower()
        self.source = source  # a path, or bytes
        self.encoding = None
        if self.suffix in EXCEL_SUFFIXES:
            self.kind = "excel"
        elif self.suffix in CSV_SUFFIXES:
            self.kind = "csv"
        else:
            raise ApplicationError(gettext("不支持的文件格式，请上传 xlsx、xls、ods 或 csv 文件"), code="bad_file")
        self._sheet = None
        self._stream = None

    @classmethod
    def from_field_file(cls, field_file, file_name):
        try:
            path = field_file.path
        except (NotImplementedError, AttributeError, ValueError):
            path = None
        if path and Path(path).is_file():
            return cls(path, file_name)
        field_file.open("rb")
        try:
            data = field_file.read()
        finally:
            field_file.close()
        return cls(data, file_name)

    # -- excel ---------------------------------------------------------------

    def _xlsx(self):
        """The streaming reader for xlsx; None for other spreadsheets, or an xlsx it cannot read (then
        calamine tries)."""
        if self._stream is None and self.suffix in STREAMED_SUFFIXES:
            try:
                self._stream = XlsxSheet(self.source)
            except XlsxError:
                self._stream = False
        return self._stream or None

    def _excel_sheet(self):
        if self._sheet is None:
            from python_calamine import CalamineError, CalamineWorkbook

            try:
                if isinstance(self.source, bytes | bytearray):
                    workbook = CalamineWorkbook.from_filelike(io.BytesIO(self.source))
                else:
                    workbook = CalamineWorkbook.from_path(str(self.source))
                sheet = workbook.get_sheet_by_index(0)
            except (CalamineError, OSError, ValueError) as error:
                raise ApplicationError(gettext("无法读取该表格文件，请确认文件未损坏且不是加密文件"),
                                       code="bad_file") from error
            self._sheet = sheet
        return self._sheet

    def merged_ranges(self):
        """[((first_row, first_col), (last_row, last_col))], 0-based, inclusive."""
        if self.kind != "excel":
            return []
        if stream := self._xlsx():
            return stream.merged_ranges()
        return list(self._excel_sheet().merged_cell_ranges or [])

    def _excel_rows(self):
        if stream := self._xlsx():
            yield from stream.rows()
            return
        sheet = self._excel_sheet()
        start = sheet.start
        # calamine yields rows from the first row but columns from the first used column.
        pad = [""] * (start[1] if start else 0)
        for index, cells in enumerate(sheet.iter_rows()):
            yield index + 1, pad + cells if pad else cells

    def estimated_rows(self):
        if self.kind != "excel":
            return None
        if stream := self._xlsx():
            return stream.estimated_rows()
        return self._excel_sheet().total_height

    # -- csv -------------------------------------------------------------------

    def _open_text(self):
        raw = io.BytesIO(self.source) if isinstance(self.source, bytes | bytearray) else open(self.source, "rb")  # noqa: SIM115
        if self.encoding is None:
            head = raw.read(_SNIFF_BYTES)
            raw.seek(0)
            self.encoding = _sniff_encoding(head)
        return io.TextIOWrapper(raw, encoding=self.encoding, newline="", errors="strict")

    def _csv_rows(self):
        text = self._open_text()
        try:
            sample = text.read(64 * 1024)
            text.seek(0)
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
            for index, cells in enumerate(csv.reader(text, delimiter=delimiter)):
                yield index + 1, cells
        except UnicodeDecodeError as error:
            raise ApplicationError(
                gettext("文件编码无法识别（按 %(encoding)s 读取失败），请另存为 UTF-8 或 GBK 编码的 CSV")
                % {"encoding": self.encoding}, code="bad_file") from error
        finally:
            text.close()

    # -- both --------------------------------------------------------------------

    def rows(self):
        """Every row as (Excel row number, cells from column A)."""
        return self._excel_rows() if self.kind == "excel" else self._csv_rows()

    def _head_rows(self):
        """The top rows. An xlsx stream stops after them; calamine loads the whole sheet of other
        formats first."""
        return itertools.islice(self.rows(), HEADER_SCAN_ROWS * 5)

    def find_header(self):
        """The first of the top non-blank rows whose cells name at least three known columns; failing
        that, the first non-blank row (its headers then all need mapping by hand)."""
        first = None
        seen = 0
        for row_number, cells in self._head_rows():
            if is_blank(cells):
                continue
            texts = [cell_text(c) for c in cells]
            if first is None:
                first = Header(row_number, texts)
            if sum(1 for t in texts if field_for_header(t)) >= HEADER_MIN_MATCHES:
                return Header(row_number, _trim(texts))
            seen += 1
            if seen >= HEADER_SCAN_ROWS:
                break
        if first is None:
            raise ApplicationError(gettext("文件中没有数据"), code="empty_file")
        return Header(first.row, _trim(first.cells))

    def sample_rows(self, header_row, count=3):
        """The first few rows below the header as {column letter: text}, to show beside the mapping."""
        samples = []
        for row_number, cells in self._head_rows():
            if row_number <= header_row or is_blank(cells):
                continue
            samples.append({column_letter(i): cell_text(v) for i, v in enumerate(cells) if v not in (None, "")})
            if len(samples) >= count:
                break
        return samples

    def data_rows(self, header_row, fill_columns=()):
        """Rows below the header as (row number, cells), blank rows skipped. Vertically merged cells in
        `fill_columns` (0-based indexes) take the merged range's value on every row they cover."""
        fills = _FillDown(self.merged_ranges(), fill_columns, header_row) if fill_columns else None
        for row_number, cells in self.rows():
            if row_number <= header_row:
                continue
            if fills is not None:
                cells = fills.apply(row_number - 1, cells)
            if is_blank(cells):
                continue
            yield row_number, cells


def _trim(texts):
    while texts and not texts[-1]:
        texts = texts[:-1]
    return texts


def _sniff_encoding(head):
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode 文本" export
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end of the sample is fine
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


class _FillDown:
    """Walks the merged ranges in row order while the rows stream past."""

    def __init__(self, ranges, columns, header_row):
        columns = set(columns)
        self.pending = sorted(
            (r for r in ranges
             if r[1][0] > r[0][0] and r[0][0] >= header_row and columns & set(range(r[0][1], r[1][1] + 1))),
            key=lambda r: r[0][0], reverse=True,
        )
        self.active = []  # [(last_row, first_col, last_col, value)]

    def apply(self, index, cells):
        while self.pending and self.pending[-1][0][0] == index:
            (first_row, first_col), (last_row, last_col) = self.pending.pop()
            value = cells[first_col] if first_col < len(cells) else ""
            self.active.append((last_row, first_col, last_col, value))
        while self.pending and self.pending[-1][0][0] < index:  # ranges starting on skipped rows
            self.pending.pop()
        if not self.active:
            return cells
        self.active = [a for a in self.active if a[0] >= index]
        cells = list(cells)
        for _last_row, first_col, last_col, value in self.active:
            if len(cells) <= last_col:
                cells.extend([""] * (last_col + 1 - len(cells)))
            for col in range(first_col, last_col + 1):
                if cells[col] in ("", None):
                    cells[col] = value
        return cells
