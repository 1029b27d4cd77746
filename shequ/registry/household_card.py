"""户卡 (入户登记表): one household's card as an A4 Word document, which community workers print, file and take
on home visits. In Chinese whatever the language of the page it was asked from, like the 人口概况 report.

ID numbers and phones are only ever masked here: revealing one stays the separate, audited action of the
resident's page. Care tags are listed by kind, never with their details, and sensitive kinds only to whoever
may see them in the household's community."""

from django.utils import timezone, translation
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm

from shequ.audit.services import audit_record
from shequ.core.documents import (
    DOCX,
    DocumentFile,
    a4_document,
    bordered_table,
    cell_text,
    docx_bytes,
    headed_table,
    paragraph,
)

from . import selectors
from .choices import ResidentStatus

EMPTY = "—"
FACT_SIZE = 10.5  # the household's fields in the body's size; the tables of people in 9 pt, to fit the page
# The page is 180 mm wide inside its margins.
FACT_WIDTHS = [Mm(24), Mm(66), Mm(24), Mm(66)]
MEMBER_COLUMNS = [("姓名", 17), ("与户主关系", 19), ("性别", 9), ("出生日期", 20), ("身份证号", 32), ("手机号", 22),
                  ("居住状况", 20), ("状态", 13), ("重点人群", 28)]
VISIT_COLUMNS = [("日期", 30), ("走访人", 30), ("情况", 120)]
VISIT_ROWS = 6  # left empty, written in by hand on the visits
VISIT_ROW_HEIGHT = Mm(12)


def household_card_docx(*, actor, household_id):
    """The card of a household the actor may see (NotFound otherwise, like the household's page)."""
    household = selectors.household_card_get(actor, household_id)
    members = list(household.members.all())  # in the order of the household page (selectors)
    with translation.override("zh-hans"):
        content = _write_card(actor, household, members)
    # The rule of the list's exports (exports.py): every file that names people is audited as "export", masked
    # or not; only files of counts, like 人口概况, are not. The card names the household's members.
    audit_record(actor, "export", household, details={
        "kind": "household_card", "rows": len(members), "full_values": False})
    return DocumentFile(content, f"户卡-{household.community.name}-{household.number}.docx", DOCX)


def _write_card(actor, household, members):
    document = a4_document()
    paragraph(document, "户卡", size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(document, household.community.name, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    _write_facts(document, household)
    present = sum(member.status == ResidentStatus.PRESENT for member in members)
    paragraph(document, f"家庭成员（在册 {present} 人）", size=12, bold=True)
    _write_members(document, actor, members)
    paragraph(document, "入户走访记录", size=12, bold=True)
    _write_visits(document)
    paragraph(document, f"打印日期 {timezone.localdate():%Y-%m-%d} · 打印人 {actor}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return docx_bytes(document)


def _fact_rows(household):
    """The household's fields as rows of (label, value) pairs: two a row, the address alone on its own."""
    registered = household.registered_on
    return [
        [("户号", household.number), ("登记日期", f"{registered:%Y-%m-%d}" if registered else EMPTY)],
        [("地址", household.address)],
        [("户类型", household.get_household_type_display()), ("住房性质", household.get_housing_display())],
        [("网格", household.grid.name if household.grid else EMPTY),
         ("居民小组", household.resident_group.name if household.resident_group else EMPTY)],
        [("状态", household.get_status_display()), ("联系电话", household.phone_masked or EMPTY)],
    ]


def _write_facts(document, household):
    rows = _fact_rows(household)
    grid = bordered_table(document, rows=len(rows), widths=FACT_WIDTHS)
    for index, pairs in enumerate(rows):
        if len(pairs) == 1:  # the value spans the rest of the row
            grid.cell(index, 1).merge(grid.cell(index, 3))
        for position, (label, value) in enumerate(pairs):
            cell_text(grid.cell(index, 2 * position), label, bold=True, size=FACT_SIZE)
            cell_text(grid.cell(index, 2 * position + 1), value, size=FACT_SIZE)


def _member_values(actor, member):
    tags = "、".join(tag.get_kind_display() for tag in selectors.visible_tags(actor, member))
    return [member.name, member.get_relation_display(), member.get_sex_display(), f"{member.birth_date:%Y-%m-%d}",
            member.id_number_masked or EMPTY, member.phone_masked or EMPTY,
            member.get_residence_status_display(), member.get_status_display(), tags or EMPTY]


def _write_members(document, actor, members):
    grid = _headed_table(document, MEMBER_COLUMNS, rows=len(members))
    for row, member in enumerate(members, start=1):
        for col, value in enumerate(_member_values(actor, member)):
            cell_text(grid.cell(row, col), value)


def _write_visits(document):
    grid = _headed_table(document, VISIT_COLUMNS, rows=VISIT_ROWS)
    for row in grid.rows[1:]:
        row.height, row.height_rule = VISIT_ROW_HEIGHT, WD_ROW_HEIGHT_RULE.AT_LEAST


def _headed_table(document, columns, *, rows):
    """columns are (label, width in mm)."""
    return headed_table(document, labels=[label for label, _width in columns],
                        widths=[Mm(width) for _label, width in columns], rows=rows)
