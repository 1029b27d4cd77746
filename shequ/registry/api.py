"""/api/v1/registry: the same scoping, masking and services as the pages."""

import io
from datetime import datetime
from typing import Literal

from django.http import FileResponse
from django.utils.translation import gettext
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from shequ.core.errors import Forbidden, NotFound
from shequ.places.selectors import place_get

from . import exports, imports, selectors, services
from .choices import HouseholdStatus, HouseholdType, Housing, RegistrationDue, ResidentStatus, TagKind
from .household_card import household_card_docx
from .models import ExportKind, ExportStatus
from .overview import registry_overview
from .overview_files import overview_docx, overview_xlsx
from .permissions import can_view_registry
from .schemas import (
    DeathIn,
    DeathRevokeIn,
    HeadIn,
    HistoryOut,
    HouseholdDetailOut,
    HouseholdHeadOut,
    HouseholdIn,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdPatch,
    MergeIn,
    MoveBackIn,
    MoveOutIn,
    OverviewOut,
    PersonIn,
    PersonPatch,
    ResidentDetailOut,
    ResidentOut,
    ResidentPageOut,
    RevealIn,
    RevealOut,
    SplitIn,
    TagIn,
    TagOut,
    TagRevealIn,
    TagRevealOut,
    TransferIn,
)

router = Router(tags=["居民台账"])


class ListFilters(Schema):
    q: str = ""
    community_id: int | None = None
    grid_id: int | None = None
    group_id: int | None = None
    building_id: int | None = None
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    tag: TagKind | None = None
    residence_status: str | None = None
    registration_due: RegistrationDue | None = None
    status: ResidentStatus | Literal["all"] = ResidentStatus.PRESENT


class ResidentFilters(ListFilters):
    after: int | None = None
    limit: int = 50


class HouseholdFilters(Schema):
    q: str = ""
    community_id: int | None = None
    grid_id: int | None = None
    building_id: int | None = None
    household_type: HouseholdType | None = None
    housing: Housing | None = None
    status: HouseholdStatus | Literal["all"] = HouseholdStatus.LIVING
    without_head: bool = False
    after: int | None = None
    limit: int = 50


def _person(payload):
    return {k: v for k, v in payload.dict().items() if v is not None}


@router.get("/residents", response=ResidentPageOut)
def resident_list(request, filters: Query[ResidentFilters]):
    """Search by characters, pinyin (full or initials), last digits of phone/ID, or address; status "all" lists
    every status (moved out and deceased as well)."""
    data = filters.dict()
    after, limit = data.pop("after"), max(1, min(data.pop("limit"), 200))
    page = selectors.resident_list(request.user, after_id=after, limit=limit, **data)
    return {"items": page.items, "next_after": page.next_after, "count": page.count_label,
            "query_kind": page.query_kind}


@router.get("/residents/{resident_id}", response=ResidentDetailOut)
def resident_get(request, resident_id: int):
    resident = selectors.resident_get(request.user, resident_id)
    return {**ResidentOut.from_orm(resident).dict(), "tags": selectors.visible_tags(request.user, resident)}


@router.patch("/residents/{resident_id}", response=ResidentOut)
def resident_correct(request, resident_id: int, payload: PersonPatch):
    resident = selectors.resident_get(request.user, resident_id)
    data = _person(payload)
    reason = data.pop("reason", "")
    return services.resident_correct(actor=request.user, resident=resident, data=data, reason=reason)


@router.post("/residents/{resident_id}/reveal", response=RevealOut)
def resident_reveal(request, resident_id: int, payload: RevealIn):
    """Full ID number, phone, or notes (`field`: id_number, phone, notes; the notes with the numbers their
    masked copy hides). Needs a reason; every reveal is in the audit trail."""
    resident = selectors.resident_get(request.user, resident_id)
    value = services.resident_reveal(actor=request.user, resident=resident, field=payload.field,
                                     reason=payload.reason)
    return {"field": payload.field, "value": value}


@router.get("/residents/{resident_id}/history", response=list[HistoryOut])
def resident_history(request, resident_id: int):
    return selectors.record_history(request.user, selectors.resident_get(request.user, resident_id))


@router.post("/residents/{resident_id}/move-out", response=ResidentOut)
def resident_move_out(request, resident_id: int, payload: MoveOutIn):
    resident = selectors.resident_get(request.user, resident_id)
    return services.resident_move_out(actor=request.user, resident=resident, on=payload.on,
                                      destination=payload.destination)


@router.post("/residents/{resident_id}/death", response=ResidentOut)
def resident_death(request, resident_id: int, payload: DeathIn):
    resident = selectors.resident_get(request.user, resident_id)
    return services.resident_record_death(actor=request.user, resident=resident, died_on=payload.died_on)


@router.post("/residents/{resident_id}/death/revoke", response=ResidentOut)
def resident_death_revoke(request, resident_id: int, payload: DeathRevokeIn):
    """A death recorded by mistake taken back, with the reason."""
    resident = selectors.resident_get(request.user, resident_id)
    return services.resident_death_revoke(actor=request.user, resident=resident, reason=payload.reason)


@router.post("/residents/{resident_id}/move-back", response=ResidentOut)
def resident_move_back(request, resident_id: int, payload: MoveBackIn):
    """迁回: a resident who moved out back in the register, in their former household or the one given."""
    resident = selectors.resident_get(request.user, resident_id)
    household = selectors.household_get(request.user, payload.household_id) if payload.household_id else None
    return services.resident_move_back(actor=request.user, resident=resident, household=household,
                                       relation=payload.relation, on=payload.on)


@router.post("/residents/{resident_id}/transfer", response=ResidentOut)
def resident_transfer(request, resident_id: int, payload: TransferIn):
    resident = selectors.resident_get(request.user, resident_id)
    target = selectors.household_get(request.user, payload.household_id)
    return services.resident_transfer(actor=request.user, resident=resident, to_household=target,
                                      relation=payload.relation)


@router.post("/residents/{resident_id}/tags", response={201: TagOut})
def resident_tag_add(request, resident_id: int, payload: TagIn):
    resident = selectors.resident_get(request.user, resident_id)
    tag = services.resident_tag_add(actor=request.user, resident=resident, kind=payload.kind,
                                    details=payload.details, started_on=payload.started_on)
    return Status(201, tag)


@router.post("/residents/{resident_id}/tags/{tag_id}/end", response=TagOut)
def resident_tag_end(request, resident_id: int, tag_id: int):
    resident = selectors.resident_get(request.user, resident_id)
    tag = selectors.resident_tag_get(request.user, resident, tag_id)
    return services.resident_tag_end(actor=request.user, tag=tag)


@router.post("/residents/{resident_id}/tags/{tag_id}/reveal", response=TagRevealOut)
def resident_tag_reveal(request, resident_id: int, tag_id: int, payload: TagRevealIn):
    """A tag's sealed details: all of a sensitive tag's (empty everywhere else; the tag exists only for a
    membership granted sensitive access, 404 to anyone else), or another tag's in full where its `details`
    mask a number. Needs a role that reveals and a reason; every reveal is in the audit trail."""
    resident = selectors.resident_get(request.user, resident_id)
    tag = selectors.resident_tag_get(request.user, resident, tag_id)
    details = services.resident_tag_reveal(actor=request.user, tag=tag, reason=payload.reason)
    return {"id": tag.id, "kind": tag.kind, "details": details}


@router.get("/overview", response=OverviewOut)
def overview(request, community: int | None = None):
    """人口概况: living households, present residents, sex, age bands (as of today), residence status and active
    care tags, per community of the caller's street, or per grid of one community (`community`, or the caller's
    only one), with totals. A community out of scope is 404."""
    _require_reader(request)
    return registry_overview(request.user, community_id=community)


@router.get("/overview.xlsx")
def overview_xlsx_file(request, community: int | None = None):
    """人口概况 as the xlsx the page offers (Chinese; the same figures and rules as GET /overview)."""
    _require_reader(request)
    return _document(overview_xlsx(request.user, community_id=community))


@router.get("/overview.docx")
def overview_docx_file(request, community: int | None = None):
    """人口概况 as the A4 Word report the page offers."""
    _require_reader(request)
    return _document(overview_docx(request.user, community_id=community))


@router.get("/households/{household_id}/card.docx")
def household_card(request, household_id: int):
    """户卡: the household's card as an A4 Word document, ID numbers and phones masked; audited as an export."""
    _require_reader(request)
    return _document(household_card_docx(actor=request.user, household_id=household_id))


def _require_reader(request):
    if not can_view_registry(request.user):
        raise Forbidden(gettext("您无权查看居民台账"))


def _document(file):
    return FileResponse(io.BytesIO(file.content), as_attachment=True, content_type=file.content_type,
                        filename=file.filename)


@router.get("/households", response=HouseholdPageOut)
def household_list(request, filters: Query[HouseholdFilters]):
    """户列表: search by household number (from its start) or by anything that finds a member (name, pinyin,
    last digits, address); status "all" lists every status."""
    data = filters.dict()
    after, limit = data.pop("after"), max(1, min(data.pop("limit"), 200))
    page = selectors.household_list(request.user, after_id=after, limit=limit, **data)
    return {"items": page.items, "next_after": page.next_after, "count": page.count_label,
            "query_kind": page.query_kind}


@router.post("/households", response={201: HouseholdDetailOut})
def household_register(request, payload: HouseholdIn):
    def place(kind, place_id):
        return place_get(request.user, kind, place_id) if place_id else None

    household = services.household_register(
        actor=request.user, estate=place("estate", payload.estate_id), building=place("building", payload.building_id),
        entrance=place("entrance", payload.entrance_id), room=payload.room, number=payload.number,
        household_type=payload.household_type, housing=payload.housing, phone=payload.phone,
        grid=place("grid", payload.grid_id), resident_group=place("group", payload.resident_group_id),
        members=[_person(m) for m in payload.members],
    )
    return Status(201, selectors.household_get(request.user, household.id))


@router.get("/buildings/{building_id}/households", response=list[HouseholdHeadOut])
def building_households(request, building_id: int):
    """楼栋住户: the living households of a building by entrance and room, each with its head's name (null for none)."""
    _require_reader(request)
    return selectors.building_households(request.user, place_get(request.user, "building", building_id))


@router.get("/households/{household_id}", response=HouseholdDetailOut)
def household_get(request, household_id: int):
    return selectors.household_get(request.user, household_id)


@router.patch("/households/{household_id}", response=HouseholdDetailOut)
def household_correct(request, household_id: int, payload: HouseholdPatch):
    household = selectors.household_get(request.user, household_id)
    sent = payload.dict(exclude_unset=True)
    reason = sent.pop("reason", "")
    data = {field: sent[field] for field in ("number", "household_type", "housing", "phone", "room") if field in sent}
    if sent.get("building_id"):
        data["building"] = place_get(request.user, "building", sent["building_id"])
        data["entrance"] = place_get(request.user, "entrance", sent["entrance_id"]) if sent.get("entrance_id") else None
    for field, kind in (("grid", "grid"), ("resident_group", "group")):
        if f"{field}_id" in sent:
            data[field] = place_get(request.user, kind, sent[f"{field}_id"]) if sent[f"{field}_id"] else None
    services.household_correct(actor=request.user, household=household, data=data, reason=reason)
    return selectors.household_get(request.user, household_id)


@router.post("/households/{household_id}/head", response=HouseholdDetailOut)
def household_change_head(request, household_id: int, payload: HeadIn):
    household = selectors.household_get(request.user, household_id)
    head = household.members.filter(id=payload.head_id).first()
    if head is None:
        raise NotFound(gettext("未找到该居民"))
    services.household_change_head(actor=request.user, household=household, head=head, relations=payload.relations)
    return selectors.household_get(request.user, household_id)


@router.post("/households/{household_id}/members", response={201: ResidentOut})
def household_add_member(request, household_id: int, payload: PersonIn):
    household = selectors.household_get(request.user, household_id)
    data = _person(payload)
    resident = services.resident_add(actor=request.user, household=household, data=data,
                                     moved_in_on=data.get("moved_in_on"))
    return Status(201, resident)


@router.post("/households/{household_id}/move-out", response=HouseholdOut)
def household_move_out(request, household_id: int, payload: MoveOutIn):
    household = selectors.household_get(request.user, household_id)
    return services.household_move_out(actor=request.user, household=household, on=payload.on,
                                       destination=payload.destination)


@router.post("/households/{household_id}/split", response={201: HouseholdDetailOut})
def household_split(request, household_id: int, payload: SplitIn):
    household = selectors.household_get(request.user, household_id)
    members = {m.id: m for m in household.members.all()}
    chosen = [members[i] for i in payload.resident_ids if i in members]
    if len(chosen) != len(payload.resident_ids):
        chosen = []  # the service refuses an empty or foreign selection with a clear message
    building = place_get(request.user, "building", payload.building_id) if payload.building_id else None
    entrance = place_get(request.user, "entrance", payload.entrance_id) if payload.entrance_id else None
    new = services.household_split(
        actor=request.user, household=household, residents=chosen, building=building,
        estate=building.estate if building else None, entrance=entrance, room=payload.room,
        head=members.get(payload.head_id),
    )
    return Status(201, selectors.household_get(request.user, new.id))


@router.post("/households/{household_id}/merge", response=HouseholdDetailOut)
def household_merge(request, household_id: int, payload: MergeIn):
    source = selectors.household_get(request.user, household_id)
    target = selectors.household_get(request.user, payload.into_household_id)
    services.household_merge(actor=request.user, source=source, target=target)
    return selectors.household_get(request.user, target.id)


# -- Roster import and export -------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportProblemOut(Schema):
    row: int
    column: str
    header: str
    field: str
    message: str


class ImportColumnOut(Schema):
    column: str
    header: str
    suggested: str


class ImportJobOut(Schema):
    """An import: status, progress, what the preview or the import found. Problems name the row as Excel
    numbers it and the column by letter and header."""

    id: int
    community_id: int
    file_name: str
    status: str
    header_row: int
    headers: list[ImportColumnOut]
    mapping: dict[str, str]
    duplicate_policy: str
    total_rows: int
    processed_rows: int
    applied_rows: int
    rejected_rows: int
    counts: dict[str, int]
    problems: list[ImportProblemOut]
    problems_truncated: bool
    precision_lost_rows: list[int]
    duplicates: list[dict]
    new_places: list[str]
    error_message: str
    rejected_file_url: str | None


class ImportMappingIn(Schema):
    mapping: dict[str, str]
    duplicate_policy: str = "report"
    preview: bool = True


class ImportCommitIn(Schema):
    duplicate_policy: str | None = None


def _job_out(job):
    summary = imports.job_summary(job)
    processed, total = imports.import_progress(job)
    return {
        "id": job.id, "community_id": job.community_id, "file_name": job.file_name, "status": job.status,
        "header_row": job.header_row, "headers": job.headers, "mapping": job.mapping,
        "duplicate_policy": job.duplicate_policy, "total_rows": total, "processed_rows": processed,
        "applied_rows": job.applied_rows, "rejected_rows": job.rejected_rows, "counts": summary.get("counts", {}),
        "problems": summary.get("items", []), "problems_truncated": summary.get("truncated", False),
        "precision_lost_rows": summary.get("precision_lost_rows", []), "duplicates": summary.get("duplicates", []),
        "new_places": summary.get("new_places", []), "error_message": job.error_message,
        "rejected_file_url": f"/api/v1/registry/imports/{job.id}/rejected" if job.rejected_file else None,
    }


@router.post("/imports", response={201: ImportJobOut})
def import_upload(request, community_id: Form[int], file: File[UploadedFile]):
    """Upload a roster (xlsx/xls/ods/csv, UTF-8 or GBK); the header row is found and a mapping suggested."""
    community = next((c for c in imports.import_communities(request.user) if c.id == community_id), None)
    if community is None:
        raise NotFound(gettext("未找到该社区"))
    job = imports.import_upload(actor=request.user, community=community, file=file)
    return Status(201, _job_out(job))


@router.get("/imports/{job_id}", response=ImportJobOut)
def import_get(request, job_id: int):
    """Status, progress (processed_rows of total_rows) and problems of an import."""
    return _job_out(imports.import_job_settle(imports.import_job_get(request.user, job_id)))


@router.post("/imports/{job_id}/mapping", response=ImportJobOut)
def import_mapping(request, job_id: int, payload: ImportMappingIn):
    """Set {column letter: field} and the duplicate policy; with preview (default) every row is checked: a
    small file at once (status previewed), a larger one in the background (status previewing; poll
    GET /imports/{id}, processed_rows of total_rows, until it is previewed)."""
    job = imports.import_job_get(request.user, job_id)
    job = imports.import_set_mapping(actor=request.user, job=job, mapping=payload.mapping,
                                     duplicate_policy=payload.duplicate_policy)
    if payload.preview:
        imports.import_preview(actor=request.user, job=job)
    return _job_out(job)


@router.post("/imports/{job_id}/commit", response={202: ImportJobOut})
def import_commit(request, job_id: int, payload: ImportCommitIn | None = None):
    """Queue the import; poll GET /imports/{id} for progress. All rows are applied or none."""
    job = imports.import_job_get(request.user, job_id)
    job = imports.import_commit(actor=request.user, job=job,
                                duplicate_policy=payload.duplicate_policy if payload else None)
    return Status(202, _job_out(job))


@router.post("/imports/{job_id}/cancel", response=ImportJobOut)
def import_cancel(request, job_id: int):
    """Stop an import (all it did is rolled back) or a preview running in the background (status goes back
    to mapped, to be checked again)."""
    job = imports.import_job_get(request.user, job_id)
    return _job_out(imports.import_cancel(actor=request.user, job=job))


@router.get("/imports/{job_id}/rejected")
def import_rejected(request, job_id: int):
    """The rejected rows as xlsx: the original columns and an 错误说明 column."""
    job = imports.import_job_get(request.user, job_id)
    if not job.rejected_file:
        raise NotFound("问题行文件已超过保存期限（1天）并已删除" if job.rejected_rows else "该导入没有问题行")
    return FileResponse(job.rejected_file.open("rb"), as_attachment=True, content_type=XLSX,
                        filename=f"{job.file_name.rsplit('.', 1)[0]}-问题行.xlsx")


class ExportFilters(ResidentFilters):
    reveal_reason: str = ""


@router.get("/export.xlsx")
def resident_export(request, filters: Query[ExportFilters]):
    """The filtered resident list as xlsx, masked; with reveal_reason (audited) ID numbers and phones in full
    for residents the caller may reveal. Up to 5,000 rows; a larger list answers 400 `export_too_large`:
    export it with POST /exports instead."""
    data = filters.dict()
    reason = data.pop("reveal_reason")
    data.pop("after", None)
    data.pop("limit", None)
    export = exports.resident_export_xlsx(request.user, data, reveal_reason=reason or None)
    return FileResponse(export.open(), as_attachment=True, content_type=XLSX, filename=export.filename)


@router.get("/roster.xlsx")
def roster_export(request, community_id: int | None = None, grid_id: int | None = None,
                  building_id: int | None = None, reveal_reason: str = ""):
    """The standard roster (花名册) of one community. Up to 5,000 rows; a larger roster answers 400
    `export_too_large`: export it with POST /exports instead."""
    export = exports.roster_export_xlsx(request.user, community_id=community_id, grid_id=grid_id,
                                        building_id=building_id, reveal_reason=reveal_reason or None)
    return FileResponse(export.open(), as_attachment=True, content_type=XLSX, filename=export.filename)


class ExportJobIn(Schema):
    kind: ExportKind = ExportKind.RESIDENT_LIST
    filters: ListFilters = ListFilters()
    reveal_reason: str = ""


class ExportJobOut(Schema):
    """An export written in the background: status (queued, running, done, failed, cancelled), progress
    (processed_rows of total_rows) and, once done and until the file is removed, where to download it."""

    id: int
    kind: ExportKind
    status: ExportStatus
    filters: dict
    full_values: bool
    total_rows: int
    processed_rows: int
    file_name: str
    file_url: str | None
    error_message: str
    created_at: datetime
    finished_at: datetime | None
    downloaded_at: datetime | None

    @staticmethod
    def resolve_file_url(job):
        return f"/api/v1/registry/exports/{job.id}/file" if job.status == ExportStatus.DONE and job.file else None


@router.post("/exports", response={202: ExportJobOut})
def export_job_start(request, payload: ExportJobIn):
    """Export in the background, whatever the size: the resident list (kind resident_list, with the filters
    of GET /residents) or the roster (kind roster, reading only community_id, grid_id and building_id of the
    filters). With reveal_reason (audited) ID numbers and phones are in full, as for GET /export.xlsx. Poll
    GET /exports/{id} until status is done, then download file_url. Only the caller sees the job. A file with
    full values can be downloaded once; any file is removed a day after the export finished."""
    job = exports.export_job_start(actor=request.user, kind=payload.kind, filters=payload.filters.dict(),
                                   reveal_reason=payload.reveal_reason)
    return Status(202, job)


@router.get("/exports", response=list[ExportJobOut])
def export_job_list(request):
    """The caller's own latest exports (at most 20), newest first."""
    return [exports.export_job_settle(job) for job in selectors.export_job_list(request.user)]


@router.get("/exports/{job_id}", response=ExportJobOut)
def export_job_get(request, job_id: int):
    """Status and progress of an export the caller started; anyone else's is not found (404)."""
    return exports.export_job_settle(selectors.export_job_get(request.user, job_id))


@router.post("/exports/{job_id}/cancel", response=ExportJobOut)
def export_job_cancel(request, job_id: int):
    """Stop a queued or running export; no file is kept."""
    job = selectors.export_job_get(request.user, job_id)
    return exports.export_job_cancel(actor=request.user, job=job)


@router.get("/exports/{job_id}/file")
def export_job_download(request, job_id: int):
    """The finished xlsx: 400 while the export is not done, 404 once the file was removed (a file with full
    values after its first complete download, any a day after the export finished)."""
    job = selectors.export_job_get(request.user, job_id)
    file = exports.export_job_download(actor=request.user, job=job)
    return FileResponse(file, as_attachment=True, content_type=XLSX, filename=job.file_name)
