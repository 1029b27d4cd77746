"""人口概况 as files: an xlsx, and a docx on A4 (the report a community sends upward). Both are in Chinese
whatever the language of the page they were asked from, and show the tables of the page, totals included.
They hold counts only, no person's data, so unlike the exports of names they are not audited."""

import io

import xlsxwriter
from django.utils import translation
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm

from shequ.core.documents import (
    DOCX,
    XLSX,
    DocumentFile,
    a4_document,
    cell_text,
    docx_bytes,
    headed_table,
    paragraph,
)

from .overview import overview_tables, registry_overview

MISSING = "—"  # a sensitive kind the actor may not see in that unit


def overview_xlsx(actor, *, community_id=None):
    overview, tables = _report(actor, community_id)
    return DocumentFile(_write_xlsx(overview, tables), _filename(overview, "xlsx"), XLSX)


def overview_docx(actor, *, community_id=None):
    overview, tables = _report(actor, community_id)
    return DocumentFile(_write_docx(overview, tables), _filename(overview, "docx"), DOCX)


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
    document = a4_document(landscape=True)
    paragraph(document, "人口概况", size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(document, _subtitle(overview), align=WD_ALIGN_PARAGRAPH.CENTER)
    for table in tables:
        paragraph(document, table.title, size=12, bold=True)
        _docx_table(document, overview, table)
    return docx_bytes(document)


def _docx_table(document, overview, table):
    rows = list(_lines(overview, [table]))
    # The page is 267 mm wide inside its margins: the names get 40, the figures share the rest, 28 at most.
    figure_width = Mm(min(28, 227 // len(table.columns)))
    grid = headed_table(document, labels=[_unit_header(overview), *table.columns],
                        widths=[Mm(40)] + [figure_width] * len(table.columns), rows=len(rows))
    for row, (name, values, is_total) in enumerate(rows, start=1):
        cell_text(grid.cell(row, 0), name, bold=is_total)
        for col, value in enumerate(values, start=1):
            cell_text(grid.cell(row, col), MISSING if value is None else f"{value:,}", bold=is_total,
                      align=WD_ALIGN_PARAGRAPH.CENTER if value is None else WD_ALIGN_PARAGRAPH.RIGHT)
