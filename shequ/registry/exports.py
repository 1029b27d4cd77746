"""Exports of the registry to xlsx: the filtered resident list, and the standard roster layout (花名册).

ID numbers, phones and the numbers in notes are masked; with a reason (at least two characters) a role that
may reveal gets them in full for the residents it may reveal. Every export is audited ("export": what, how many rows,
which filters, whether full values were included and why). The list streams in id-keyset batches
through the same selector as the list page (so the same filters and the same scope) into an xlsxwriter
workbook in constant-memory mode, written to a temporary file.

An export of up to IN_REQUEST_ROWS rows (by a count that stops there) is written in the request. A larger
one is an ExportJob, written by export_task in the background through the same writer: it only reads, so
it holds no transaction, and its progress goes straight to the job row after every batch, where a cancel
(the job no longer RUNNING) stops it. The finished file is kept for the job's creator alone: one with full
values until its first complete download, any until FILE_LIFETIME has passed, after which the next export
removes it.

Language: the refusals raised in the request are in the user's language (gettext where they are raised); what
a job stores (error_message) and every file are Chinese, whoever asked, so export_task runs under
translation.override(settings.LANGUAGE_CODE).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta

import xlsxwriter
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task

from shequ.audit.services import audit_record
from shequ.core.errors import ApplicationError, Forbidden, NotFound
from shequ.places.models import Building, Community, Grid

from . import selectors
from .models import ExportJob, ExportKind, ExportStatus
from .permissions import REVEALER_ROLES, can_reveal, can_view_registry, reader_scope
from .protection import reveal_id_number, reveal_notes, reveal_phone

logger = logging.getLogger(__name__)

BATCH = 2000
ROSTER_HOUSEHOLDS_PER_BATCH = 500
# Some 6,000 rows are written a second: up to this many, the file is there before anyone would wait for it.
IN_REQUEST_ROWS = 5000
FILE_LIFETIME = timedelta(days=1)
ACTIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)
# A running export reports after every batch of rows: one silent this long has lost its process.
STALLED_AFTER = timedelta(minutes=10)
PAGING = ("after_id", "limit", "with_count")

LIST_COLUMNS = [
    ("姓名", 10), ("性别", 6), ("出生日期", 12), ("民族", 8), ("身份证号", 22), ("手机号", 14), ("与户主关系", 10),
    ("户号", 12), ("地址", 30), ("网格", 12), ("居住状况", 12), ("政治面貌", 10), ("文化程度", 10),
    ("就业状况", 10), ("婚姻状况", 8), ("状态", 8), ("备注", 20),
]
ROSTER_COLUMNS = [
    ("序号", 6), ("户号", 12), ("地址", 30), ("姓名", 10), ("与户主关系", 10), ("性别", 6), ("民族", 8),
    ("出生日期", 12), ("身份证号", 22), ("联系电话", 14), ("居住状况", 12), ("备注", 20),
]


class ExportTooLarge(ApplicationError):
    """An export asked for in the request that must be a job instead (the API's GET exports answer it)."""

    def __init__(self):
        super().__init__(gettext("导出超过%(rows)s行，不能直接下载：请用 POST /api/v1/registry/exports 创建导出任务，"
                                 "查询进度，完成后下载文件") % {"rows": f"{IN_REQUEST_ROWS:,}"}, code="export_too_large")


class ExportCancelled(Exception):
    """Raised from the progress report of a job that was cancelled, to stop its writer."""


@dataclass
class ExportFile:
    """A finished export: a temporary file the caller streams and then removes."""

    path: str
    filename: str
    rows: int
    revealed_rows: int = 0
    communities: set = field(default_factory=set)

    @property
    def revealed(self):
        return bool(self.revealed_rows)

    def open(self):
        """The file opened for reading and already unlinked, so it disappears once the handle closes."""
        handle = open(self.path, "rb")  # noqa: SIM115
        os.unlink(self.path)
        return handle


# ------------------------------------------------------------------------------------------------
# Services: an export in the request, or as a job (start, cancel, download)
# ------------------------------------------------------------------------------------------------


def resident_export_xlsx(actor, filters, reveal_reason=None):
    """The resident list with the given filters (those of selectors.resident_list) as an xlsx, written here;
    ExportTooLarge past IN_REQUEST_ROWS."""
    return export_in_request(actor, ExportKind.RESIDENT_LIST, filters, reveal_reason)


def roster_export_xlsx(actor, *, community_id=None, grid_id=None, building_id=None, reveal_reason=None):
    """The standard roster (花名册) of one community: a title row, then each living household's present
    members together, head first, with 序号/户号/地址 merged down the household's rows. Written here;
    ExportTooLarge past IN_REQUEST_ROWS."""
    filters = {"community_id": community_id, "grid_id": grid_id, "building_id": building_id}
    return export_in_request(actor, ExportKind.ROSTER, filters, reveal_reason)


def export_in_request(actor, kind, filters, reveal_reason=None):
    """An export written here, for a caller that cannot wait for a job; ExportTooLarge past IN_REQUEST_ROWS."""
    reason, filters = _begin(actor, kind, filters, reveal_reason)
    if not _fits_in_request(actor, kind, filters):
        raise ExportTooLarge()
    return _export_here(actor, kind, filters, reason)


def export_start(*, actor, kind, filters, reveal_reason=None):
    """An export as the pages ask for it: an ExportFile written here when it has at most IN_REQUEST_ROWS
    rows, else the ExportJob queued to write it."""
    reason, filters = _begin(actor, kind, filters, reveal_reason)
    if _fits_in_request(actor, kind, filters):
        return _export_here(actor, kind, filters, reason)
    return _queue(actor, kind, filters, reason)


def export_job_start(*, actor, kind, filters, reveal_reason=None):
    """Queue an export of any size; returns its job, QUEUED with the rows counted (or already further, when
    the task backend runs it at once)."""
    reason, filters = _begin(actor, kind, filters, reveal_reason)
    return _queue(actor, kind, filters, reason)


def export_job_cancel(*, actor, job):
    """Stop a queued or running export; whatever it had written is removed."""
    _check_creator(actor, job)
    with transaction.atomic():
        cancelled = ExportJob.objects.filter(id=job.id, status__in=ACTIVE_STATUSES).update(
            status=ExportStatus.CANCELLED, error_message="导出已取消，没有生成文件", finished_at=timezone.now(),
            updated_at=timezone.now())
        if not cancelled:
            raise ApplicationError(gettext("该导出任务已结束，无法取消"))
        audit_record(actor, "export_cancel", job, details={"kind": job.kind, "status": job.status})
    job.refresh_from_db()
    return job


def export_job_download(*, actor, job):
    """The finished file, opened for reading. One with full values is removed once it has been read to the
    end (its first complete download, not a transfer broken off); a masked one stays until it expires."""
    _check_creator(actor, job)
    if job.status != ExportStatus.DONE:
        raise ApplicationError(gettext("导出尚未完成，完成后才能下载"))
    if job.file:
        with contextlib.suppress(FileNotFoundError):  # removed by another download or by expiry meanwhile
            return _Download(job.file.storage.open(job.file.name, "rb"), then=lambda: _downloaded(job))
    if job.full_values and job.downloaded_at:
        raise NotFound(gettext("文件已在首次下载后从服务器删除，如需再次下载，请重新导出"))
    raise NotFound(gettext("文件已过期删除，如需下载，请重新导出"))


def export_job_settle(job):
    """The job as its page should show it. One still RUNNING that has not reported for STALLED_AFTER lost
    its process without a word (a restart, a crash, memory): it is marked failed, so nobody waits for it."""
    if job.status != ExportStatus.RUNNING or job.updated_at > timezone.now() - STALLED_AFTER:
        return job
    ExportJob.objects.filter(id=job.id, status=ExportStatus.RUNNING, updated_at=job.updated_at).update(
        status=ExportStatus.FAILED, error_message="导出中断：后台处理已停止，没有生成文件，请重新导出",
        finished_at=timezone.now(), updated_at=timezone.now())
    job.refresh_from_db()
    return job


def export_files_expire():
    """Remove the files of exports finished more than FILE_LIFETIME ago; their jobs stay, without a file."""
    expired = ExportJob.objects.filter(finished_at__lt=timezone.now() - FILE_LIFETIME).exclude(file="")
    for job in expired.only("id", "file"):
        _remove_file(job)


def _begin(actor, kind, filters, reveal_reason):
    """What every export starts with: the reason checked, the filters kept, and earlier exports' files past
    their lifetime removed. Returns (reason, filters)."""
    if not can_view_registry(actor):
        raise Forbidden(gettext("您无权导出居民台账"))
    reason = _reveal_reason(actor, reveal_reason)
    filters = _roster_filters(actor, filters) if kind == ExportKind.ROSTER else _list_filters(filters)
    export_files_expire()
    return reason, filters


def _reveal_reason(actor, reveal_reason):
    reason = (reveal_reason or "").strip()
    if not reason:
        return ""
    if len(reason) < 2:
        raise ApplicationError(gettext("请填写导出完整信息的原因（至少2个字）"),
                               details={"reveal_reason": [gettext("至少2个字")]})
    from shequ.core.scoping import actor_roles

    if not actor_roles(actor) & REVEALER_ROLES:
        raise Forbidden(gettext("您无权导出完整的身份证号和手机号"))
    return reason


def _list_filters(filters):
    return {k: v for k, v in (filters or {}).items() if k not in PAGING and v is not None}


def _roster_filters(actor, filters):
    """A roster is of one community: the one given, the grid's, the building's, or the actor's only one. The
    list's other filters choose its residents (households without one are left out)."""
    community_id, grid_id, building_id = filters.get("community_id"), filters.get("grid_id"), filters.get("building_id")
    for place, place_id in ((Grid, grid_id), (Building, building_id)):
        if community_id is None and place_id:
            community_id = place.objects.filter(id=place_id).values_list("community_id", flat=True).first()
    if community_id is None:
        ids = sorted(reader_scope(actor).readable_community_ids)
        if len(ids) != 1:
            raise ApplicationError(gettext("花名册按社区导出：请先按网格筛选，或指定社区"),
                                   details={"community_id": [gettext("必填")]})
        community_id = ids[0]
    if community_id not in reader_scope(actor).readable_community_ids:
        raise NotFound(gettext("未找到该社区"))
    return _list_filters(filters) | {"community_id": community_id}


def _fits_in_request(actor, kind, filters):
    return _row_count(actor, kind, filters, cap=IN_REQUEST_ROWS) <= IN_REQUEST_ROWS


def _row_count(actor, kind, filters, *, cap=None):
    """The rows an export will have; with a cap, counting stops past it (cap + 1 means more)."""
    if kind == ExportKind.ROSTER:
        members = _roster_members(actor, filters)
        return (members if cap is None else members[:cap + 1]).count()
    return selectors.resident_count(actor, cap=cap, **filters)


def _export_here(actor, kind, filters, reason):
    export = write_export(actor, kind, filters, reason)
    try:
        _audit_export(actor, kind, filters, reason, rows=export.rows, full_values=export.revealed,
                      community_id=next(iter(export.communities)) if len(export.communities) == 1 else None,
                      revealed_rows=export.revealed_rows, communities=sorted(export.communities))
    except BaseException:
        os.unlink(export.path)
        raise
    return export


def _queue(actor, kind, filters, reason):
    community_id, street_id = _export_place(actor, filters)
    total = _row_count(actor, kind, filters)  # before the transaction: SQLite's write lock is taken at BEGIN
    with transaction.atomic():
        job = ExportJob.objects.create(
            created_by=actor, kind=kind, filters=filters, full_values=bool(reason), reveal_reason=reason,
            total_rows=total, community_id=community_id, street_id=street_id)
        _audit_export(actor, kind, filters, reason, rows=job.total_rows, full_values=job.full_values, target=job,
                      job=job.id)
        # The task row commits together with the job, as for an import: a worker never sees one without the other.
        export_task.enqueue(job.id)
    job.refresh_from_db()
    return job


def _export_place(actor, filters):
    """(community id, street id) of the job: its one community, if it reads one, and the one street of the
    communities it reads, so that a street's administrators find its audit event."""
    community_ids = reader_scope(actor).readable_community_ids
    if filters.get("community_id"):
        community_ids = community_ids & {filters["community_id"]}
    streets = set(Community.objects.filter(id__in=community_ids).values_list("street_id", flat=True).distinct())
    return (next(iter(community_ids)) if len(community_ids) == 1 else None,
            streets.pop() if len(streets) == 1 else None)


def _check_creator(actor, job):
    if job.created_by_id != actor.id:
        raise NotFound(gettext("未找到该导出任务"))


@transaction.atomic
def _audit_export(actor, kind, filters, reason, *, rows, full_values, target=None, community_id=None, **more):
    clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v not in (None, "")}
    audit_record(actor, "export", target, community_id=community_id, details={
        "kind": kind, "rows": rows, "filters": clean, "full_values": full_values, "reason": reason, **more})


# ------------------------------------------------------------------------------------------------
# The background job
# ------------------------------------------------------------------------------------------------


@task()
def export_task(job_id):
    """Write a queued export and keep its file on the job, unless it was cancelled meanwhile. In Chinese,
    whoever asked (a task backend may run it in their request): its error message is stored, its file Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        _run_export(job_id)


def _run_export(job_id):
    if not ExportJob.objects.filter(id=job_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING, updated_at=timezone.now()):
        return  # cancelled while it waited
    job = ExportJob.objects.select_related("created_by").get(id=job_id)
    try:
        export = write_export(job.created_by, job.kind, job.filters, job.reveal_reason,
                              on_progress=_job_progress(job_id))
        _keep_file(job, export)
    except ExportCancelled:
        return
    except Exception as error:
        logger.exception("export %s failed", job_id)
        reason = error.message if isinstance(error, ApplicationError) else str(error) or type(error).__name__
        ExportJob.objects.filter(id=job_id, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, error_message=f"导出失败：{reason}"[:2000], finished_at=timezone.now(),
            updated_at=timezone.now())


def _job_progress(job_id):
    """Reports the rows written on the job row, and that the writer is alive (export_job_settle); once the
    job was cancelled (no longer RUNNING), stops the writer at its next batch instead."""
    running = ExportJob.objects.filter(id=job_id, status=ExportStatus.RUNNING)

    def progress(rows):
        if not running.update(processed_rows=rows, updated_at=timezone.now()):
            raise ExportCancelled

    return progress


def _keep_file(job, export):
    with export.open() as handle:
        job.file.save(export.filename, File(handle), save=False)
    done = ExportJob.objects.filter(id=job.id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, file=job.file.name, file_name=export.filename, total_rows=export.rows,
        processed_rows=export.rows, finished_at=timezone.now(), updated_at=timezone.now())
    if not done:  # cancelled after its last batch
        job.file.storage.delete(job.file.name)


class _Download:
    """A stored export being sent. When it has been read to the end and is closed (a complete download, not
    one broken off), `then` runs."""

    def __init__(self, handle, *, then):
        self._handle = handle
        self._then = then
        self._complete = False

    def __getattr__(self, name):  # seek, tell, seekable: what the response reads the file's length with
        return getattr(self._handle, name)

    def read(self, size=-1):
        data = self._handle.read(size)
        self._complete = self._complete or not data
        return data

    def close(self):
        self._handle.close()
        if self._complete:
            try:
                self._then()
            except Exception:  # the response swallows what its closers raise
                logger.exception("could not record the download of an export")


def _downloaded(job):
    ExportJob.objects.filter(id=job.id, downloaded_at=None).update(downloaded_at=timezone.now())
    if job.full_values:
        _remove_file(job)


def _remove_file(job):
    """The file first: a row still naming a removed file only answers "expired"; the reverse would leave
    full ID numbers on the server that nothing points to."""
    job.file.storage.delete(job.file.name)
    ExportJob.objects.filter(id=job.id).update(file="")


# ------------------------------------------------------------------------------------------------
# The writer, shared by the request and the job
# ------------------------------------------------------------------------------------------------


def write_export(actor, kind, filters, reason, *, on_progress=None):
    """The export's xlsx in a temporary file. on_progress(rows written) is called after every batch; what it
    raises stops the export and removes the file."""
    path, workbook = _workbook()
    on_progress = on_progress or (lambda rows: None)
    try:
        if kind == ExportKind.ROSTER:
            community = Community.objects.get(id=filters["community_id"])
            rows, revealed = _write_roster(actor, workbook, community, filters, reason, on_progress)
            communities = {community.id}
            filename = f"{community.name}居民花名册-{timezone.localtime():%Y%m%d}.xlsx"
        else:
            rows, revealed, communities = _write_list(actor, workbook, filters, reason, on_progress)
            filename = f"居民名单-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
        workbook.close()
    except BaseException:
        _discard(workbook, path)
        raise
    return ExportFile(path, filename, rows, revealed, communities)


def _workbook():
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="shequ-export-")
    os.close(handle)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    return path, workbook


def _discard(workbook, path):
    with contextlib.suppress(Exception):  # closing twice only warns
        workbook.close()
    with contextlib.suppress(OSError):
        os.unlink(path)


def _sensitive(actor, resident, reveal):
    """(ID number, phone, notes, whether in full): in full only with a reason, for a resident the actor may reveal;
    the notes then with the numbers their masked copy hides."""
    if reveal and can_reveal(actor, resident):
        return reveal_id_number(resident) or "", reveal_phone(resident) or "", reveal_notes(resident), True
    return resident.id_number_masked, resident.phone_masked, resident.notes, False


def _write_list(actor, workbook, filters, reason, on_progress):
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
            id_number, phone, notes, full = _sensitive(actor, resident, reason)
            revealed += full
            values = [
                resident.name, resident.get_sex_display(), resident.birth_date, resident.ethnicity, id_number,
                phone, resident.get_relation_display(), resident.household_number, resident.household_address,
                resident.grid_name, resident.get_residence_status_display(),
                resident.get_political_status_display(), resident.get_education_display(),
                resident.get_employment_display(), resident.get_marital_status_display(),
                resident.get_status_display(), notes,
            ]
            _write_row(sheet, row_number, values, day)
        on_progress(row_number)
        if page.next_after is None:
            break
        after = page.next_after
    return row_number, revealed, communities


def _write_row(sheet, row, values, day_format):
    for col, value in enumerate(values):
        if value in (None, ""):
            continue
        if isinstance(value, date):
            sheet.write_datetime(row, col, value, day_format)
        else:
            sheet.write_string(row, col, str(value))


def _roster_households(actor, filters):
    households = selectors.household_queryset(actor).filter(community_id=filters["community_id"], status="living")
    if filters.get("grid_id"):
        households = households.filter(grid_id=filters["grid_id"])
    if filters.get("building_id"):
        households = households.filter(building_id=filters["building_id"])
    return households


def _roster_members(actor, filters):
    """The residents a roster lists: the resident list's with the same filters (in register unless a status is
    asked for), in the roster's households."""
    return selectors.resident_list_queryset(actor, **filters).filter(household__in=_roster_households(actor, filters))


def _write_roster(actor, workbook, community, filters, reason, on_progress):
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
    households = _roster_households(actor, filters)
    residents = _roster_members(actor, filters)
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
                id_number, phone, notes, full = _sensitive(actor, resident, reason)
                revealed += full
                shared = [sequence, household["number"], household["address"]] if index == 0 else [None] * 3
                for col, value in enumerate(shared):
                    if value is None:
                        sheet.write_blank(row, col, None, merged)
                    else:
                        sheet.write(row, col, value, merged)
                values = [resident.name, resident.get_relation_display(), resident.get_sex_display(),
                          resident.ethnicity, resident.birth_date, id_number, phone,
                          resident.get_residence_status_display(), notes]
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
        on_progress(members_written)
    return members_written, revealed
