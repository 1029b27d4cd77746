"""Files the apps write for people to keep, send or print: the file handed to a view (DocumentFile) and the
pieces every Word (docx) report is made of — an A4 page set in a Chinese font, paragraphs, bordered tables
whose widths Word, WPS and LibreOffice all keep."""

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "宋体"
MARGIN = Mm(15)


@dataclass
class DocumentFile:
    content: bytes
    filename: str
    content_type: str


def a4_document(*, landscape=False):
    """An empty document on A4 with 15 mm margins, its text in FONT at 10.5 pt (五号)."""
    document = Document()
    section = document.sections[0]
    short, long = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    use_font(document.styles["Normal"].element, FONT)
    document.styles["Normal"].font.size = Pt(10.5)
    return document


def docx_bytes(document):
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def use_font(element, name):
    """Word takes Chinese characters from the East Asian font, which python-docx's font.name does not set."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), name)


def paragraph(document, text, *, size=None, bold=False, align=None):
    added = document.add_paragraph()
    run = added.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        added.alignment = align
    return added


def bordered_table(document, *, rows, widths):
    """A bordered table, centred, of len(widths) columns of fixed widths (python-docx lengths)."""
    grid = document.add_table(rows=rows, cols=len(widths))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width  # the grid, which WPS and LibreOffice lay out by
        for cell in column.cells:
            cell.width = width  # and each cell, which Word does
    return grid


def headed_table(document, *, labels, widths, rows):
    """A bordered table of `rows` empty rows under a header row of the labels, which is repeated on every page
    a long table runs over."""
    grid = bordered_table(document, rows=1 + rows, widths=widths)
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    grid.rows[0]._tr.get_or_add_trPr().append(header)
    for col, label in enumerate(labels):
        cell_text(grid.cell(0, col), label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    return grid


def cell_text(cell, text, *, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=9):
    added = cell.paragraphs[0]
    added.alignment = align
    run = added.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
