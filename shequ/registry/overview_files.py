"""人口概况 as files: an xlsx, and a docx on A4 (the report a community sends upward). Both are in Chinese
whatever the language of the page they were asked from, and show the tables of the page, totals included.
They hold counts only, no person's data, so unlike the exports of names they are not audited."""

import io
from dataclasses import dataclass

import xlsxwriter
from django.utils import translation
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .overview import overview_tables, registry_overview

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MISSING = "—"  # a sensitive kind the actor may not see in that unit
FONT = "宋体"


@dataclass
class OverviewFile:
    content: bytes
    filename: str
    content_type: str


def overview_xlsx(actor, *, community_id=None):
    overview, tables = _report(actor, community_id)
    return OverviewFile(_write_xlsx(overview, tables), _filename(overview, "xlsx"), XLSX)


def overview_docx(actor, *, community_id=None):
    overview, tables = _report(actor, community_id)
    return OverviewFile(_write_docx(overview, tables), _filename(overview, "docx"), DOCX)


def _report(actor, community_id):
    with translation.override("zh-hans"):
        overview = registry_overview(actor, community_id=community_id)
        return overview, overview_tables(overview)


def _filename(overview, extension):
    return f"人口概况-{overview.scope_label}-{overview.as_of:%Y%m%d}.{extension}"


def _subtitle(overview):
    day = overview.as_of
    return f"统计范围：{overview.scope_label}　　统计日期：{day.year}年{day.month}月{day.day}日"


def _unit_header(overview):
    return "社区" if overview.unit_kind == "community" else "网格"


def _lines(overview, tables):
    """(name, values of every table side by side, is the totals line) a unit, then the totals."""
    for index, unit in enumerate(overview.units):
        yield unit.name, [value for table in tables for value in table.rows[index][1]], False
    yield overview.total.name, [value for table in tables for value in table.total], True


# --- xlsx: one sheet, the tables side by side under a header of two rows (the table, then its columns) ------

def _write_xlsx(overview, tables):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    formats = _xlsx_formats(workbook)
    sheet = workbook.add_worksheet("人口概况")
    width = 1 + sum(len(table.columns) for table in tables)
    sheet.set_row(0, 28)
    sheet.merge_range(0, 0, 0, width - 1, "人口概况", formats["title"])
    sheet.merge_range(1, 0, 1, width - 1, _subtitle(overview), formats["note"])
    sheet.merge_range(3, 0, 4, 0, _unit_header(overview), formats["head"])
    column = 1
    for table in tables:
        last = column + len(table.columns) - 1
        if last > column:
            sheet.merge_range(3, column, 3, last, table.title, formats["head"])
        else:
            sheet.write_string(3, column, table.title, formats["head"])
        sheet.write_row(4, column, table.columns, formats["head"])
        column = last + 1
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, width - 1, 10)
    sheet.freeze_panes(5, 1)
    for row, (name, values, is_total) in enumerate(_lines(overview, tables), start=5):
        style = "total" if is_total else "cell"
        sheet.write_string(row, 0, name, formats[style])
        for col, value in enumerate(values, start=1):
            if value is None:
                sheet.write_string(row, col, MISSING, formats[f"{style}_missing"])
            else:
                sheet.write_number(row, col, value, formats[style])
    workbook.close()
    return buffer.getvalue()


def _xlsx_formats(workbook):
    cell = {"border": 1, "valign": "vcenter"}
    total = cell | {"bold": True, "bg_color": "#F2F2F2"}
    return {
        "title": workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "note": workbook.add_format({"align": "left"}),
        "head": workbook.add_format(cell | {"bold": True, "align": "center", "text_wrap": True,
                                            "bg_color": "#DDEBF7"}),
        "cell": workbook.add_format(cell),
        "cell_missing": workbook.add_format(cell | {"align": "center"}),
        "total": workbook.add_format(total),
        "total_missing": workbook.add_format(total | {"align": "center"}),
    }


# --- docx: A4 landscape, the title, scope and date, then the tables one under the other ---------------------

def _write_docx(overview, tables):
    document = Document()
    _a4_landscape(document.sections[0])
    _use_font(document.styles["Normal"].element, FONT)
    document.styles["Normal"].font.size = Pt(10.5)
    _paragraph(document, "人口概况", size=18, bold=True, center=True)
    _paragraph(document, _subtitle(overview), center=True)
    for table in tables:
        _paragraph(document, table.title, size=12, bold=True)
        _docx_table(document, overview, table)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _a4_landscape(section):
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin = section.bottom_margin = Mm(15)


def _use_font(element, name):
    """Word takes Chinese characters from the East Asian font, which python-docx's font.name does not set."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), name)


def _paragraph(document, text, *, size=None, bold=False, center=False):
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _docx_table(document, overview, table):
    rows = [(name, values, is_total) for name, values, is_total in _lines(overview, [table])]
    grid = document.add_table(rows=1 + len(rows), cols=1 + len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    _repeat_as_header(grid.rows[0])
    for col, text in enumerate([_unit_header(overview), *table.columns]):
        _cell(grid.cell(0, col), text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for row, (name, values, is_total) in enumerate(rows, start=1):
        _cell(grid.cell(row, 0), name, bold=is_total)
        for col, value in enumerate(values, start=1):
            _cell(grid.cell(row, col), MISSING if value is None else f"{value:,}", bold=is_total,
                  align=WD_ALIGN_PARAGRAPH.CENTER if value is None else WD_ALIGN_PARAGRAPH.RIGHT)
    # The page is 267 mm wide inside its margins: the names get 40, the figures share the rest, 28 at most.
    figure_width = Mm(min(28, 227 // len(table.columns)))
    for col, column in enumerate(grid.columns):
        column.width = Mm(40) if col == 0 else figure_width  # the grid, which WPS and LibreOffice lay out by
        for cell in column.cells:
            cell.width = column.width  # and each cell, which Word does


def _repeat_as_header(row):
    """The header row is repeated on every page a long table (a street's communities) runs over."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _cell(cell, text, *, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT):
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(9)
