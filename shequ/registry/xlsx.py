"""Rows of an xlsx worksheet, read while the file is decompressed, in bounded memory.

calamine (used for xls, xlsb and ods) builds the whole sheet in memory before the first row: about
1 GB for a million-row roster. An xlsx sheet is a zipped XML stream of <row> elements, so here it is
decompressed a quarter of a megabyte at a time and each row is matched with regular expressions, which runs at
calamine's speed while holding one chunk. Values come out as calamine gives them: text as str, numbers
as float, booleans as bool, cells formatted as dates as date or datetime, errors and empty cells as "".
Shared strings (Excel's usual way of storing text) are loaded once, as calamine does.
"""

from __future__ import annotations

import codecs
import functools
import html
import io
import posixpath
import re
import struct
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree

from isal import isal_zlib

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# What is read of a member at a time: of 4 MB, each chunk was memory the process had not touched yet, and reading
# took a fifth longer (merged_ranges, which inflates ten times as much as it reads, twice as long).
_CHUNK = 256 << 10

# One cell: column letters, its other attributes, then <v>, a plain inline string, or anything else.
_CELL = re.compile(
    r'<c r="([A-Z]{1,3})\d*"([^>]*?)(?:/>|>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?'
    r"(?:<v>([^<]*)</v>|<is><t[^>]*>([^<]*)</t></is>|(.*?))</c>)",
    re.S,
)
_INLINE = ' t="inlineStr"'
# Rows whose every cell is plain inline text (what constant-memory writers make) or shared text (what Excel
# makes) are read with one findall of the values, the rest cell by cell. A cell holds one value at most, so as many
# of these as the row has cells is one a cell: the patterns need not match the cells' other attributes (a shorter
# pattern is a quicker scan of a million rows).
_INLINE_TEXTS = re.compile(r"<is><t>([^<]*)</t></is>")
_SHARED_INDEXES = re.compile(r'\bt="s"><v>(\d+)</v>')
# The same with their column letters, for such rows with blank cells between (a blank cell is no element).
_INLINE_CELLS = re.compile(r'<c r="([A-Z]{1,3})\d*" t="inlineStr"><is><t>([^<]*)</t></is></c>')
_SHARED_CELLS = re.compile(r'<c r="([A-Z]{1,3})\d*"(?: s="\d+")? t="s"><v>(\d+)</v></c>')
_CELL_START = '<c r="'
_SHARED = ' t="s"'
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
_EMPTY_ROW = re.compile(r"<row\b[^>]*/>")
_TYPE = re.compile(r'\bt="(\w+)"')
_STYLE = re.compile(r'\bs="(\d+)"')
_TEXT = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>")
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)
_DIMENSION = re.compile(r'<dimension ref="[A-Z]*\d+:?[A-Z]*(\d*)"')
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_MERGE_START = b"<mergeCell "
_LOCAL_HEADER_BYTES = 30  # a zip member's local file header before its name and extra field
_DAMAGED = "文件已损坏（工作表数据 {name} 无法完整解压），请在 Excel 中打开后另存为 xlsx 再上传"
# Built-in number formats that show a date or time (ECMA-376 18.8.30).
_DATE_FORMAT_IDS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_DATE_CODE = re.compile(r"[dmyhs]")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


class XlsxError(ValueError):
    """The file is not a readable xlsx workbook."""


@functools.lru_cache(maxsize=16384)  # as many columns as a sheet may have; every row asks again
def column_index(letters):
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


class XlsxSheet:
    """The first worksheet of an xlsx file (a path or bytes)."""

    def __init__(self, source):
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes | bytearray) else source)
            self._sheet = self._first_sheet_path()
            self._strings = None
            self._date_styles, self._epoch = self._styles()
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as error:
            raise XlsxError(str(error)) from error

    def close(self):
        self._zip.close()

    # -- workbook parts --------------------------------------------------------------

    def _xml(self, name):
        return ElementTree.fromstring(self._zip.read(name))

    def _first_sheet_path(self):
        workbook = self._xml("xl/workbook.xml")
        sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
        relation = sheet.get(f"{_REL}id")
        for rel in self._xml("xl/_rels/workbook.xml.rels").iter(f"{_PACKAGE_REL}Relationship"):
            if rel.get("Id") == relation:
                target = rel.get("Target")
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        raise KeyError("worksheet")

    def _styles(self):
        """Indexes of the cell formats that show dates, and the workbook's date epoch."""
        workbook = self._xml("xl/workbook.xml")
        properties = workbook.find(f"{_MAIN}workbookPr")
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
        try:
            styles = self._xml("xl/styles.xml")
        except KeyError:
            return frozenset(), epoch
        custom = {}
        for fmt in styles.iter(f"{_MAIN}numFmt"):
            code = _QUOTED.sub("", fmt.get("formatCode", "")).lower()
            custom[int(fmt.get("numFmtId", -1))] = bool(_DATE_CODE.search(code))
        cell_formats = styles.find(f"{_MAIN}cellXfs")
        dates = set()
        for index, xf in enumerate(cell_formats if cell_formats is not None else ()):
            fmt = int(xf.get("numFmtId", 0))
            if custom.get(fmt, fmt in _DATE_FORMAT_IDS):
                dates.add(index)
        return frozenset(dates), epoch

    def _shared_strings(self):
        if self._strings is None:
            self._strings = []
            if "xl/sharedStrings.xml" in self._zip.namelist():
                for piece in self._pieces("xl/sharedStrings.xml", "</si>"):
                    if "<si" in piece:
                        self._strings.append(_joined_text(piece[piece.rfind("<si"):]))
        return self._strings

    def _pieces(self, name, separator):
        """The decompressed XML as text cut after each `separator`, a chunk at a time."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        rest = ""
        for chunk in self._inflated(name):
            text = rest + decoder.decode(chunk)
            pieces = text.split(separator)
            rest = pieces.pop()
            yield from pieces
        if rest:
            yield rest

    # -- the sheet -----------------------------------------------------------------------------

    def estimated_rows(self):
        """The last row the sheet's <dimension> names, read from its first bytes; None if absent."""
        with self._zip.open(self._sheet) as stream:
            head = stream.read(4096).decode("utf-8", "ignore")
        match = _DIMENSION.search(head)
        return int(match.group(1)) if match and match.group(1) else None

    def merged_ranges(self):
        """[((first_row, first_col), (last_row, last_col))], 0-based; they follow the rows in the file,
        so this inflates the sheet through once, as bytes, looking for them in the chunks that have any."""
        ranges, tail = [], b""
        for chunk in self._inflated(self._sheet):
            data = tail + chunk
            cut = data.rfind(b"<") if len(data) > 256 else 0
            if _MERGE_START in data:
                ranges += self._merges(data[:cut])
            tail = data[cut:]
        return ranges + self._merges(tail)

    @staticmethod
    def _merges(data):
        return [((int(r1) - 1, column_index(c1.decode())), (int(r2) - 1, column_index(c2.decode())))
                for c1, r1, c2, r2 in _MERGE.findall(data)]

    def _inflated(self, name):
        """The member's bytes, decompressed a chunk (at most _CHUNK) at a time, its CRC checked at the end as
        zipfile's reader checks it, so that a damaged file is refused. A deflated member (as xlsx writers store
        them) is inflated from the archive directly by ISA-L: a million-row sheet, 574 MB of XML, in 0.26 s
        against 0.75-1.2 s through zipfile's reader (zlib, and its CRC)."""
        info = self._zip.getinfo(name)
        if info.compress_type != zipfile.ZIP_DEFLATED:
            with self._zip.open(name) as stream:
                while chunk := stream.read(_CHUNK):
                    yield chunk
            return
        archive = self._zip.fp
        archive.seek(info.header_offset)
        header = archive.read(_LOCAL_HEADER_BYTES)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        # Where the member's next compressed bytes are: another member (the shared strings) may be read
        # between two chunks of this one.
        position = info.header_offset + _LOCAL_HEADER_BYTES + name_length + extra_length
        inflater = isal_zlib.decompressobj(-isal_zlib.MAX_WBITS)  # a raw deflate stream, as zip stores it
        left, crc = info.compress_size, 0
        while left > 0:
            archive.seek(position)
            compressed = archive.read(min(left, _CHUNK))
            if not compressed:
                break
            position += len(compressed)
            left -= len(compressed)
            while compressed:
                try:
                    chunk = inflater.decompress(compressed, _CHUNK)
                except isal_zlib.error as error:
                    raise XlsxError(_DAMAGED.format(name=name)) from error
                compressed = inflater.unconsumed_tail
                crc = isal_zlib.crc32(chunk, crc)
                yield chunk
        chunk = inflater.flush()
        if isal_zlib.crc32(chunk, crc) != info.CRC:
            raise XlsxError(_DAMAGED.format(name=name))
        yield chunk

    def rows(self):
        """(Excel row number, [cell values from column A]) for every row with cells."""
        previous = 0
        for piece in self._pieces(self._sheet, "</row>"):
            # The row's tag is the last before its first cell (a piece may begin with empty rows, <row …/>): looked
            # for back from that cell, not from the end of the piece.
            first_cell = piece.find(_CELL_START)
            start = piece.rfind("<row", 0, first_cell) if first_cell >= 0 else piece.rfind("<row")
            if start < 0:
                continue
            end = piece.find(">", start)
            number = _ROW_NUMBER.search(piece, start, end)
            previous = int(number.group(1)) if number else self._row_before(piece, start, previous) + 1
            if first_cell < 0:
                continue
            cells = self._uniform_cells(piece, first_cell) or self._cells(piece, end + 1)
            if cells:
                yield previous, cells

    @staticmethod
    def _row_before(piece, start, previous):
        """The number of the row before a row that leaves its number out: an empty row (<row …/>) ahead of it
        in the piece, or else the last row with cells."""
        for tag in _EMPTY_ROW.findall(piece, 0, start):
            number = _ROW_NUMBER.search(tag)
            previous = int(number.group(1)) if number else previous + 1
        return previous

    def _uniform_cells(self, piece, start):
        """The row's values, from its first cell at `start`, if its cells are all plain inline text or all shared
        text; otherwise None. Cells come in column order, so when the last of n is the n-th column, they fill
        columns A, B, … without a gap, and one findall of their values is the row."""
        count = piece.count(_CELL_START, start)
        last = piece.rfind(_CELL_START) + len(_CELL_START)
        letters = piece[last:piece.find('"', last)].rstrip("0123456789")
        if column_index(letters) != count - 1:
            return self._uniform_cells_with_gaps(piece, start, count)
        texts = _INLINE_TEXTS.findall(piece, start)
        if len(texts) == count:
            return [html.unescape(t) for t in texts] if "&" in piece else texts
        indexes = _SHARED_INDEXES.findall(piece, start) if not texts else ()
        if len(indexes) == count:
            strings = self._shared_strings()
            return [strings[int(i)] for i in indexes]
        return None

    def _uniform_cells_with_gaps(self, piece, start, count):
        cells = _INLINE_CELLS.findall(piece, start)
        if len(cells) == count:
            if "&" in piece:
                cells = [(letters, html.unescape(text)) for letters, text in cells]
        else:
            cells = _SHARED_CELLS.findall(piece, start) if not cells else ()
            if len(cells) != count:
                return None
            strings = self._shared_strings()
            cells = [(letters, strings[int(index)]) for letters, index in cells]
        values = []
        for letters, value in cells:
            index = column_index(letters)
            if index != len(values):
                values.extend([""] * (index - len(values)))
            values.append(value)
        return values

    def _cells(self, piece, start):
        values = []
        for letters, attributes, number, inline, other in _CELL.findall(piece, start):
            index = column_index(letters)
            if index != len(values):
                values.extend([""] * (index - len(values)))
            # The usual cells (plain inline text, shared text, a bare number) without the general parse.
            if attributes == _INLINE and not other:
                values.append(html.unescape(inline) if "&" in inline else inline)
            elif attributes == _SHARED and number:
                values.append(self._shared_strings()[int(number)])
            else:
                values.append(self._value(attributes, number, inline, other))
        return values

    def _value(self, attributes, number, inline, other):
        kind = _TYPE.search(attributes)
        kind = kind.group(1) if kind else "n"
        if kind == "inlineStr":
            text = inline if not other else _joined_text(other)
            return html.unescape(text) if "&" in text else text
        if kind == "s":
            return self._shared_strings()[int(number)] if number else ""
        if kind == "str":
            return html.unescape(number) if "&" in number else number
        if kind == "b":
            return number == "1"
        if kind == "e" or not number:
            return ""
        if kind == "d":
            return _iso_date(number)
        value = float(number)
        style = _STYLE.search(attributes)
        if style and int(style.group(1)) in self._date_styles:
            return self._date(value)
        return value

    def _date(self, serial):
        moment = self._epoch + timedelta(seconds=round(serial * 86400))  # floats carry 08:29:59.9999
        return moment if moment.hour or moment.minute or moment.second else moment.date()


def _joined_text(xml):
    if "<rPh" in xml:
        xml = _PHONETIC.sub("", xml)
    text = "".join(_TEXT.findall(xml))
    return html.unescape(text) if "&" in text else text


def _iso_date(text):
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.date() if moment == datetime(moment.year, moment.month, moment.day) else moment

