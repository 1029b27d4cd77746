"""Exports of the registry to xlsx: the filtered resident list, and the standard roster layout (花名册).

ID numbers and phones are masked; with a reason (at least two characters) a role that may reveal gets
them in full for the residents it may reveal. Every export is audited ("export": what, how many rows,
which filters, whether full values were included and why). The list streams in id-keyset batches
through the same selector as the list page (so the same filters and the same scope) into an xlsxwriter
workbook in constant-memory mode, written to a temporary file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import date

import xlsxwriter
from django.db import transaction
from django.utils import timezone

from shequ.audit.services import audit_record
from shequ.core.errors import ApplicationError, Forbidden, NotFound
from shequ.places.models import Community, Grid

from . import selectors
from .choices import ResidentStatus
from .permissions import REVEALER_ROLES, can_reveal, reader_scope
from .protection import reveal_id_number, reveal_phone

BATCH = 2000
ROSTER_HOUSEHOLDS_PER_BATCH = 500

LIST_COLUMNS = [
    ("姓名", 10), ("性别", 6), ("出生日期", 12), ("民族", 8), ("身份证号", 22), ("手机号", 14), ("与户主关系", 10),
    ("户号", 12), ("地址", 30), ("网格", 12), ("居住状况", 12), ("政治面貌", 10), ("文化程度", 10),
    ("就业状况", 10), ("婚姻状况", 8), ("状态", 8), ("备注", 20),
]
ROSTER_COLUMNS = [
    ("序号", 6), ("户号", 12), ("地址", 30), ("姓名", 10), ("与户主关系", 10), ("性别", 6), ("民族", 8),
    ("出生日期", 12), ("身份证号", 22), ("联系电话", 14), ("居住状况", 12), ("备注", 20),
]


@dataclass
class ExportFile:
    """A finished export: a temporary file the caller streams and then removes."""

    path: str
    filename: str
    rows: int
    revealed: bool

    def open(self):
        """The file opened for reading and already unlinked, so it disappears once the handle closes."""
        handle = open(self.path, "rb")  # noqa: SIM115
        os.unlink(self.path)
        return handle


def _reveal_reason(actor, reveal_reason):
    reason = (reveal_reason or "").strip()
    if not reason:
        return ""
    if len(reason) < 2:
        raise ApplicationError("请填写导出完整信息的原因（至少2个字）", details={"reveal_reason": ["至少2个字"]})
    from shequ.core.scoping import actor_roles

    if not actor_roles(actor) & REVEALER_ROLES:
        raise Forbidden("您无权导出完整的身份证号和手机号")
    return reason


def _workbook():
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="shequ-export-")
    os.close(handle)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    return path, workbook


def _sensitive(actor, resident, reveal):
    if reveal and can_reveal(actor, resident):
        return reveal_id_number(resident) or "", reveal_phone(resident) or "", True
    return resident.id_number_masked, resident.phone_masked, False


def resident_export_xlsx(actor, filters, reveal_reason=None):
    """The resident list with the given filters (those of selectors.resident_list) as an xlsx."""
    reason = _reveal_reason(actor, reveal_reason)
    filters = {k: v for k, v in (filters or {}).items() if k not in ("after_id", "limit", "with_count")}
    path, workbook = _workbook()
    try:
        sheet = workbook.add_worksheet("居民名单")
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for col, (label, width) in enumerate(LIST_COLUMNS):
            sheet.set_column(col, col, width, text if label in ("身份证号", "手机号", "户号") else None)
        sheet.write_row(0, 0, [label for label, _ in LIST_COLUMNS], bold)
        sheet.freeze_panes(1, 0)
        row_number = 0
        revealed = 0
        after = None
        communities = set()
        while True:
            page = selectors.resident_list(actor, **filters, after_id=after, limit=BATCH, with_count=False)
            for resident in page.items:
                row_number += 1
                communities.add(resident.community_id)
                id_number, phone, full = _sensitive(actor, resident, reason)
                revealed += full
                values = [
                    resident.name, resident.get_sex_display(), resident.birth_date, resident.ethnicity, id_number,
                    phone, resident.get_relation_display(), resident.household_number, resident.household_address,
                    resident.grid_name, resident.get_residence_status_display(),
                    resident.get_political_status_display(), resident.get_education_display(),
                    resident.get_employment_display(), resident.get_marital_status_display(),
                    resident.get_status_display(), resident.notes,
                ]
                _write_row(sheet, row_number, values, day)
            if page.next_after is None:
                break
            after = page.next_after
        workbook.close()
        _audit_export(actor, "resident_list", row_number, filters, reason, revealed, communities)
    except BaseException:
        _discard(workbook, path)
        raise
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(path, f"居民名单-{stamp}.xlsx", row_number, bool(revealed))


def _discard(workbook, path):
    with contextlib.suppress(Exception):  # closing twice only warns
        workbook.close()
    with contextlib.suppress(OSError):
        os.unlink(path)


def _write_row(sheet, row, values, day_format):
    for col, value in enumerate(values):
        if value in (None, ""):
            continue
        if isinstance(value, date):
            sheet.write_datetime(row, col, value, day_format)
        else:
            sheet.write_string(row, col, str(value))


def roster_export_xlsx(actor, *, community_id=None, grid_id=None, building_id=None, reveal_reason=None):
    """The standard roster (花名册) of one community: a title row, then each living household's present
    members together, head first, with 序号/户号/地址 merged down the household's rows."""
    reason = _reveal_reason(actor, reveal_reason)
    if community_id is None and grid_id:
        community_id = Grid.objects.filter(id=grid_id).values_list("community_id", flat=True).first()
    if community_id is None:
        ids = sorted(reader_scope(actor).readable_community_ids)
        if len(ids) != 1:
            raise ApplicationError("花名册按社区导出：请先按网格筛选，或指定社区", details={"community_id": ["必填"]})
        community_id = ids[0]
    community = Community.objects.filter(id=community_id).first()
    if community is None or community_id not in reader_scope(actor).readable_community_ids:
        raise NotFound("未找到该社区")
    path, workbook = _workbook()
    try:
        members, revealed = _write_roster(actor, workbook, community, grid_id, building_id, reason)
        workbook.close()
        filters = {"community_id": community_id, "grid_id": grid_id, "building_id": building_id}
        _audit_export(actor, "roster", members, filters, reason, revealed, {community_id})
    except BaseException:
        _discard(workbook, path)
        raise
    stamp = timezone.localtime().strftime("%Y%m%d")
    return ExportFile(path, f"{community.name}居民花名册-{stamp}.xlsx", members, bool(revealed))


def _write_roster(actor, workbook, community, grid_id, building_id, reason):
    sheet = workbook.add_worksheet("花名册")
    width = len(ROSTER_COLUMNS)
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    bold = workbook.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1,
                                "bg_color": "#DDEBF7"})
    cell = workbook.add_format({"border": 1, "valign": "vcenter"})
    merged = workbook.add_format({"border": 1, "valign": "vcenter", "align": "center", "text_wrap": True})
    day = workbook.add_format({"border": 1, "valign": "vcenter", "num_format": "yyyy-mm-dd"})
    for col, (_label, col_width) in enumerate(ROSTER_COLUMNS):
        sheet.set_column(col, col, col_width)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, width - 1, f"{community.name}居民花名册", title)
    sheet.write_row(1, 0, [label for label, _ in ROSTER_COLUMNS], bold)
    sheet.freeze_panes(2, 0)
    households = selectors.household_queryset(actor).filter(community_id=community.id, status="living")
    if grid_id:
        households = households.filter(grid_id=grid_id)
    if building_id:
        households = households.filter(building_id=building_id)
    residents = selectors.resident_queryset(actor).filter(status=ResidentStatus.PRESENT)
    row = 2
    sequence = members_written = revealed = 0
    after = 0
    while True:
        batch = list(households.filter(id__gt=after).order_by("id").values("id", "number", "address")
                     [:ROSTER_HOUSEHOLDS_PER_BATCH])
        if not batch:
            break
        after = batch[-1]["id"]
        by_household = {}
        for resident in residents.filter(household_id__in=[h["id"] for h in batch]).order_by("household_id", "id"):
            by_household.setdefault(resident.household_id, []).append(resident)
        for household in batch:
            members = sorted(by_household.get(household["id"], []), key=lambda r: (r.relation != "head", r.id))
            if not members:
                continue
            sequence += 1
            first = row
            for index, resident in enumerate(members):
                id_number, phone, full = _sensitive(actor, resident, reason)
                revealed += full
                shared = [sequence, household["number"], household["address"]] if index == 0 else [None] * 3
                for col, value in enumerate(shared):
                    if value is None:
                        sheet.write_blank(row, col, None, merged)
                    else:
                        sheet.write(row, col, value, merged)
                values = [resident.name, resident.get_relation_display(), resident.get_sex_display(),
                          resident.ethnicity, resident.birth_date, id_number, phone,
                          resident.get_residence_status_display(), resident.notes]
                for offset, value in enumerate(values, start=3):
                    if isinstance(value, date):
                        sheet.write_datetime(row, offset, value, day)
                    else:
                        sheet.write_string(row, offset, str(value or ""), cell)
                row += 1
                members_written += 1
            if row - first > 1:
                # The cells were written row by row (constant-memory mode cannot go back up); recording the
                # ranges is what merge_range would add to its list after writing the same cells.
                for col in range(3):
                    sheet.merge.append([first, col, row - 1, col])
    return members_written, revealed


@transaction.atomic
def _audit_export(actor, kind, rows, filters, reason, revealed, communities):
    clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v not in (None, "")}
    community_id = next(iter(communities)) if len(communities) == 1 else None
    audit_record(actor, "export", None, community_id=community_id, details={
        "kind": kind, "rows": rows, "filters": clean, "full_values": bool(revealed), "revealed_rows": revealed,
        "reason": reason, "communities": sorted(communities)})
