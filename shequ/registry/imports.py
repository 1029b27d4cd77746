"""Roster import: upload → column mapping → preview → commit (in the background, with progress and
cancel), and the bulk core `run_import` that the commit task and the benchmark call.

All-or-nothing: `run_import` applies a whole file inside ONE transaction.atomic. Valid rows are
written, rejected rows go to an xlsx with an 错误说明 column (job.rejected_file); any exception or a
cancel raises inside the transaction, so the registry is left exactly as it was, and the job is then
marked FAILED (with a Chinese error_message) or CANCELLED in a short transaction of its own.

Language: what the import and its preview store (the problems, the rejected-rows file, error_message) is
Chinese, whoever started them, so rows are checked under translation.override(settings.LANGUAGE_CODE)
(run_import, _preview_rows; a forked reading process inherits it). The refusals the services raise in the
request (upload, mapping, preview, commit, cancel) are in the user's language.

Speed: rows stream from the file in batches of BATCH_SIZE; each batch costs a fixed number of queries
(duplicate check by blind index, household look-ups, one or two executemany or one COPY per table), whatever
its size. Row ids are allocated up front (SQLite: max id under the write lock the import holds; PostgreSQL:
the table's sequence), so residents go in with executemany of many rows a statement (SQLite, _sqlite_insert) or
COPY (PostgreSQL) per batch instead of an INSERT … RETURNING per 24 rows, and their name pieces with one statement
in which SQLite cuts the stored names (PostgreSQL: one COPY). A large import on SQLite rebuilds the residents'
secondary indexes once instead of updating them row by row (_IndexHold). Validation is
validation.validate_person, the same rules as forms and API.

Progress and cancel while the one transaction is open: on PostgreSQL the job row is never written by
the import's transaction until the end, so a cancel from a page commits at once and the import reads
it between batches; progress goes out through a second, autocommit connection. SQLite has a single
writer, held by the import, so there a small file per job (in settings.SHEQU_IMPORT_SIGNAL_DIR, by
default the system's temporary directory) carries progress out and the cancel request in.

Audit: import_upload, import_mapping and import_cancel each record an event. A finished import
records ONE `import_commit` event (target: the ImportJob) with the counts, the created residents' id
ranges, the new household count and the field changes of updated residents (up to
AUDIT_CHANGES_LIMIT). That event, naming the job and its importer, is the record of who created each
imported resident; there is deliberately no event per row.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import json
import logging
import os
import sqlite3
import tempfile
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task

from shequ.audit.services import audit_record
from shequ.core.context import source as audit_source
from shequ.core.database import refresh_planner_statistics
from shequ.core.errors import ApplicationError, Forbidden
from shequ.core.i18n import gettext_noop
from shequ.core.identity import PRECISION_LOST_MESSAGE, normalize_text
from shequ.core.scoping import actor_scope
from shequ.places.models import Building, Community, Entrance, Estate
from shequ.places.permissions import can_manage_community

from .choices import HouseholdStatus, HouseholdType, Housing, Relation, ResidentStatus
from .models import SEARCHED_MODELS, DuplicatePolicy, Household, ImportJob, ImportStatus, NameGram, Resident
from .permissions import IMPORTER_ROLES, can_import_into
from .pinyin import SQLITE_NAME_GRAMS, name_grams
from .protection import (
    ID_NUMBER_COLUMNS,
    PHONE_COLUMNS,
    id_number_columns,
    id_number_hash,
    phone_columns,
    protect_notes,
)
from .reading import parallel_min_rows, read_in_child
from .roster import (
    BUILDING_SUFFIXES,
    ENTRANCE_SUFFIXES,
    FIELDS,
    HOUSEHOLD_FIELDS,
    ROOM_SUFFIXES,
    Address,
    Roster,
    field_value,
    parse_address,
    place_number,
    without_suffix,
)
from .selectors import import_job_get  # noqa: F401  (pages and API fetch jobs through imports)
from .services import household_address, household_numbers
from .validation import FIELD_LABELS, choice_value, validate_person

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
PROTECT_CHUNK = 50
MAX_STORED_PROBLEMS = 1000
AUDIT_CHANGES_LIMIT = 200
REJECTED_COLUMN = "错误说明"
ACTIVE_STATUSES = (ImportStatus.QUEUED, ImportStatus.RUNNING)
# A running import or background preview reports after every batch: one silent this long has lost its
# process (an import its transaction with it, so the registry is as it was).
STALLED_AFTER = timedelta(minutes=10)
# The uploaded roster and the file of its problem rows hold ID numbers and phones as typed, in plain text: the
# roster is removed as soon as its import has written them, encrypted, into the registry; any of them a day
# after its job was last touched (as exports' files are), by the next upload.
FILE_LIFETIME = timedelta(days=1)
EXPIRED_ROSTER_MESSAGE = gettext_noop("上传的文件已超过保存期限（1天）并已删除，请重新上传")  # translated where raised
_STALLED = {
    ImportStatus.RUNNING: (ImportStatus.FAILED, "导入中断：后台处理已停止，居民台账未做任何改动，请重新导入"),
    ImportStatus.PREVIEWING: (ImportStatus.MAPPED, "预检中断：后台处理已停止，请重新预检"),
}
COMMITTABLE_STATUSES = (ImportStatus.MAPPED, ImportStatus.PREVIEWED, ImportStatus.FAILED, ImportStatus.CANCELLED)


class ImportCancelled(Exception):
    """Raised inside the import's transaction to roll everything back."""


# ------------------------------------------------------------------------------------------------
# Access
# ------------------------------------------------------------------------------------------------


def import_job_list(actor, *, limit=20):
    community_ids = actor_scope(actor, roles=IMPORTER_ROLES).community_ids
    return list(ImportJob.objects.filter(community_id__in=community_ids).select_related("community", "created_by")
                .order_by("-id")[:limit])


def import_communities(actor):
    """Communities the actor may import into."""
    return list(Community.objects.filter(id__in=actor_scope(actor, roles=IMPORTER_ROLES).community_ids)
                .order_by("code"))


def _check_importer(actor, job):
    if not can_import_into(actor, job.community_id):
        raise Forbidden(gettext("您无权向该社区导入居民"))


def job_roster(job):
    _require_roster(job)
    return Roster.from_field_file(job.file, job.file_name)


def _require_roster(job):
    if not job.file:
        raise ApplicationError(gettext(EXPIRED_ROSTER_MESSAGE), code="expired")


def import_files_expire():
    """Remove the rosters and problem-row files of jobs nobody touched for FILE_LIFETIME (not one at work);
    their jobs stay, without files."""
    idle = ImportJob.objects.filter(updated_at__lt=timezone.now() - FILE_LIFETIME).exclude(
        status__in=(*ACTIVE_STATUSES, ImportStatus.PREVIEWING))
    for job in idle.exclude(file="").only("id", "file"):
        _remove_roster(job)
    for job in idle.exclude(rejected_file="").only("id", "rejected_file"):
        _discard(job.rejected_file.name)
        ImportJob.objects.filter(id=job.id).update(rejected_file="")


def _remove_roster(job):
    """The file first: a job still naming a removed file only answers "expired"; the reverse would leave a
    roster on the server that nothing points to."""
    with contextlib.suppress(OSError):
        job.file.storage.delete(job.file.name)
    ImportJob.objects.filter(id=job.id).update(file="")


def job_summary(job):
    """What the last preview or import found: {items, truncated, counts, precision_lost_rows, …}."""
    return job.problems if isinstance(job.problems, dict) else {"items": list(job.problems or []), "counts": {}}


# ------------------------------------------------------------------------------------------------
# Services: upload, mapping, preview, commit, cancel
# ------------------------------------------------------------------------------------------------


@transaction.atomic
def import_upload(*, actor, community, file):
    """Keep the uploaded file, find its header row and suggest a column mapping."""
    if not can_import_into(actor, community.id):
        raise Forbidden(gettext("您无权向该社区导入居民"))
    import_files_expire()
    name = Path(getattr(file, "name", "") or "roster").name[:200]
    job = ImportJob(community=community, created_by=actor, file_name=name)
    Roster(b"", name)  # refuses unknown file types before anything is stored
    job.file.save(name, file, save=False)
    try:
        header = job_roster(job).find_header()
    except Exception:
        job.file.delete(save=False)
        raise
    job.header_row = header.row
    suggested = header.suggested_mapping()
    job.headers = [{"column": letter, "header": text, "suggested": suggested.get(letter, "")}
                   for _index, letter, text in header.columns()]
    job.mapping = suggested
    job.save()
    audit_record(actor, "import_upload", job, details={
        "file": name, "header_row": header.row, "columns": len(job.headers), "recognised": len(suggested)})
    return job


def _clean_mapping(job, mapping):
    letters = {c["column"]: c["header"] for c in job.headers}
    clean, used = {}, {}
    for letter, field in (mapping or {}).items():
        if not field:
            continue
        if letter not in letters:
            raise ApplicationError(gettext("第%(column)s列不在表头中") % {"column": letter},
                                   details={"mapping": [letter]})
        if field not in FIELDS:
            raise ApplicationError(gettext("未知字段“%(field)s”") % {"field": field}, details={"mapping": [letter]})
        if field in used:
            raise ApplicationError(
                gettext("“%(field)s”同时对应了%(first)s列和%(second)s列，请只保留一列")
                % {"field": gettext(FIELDS[field]), "first": used[field], "second": letter},
                details={"mapping": [letter]})
        used[field] = letter
        clean[letter] = field
    fields = set(clean.values())
    if "name" not in fields:
        raise ApplicationError(gettext("请指定哪一列是“姓名”"), details={"mapping": ["name"]})
    if not fields & {"id_number", "birth_date"}:
        raise ApplicationError(gettext("请指定哪一列是“身份证号”"), details={"mapping": ["id_number"]})
    if not fields & {"household_number", "relation", "address", "building", "room"}:
        raise ApplicationError(gettext("无法分户：请至少指定“户号”“与户主关系”或住址中的一列"),
                               details={"mapping": ["household"]})
    return clean


@transaction.atomic
def import_set_mapping(*, actor, job, mapping, duplicate_policy=DuplicatePolicy.REPORT):
    """mapping is {column letter: field}; columns left out are not imported."""
    _check_importer(actor, job)
    if job.status in ACTIVE_STATUSES or job.status == ImportStatus.DONE:
        raise ApplicationError(gettext("该导入任务已开始或已完成，不能再修改列对应"))
    if job.status == ImportStatus.PREVIEWING:
        raise ApplicationError(gettext("正在预检，请等预检结束后再修改列对应"))
    _require_roster(job)
    if duplicate_policy not in DuplicatePolicy.values:
        raise ApplicationError(gettext("重复身份证号的处理方式无效"), details={"duplicate_policy": [gettext("无效")]})
    job.mapping = _clean_mapping(job, mapping)
    job.duplicate_policy = duplicate_policy
    job.status = ImportStatus.MAPPED
    job.save(update_fields=["mapping", "duplicate_policy", "status", "updated_at"])
    audit_record(actor, "import_mapping", job, details={"mapping": job.mapping, "duplicate_policy": duplicate_policy})
    return job


# A file up to this size (some 8,000 xlsx rows, 3,000 csv rows: a fraction of a second) is checked in the
# request; a larger one in the background. The size stands in for the row count, which calamine gives only
# by loading the whole sheet and a csv only by reading it through.
PREVIEW_IN_REQUEST_BYTES = 256 * 1024


def import_preview(*, actor, job):
    """Check every row without writing to the registry and keep the summary on the job (job_summary:
    {items, counts, precision_lost_rows, duplicates, new_places}; items are [{row, column, header, field,
    message}], rows as Excel numbers them, columns by letter). A small file is checked here and the job
    returned PREVIEWED; a larger one is returned PREVIEWING and checked by import_preview_task, which
    reports progress in processed_rows / total_rows."""
    _check_importer(actor, job)
    _require_roster(job)
    background = job.file.size > PREVIEW_IN_REQUEST_BYTES
    with transaction.atomic():
        claimable = ImportJob.objects.filter(id=job.id, status__in=(ImportStatus.MAPPED, ImportStatus.PREVIEWED))
        if not claimable.update(status=ImportStatus.PREVIEWING, processed_rows=0, error_message="",
                                updated_at=timezone.now()):
            raise ApplicationError(gettext("请先确认列对应"))
        if background:
            # The task row commits together with the PREVIEWING status, as for the commit.
            import_preview_task.enqueue(job.id, actor.id)
    if not background:
        _preview_rows(job, actor)
    job.refresh_from_db()
    return job


def _preview_rows(job, actor, *, on_progress=None):
    """Check a job claimed for preview and keep the summary. Only a job still PREVIEWING takes it: one
    cancelled meanwhile stays cancelled. A failure puts the job back to MAPPED with the reason, for the
    mapping page, and is raised again. In Chinese, whoever asked: the summary is stored."""
    with translation.override(settings.LANGUAGE_CODE):
        _check_preview_rows(job, actor, on_progress=on_progress)


def _check_preview_rows(job, actor, *, on_progress):
    try:
        summary = _Importer(job, actor, commit=False, on_progress=on_progress).run()
    except ImportCancelled:
        raise
    except Exception as error:
        reason = error.message if isinstance(error, ApplicationError) else str(error) or type(error).__name__
        ImportJob.objects.filter(id=job.id, status=ImportStatus.PREVIEWING).update(
            status=ImportStatus.MAPPED, error_message=f"预检失败：{reason}"[:2000], updated_at=timezone.now())
        raise
    total = summary["counts"]["total"]
    ImportJob.objects.filter(id=job.id, status=ImportStatus.PREVIEWING).update(
        problems=summary, total_rows=total, processed_rows=total, status=ImportStatus.PREVIEWED,
        updated_at=timezone.now())


@transaction.atomic
def import_commit(*, actor, job, duplicate_policy=None):
    """Queue the import. It runs in the background (django-tasks); the task row commits together with
    the QUEUED status, so a worker never sees one without the other."""
    _check_importer(actor, job)
    if duplicate_policy is not None:
        if duplicate_policy not in DuplicatePolicy.values:
            raise ApplicationError(gettext("重复身份证号的处理方式无效"), details={"duplicate_policy": [gettext("无效")]})
        job.duplicate_policy = duplicate_policy
    if not job.mapping:
        raise ApplicationError(gettext("请先确认列对应"))
    _require_roster(job)
    claimed = ImportJob.objects.filter(id=job.id, status__in=COMMITTABLE_STATUSES).update(
        status=ImportStatus.QUEUED, duplicate_policy=job.duplicate_policy, cancel_requested=False,
        processed_rows=0, applied_rows=0, rejected_rows=0, error_message="", finished_at=None,
        updated_at=timezone.now())
    if not claimed:
        raise ApplicationError(gettext("该导入任务正在进行或已完成"))
    audit_record(actor, "import_queue", job, details={"duplicate_policy": job.duplicate_policy})
    _Signals(job).close()  # a cancel request left from an earlier run must not stop this one
    import_task.enqueue(job.id, actor.id)
    job.refresh_from_db()
    return job


def import_cancel(*, actor, job):
    """Ask a queued or running import to stop; it rolls back everything it did. An import that has not
    been queued is simply closed. A preview in the background is stopped instead, and the job goes back
    to the mapping, to be checked again."""
    _check_importer(actor, job)
    job.refresh_from_db(fields=["status"])
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
        raise ApplicationError(gettext("该导入任务已结束，无法取消"))
    if job.status == ImportStatus.PREVIEWING:
        return _cancel_preview(actor, job)
    if job.status in ACTIVE_STATUSES:
        _Signals(job).request_cancel(actor)
    if job.status == ImportStatus.RUNNING and connection.vendor == "sqlite" and not connection.in_atomic_block:
        # The running import holds SQLite's only write lock; the signal file reaches it instead.
        return job
    with transaction.atomic():
        updates = {"cancel_requested": True, "updated_at": timezone.now()}
        if job.status not in ACTIVE_STATUSES:
            updates |= {"status": ImportStatus.CANCELLED, "finished_at": timezone.now()}
        ImportJob.objects.filter(id=job.id).update(**updates)
        audit_record(actor, "import_cancel", job, details={"status": job.status})
    job.refresh_from_db()
    return job


@transaction.atomic
def _cancel_preview(actor, job):
    ImportJob.objects.filter(id=job.id, status=ImportStatus.PREVIEWING).update(
        status=ImportStatus.MAPPED, error_message="预检已取消，居民台账没有任何改动；可修改列对应后重新预检",
        updated_at=timezone.now())
    audit_record(actor, "import_cancel", job, details={"status": ImportStatus.PREVIEWING})
    job.refresh_from_db()
    return job


def import_job_settle(job):
    """The job as its pages should show it. An import or a background preview that has not reported for
    STALLED_AFTER lost its process without a word (a restart, a crash, memory): the import is marked
    failed, the preview goes back to its mapping, so nobody waits for them. On SQLite an import that still
    holds the write lock is alive however quiet, and stays running."""
    stalled = _STALLED.get(job.status)
    if stalled is None or _Signals(job).last_heard(job) > timezone.now() - STALLED_AFTER:
        return job
    status, message = stalled
    ended = {"finished_at": timezone.now()} if status == ImportStatus.FAILED else {}
    try:
        with transaction.atomic():
            stopped = ImportJob.objects.filter(id=job.id, status=job.status, updated_at=job.updated_at).update(
                status=status, error_message=message, updated_at=timezone.now(), **ended)
            if stopped and status == ImportStatus.FAILED:
                audit_record(job.created_by, "import_failed", job, details={"file": job.file_name, "error": message})
    except OperationalError:  # the database is locked: the import is still writing
        return job
    job.refresh_from_db()
    return job


def import_progress(job):
    """(processed, total) for the progress bar; a running import reports through its signal channel."""
    processed, total = job.processed_rows, job.total_rows
    if job.status == ImportStatus.RUNNING:
        seen = _Signals(job).read_progress()
        if seen:
            processed = max(processed, seen.get("processed", 0))
            total = seen.get("total") or total
    return processed, max(total, processed)


@task()
def import_task(job_id, actor_id):
    from shequ.accounts.models import User

    job = ImportJob.objects.get(id=job_id)
    actor = User.objects.get(id=actor_id)
    with audit_source("task"):
        run_import(job, actor=actor)
    return job.status


@task()
def import_preview_task(job_id, actor_id):
    """The preview of a large file. It writes nothing to the registry and holds no transaction open, so
    its progress goes straight to the job row, where the preview page and the API read it."""
    from shequ.accounts.models import User

    job = ImportJob.objects.filter(id=job_id, status=ImportStatus.PREVIEWING).select_related("community").first()
    if job is None:  # cancelled while it waited
        return
    with contextlib.suppress(ImportCancelled):  # cancelled while it ran
        _preview_rows(job, User.objects.get(id=actor_id), on_progress=_preview_progress(job_id))


def _preview_progress(job_id):
    """Reports a background preview's progress on its job row, and that it is alive (import_job_settle); once
    the preview was cancelled (the job is no longer PREVIEWING), stops it at the next batch instead."""
    previewing = ImportJob.objects.filter(id=job_id, status=ImportStatus.PREVIEWING)

    def progress(processed, total):
        if not previewing.update(processed_rows=processed, total_rows=total, updated_at=timezone.now()):
            raise ImportCancelled

    return progress


def import_file(*, actor, community, path, mapping=None, duplicate_policy=DuplicatePolicy.REPORT,
                on_progress=None):
    """Upload, map (the suggested mapping unless given) and import a roster file in this process, with no
    web request or task queue. Returns the finished ImportJob. For scripts and the benchmark."""
    path = Path(path)
    with path.open("rb") as handle:
        job = import_upload(actor=actor, community=community, file=File(handle, name=path.name))
    job = import_set_mapping(actor=actor, job=job, mapping=mapping or job.mapping, duplicate_policy=duplicate_policy)
    run_import(job, actor=actor, on_progress=on_progress)
    job.refresh_from_db()
    return job


def run_import(job, *, actor=None, on_progress=None):
    """Apply the job's file to the registry, all or nothing. Sets the job DONE, FAILED or CANCELLED and
    returns it. on_progress(processed, total) is called after every batch. In Chinese, whoever started it:
    its problems, rejected-rows file and error message are stored."""
    with translation.override(settings.LANGUAGE_CODE):
        return _run_import(job, actor=actor, on_progress=on_progress)


def _run_import(job, *, actor, on_progress):
    actor = actor or job.created_by
    started = ImportJob.objects.filter(id=job.id, status__in=(ImportStatus.QUEUED, *COMMITTABLE_STATUSES)).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now())
    job.refresh_from_db()
    if not started:
        return job
    signals = _Signals(job)
    rejected_name = None
    importer = None
    try:
        if signals.cancelled():
            raise ImportCancelled
        # SQLite looks up every foreign key of every inserted row (six for a household, five for a resident, two
        # for each name piece). The import takes those ids from rows it read or wrote itself under the write
        # lock it holds, so the checks are switched off for its transaction (which is possible only outside
        # one; PostgreSQL keeps them).
        with connection.constraint_checks_disabled(), transaction.atomic():
            importer = _Importer(job, actor, commit=True, signals=signals, on_progress=on_progress)
            summary = importer.run()
            rejected_name = importer.save_rejected_file()
            counts = summary["counts"]
            audit_record(actor, "import_commit", job, details={
                "file": job.file_name, "job": job.id, "total": counts["total"], "created": counts["created"],
                "updated": counts["updated"], "rejected": counts["rejected"],
                "households_created": counts["households_created"], "created_ids": importer.created_ranges(),
                "places_created": summary["new_places"], "updated_changes": importer.changes,
                "duplicate_policy": job.duplicate_policy,
            })
            if counts["households_created"]:
                Community.objects.filter(id=job.community_id).update(
                    household_count=F("household_count") + counts["households_created"])
            ImportJob.objects.filter(id=job.id).update(
                status=ImportStatus.DONE, total_rows=counts["total"], processed_rows=counts["total"],
                applied_rows=counts["created"] + counts["updated"], rejected_rows=counts["rejected"],
                problems=summary, rejected_file=rejected_name or "", finished_at=timezone.now(),
                error_message="", updated_at=timezone.now())
        _remove_roster(job)  # its rows are in the registry now, encrypted
        refresh_planner_statistics(*SEARCHED_MODELS)
    except ImportCancelled:
        _discard(rejected_name)
        _finish(job, ImportStatus.CANCELLED, "导入已取消，居民台账未做任何改动", cancel_requested=True)
        _audit_outcome(job, "import_cancelled", signals.cancelled_by() or actor.id)
    except Exception as error:
        _discard(rejected_name)
        logger.exception("import %s failed", job.id)
        reason = error.message if isinstance(error, ApplicationError) else str(error) or type(error).__name__
        message = f"导入失败，居民台账未做任何改动。原因：{reason}"
        _finish(job, ImportStatus.FAILED, message)
        _audit_outcome(job, "import_failed", actor.id, error=message)
    finally:
        if importer is not None:
            importer.discard_temporary_files()
        signals.close()
    job.refresh_from_db()
    return job


def _finish(job, status, message, **extra):
    with transaction.atomic():
        ImportJob.objects.filter(id=job.id).update(
            status=status, error_message=message[:2000], finished_at=timezone.now(), updated_at=timezone.now(),
            applied_rows=0, **extra)


def _audit_outcome(job, verb, actor_id, **details):
    from shequ.accounts.models import User

    with transaction.atomic():
        audit_record(User.objects.filter(id=actor_id).first(), verb, job, details={"file": job.file_name, **details})


def _discard(name):
    if name:
        with contextlib.suppress(OSError):
            ImportJob._meta.get_field("rejected_file").storage.delete(name)


# ------------------------------------------------------------------------------------------------
# Progress and cancel while the import's transaction is open
# ------------------------------------------------------------------------------------------------


def _signal_dir():
    configured = getattr(settings, "SHEQU_IMPORT_SIGNAL_DIR", None)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "shequ-import-signals"


class _Signals:
    def __init__(self, job):
        database = str(connection.settings_dict.get("NAME"))
        key = f"{database}:{job.pk}:{job.created_at.isoformat() if job.created_at else ''}"
        self.token = hashlib.sha256(key.encode()).hexdigest()[:24]
        self.job_id = job.pk
        self.sqlite = connection.vendor == "sqlite"
        self._side = None

    def _path(self, suffix):
        return _signal_dir() / f"{self.token}.{suffix}"

    def request_cancel(self, actor):
        try:
            _signal_dir().mkdir(parents=True, exist_ok=True)
            self._path("cancel").write_text(str(actor.id))
        except OSError:
            logger.warning("could not write the cancel signal of import %s", self.job_id)

    def cancelled_by(self):
        try:
            return int(self._path("cancel").read_text())
        except (OSError, ValueError):
            return None

    def cancelled(self):
        if ImportJob.objects.filter(id=self.job_id, cancel_requested=True).exists():
            return True
        return self._path("cancel").exists()

    def progress(self, processed, total):
        if self.sqlite:
            try:
                _signal_dir().mkdir(parents=True, exist_ok=True)
                path = self._path("progress")
                temporary = path.with_suffix(".tmp")
                temporary.write_text(json.dumps({"processed": processed, "total": total}))
                os.replace(temporary, path)
            except OSError:
                pass
            return
        try:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
                with self._side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '1s'")
            with self._side.cursor() as cursor:
                cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s, total_rows = %s, "
                               "updated_at = %s WHERE id = %s", [processed, total, timezone.now(), self.job_id])
        except Exception:  # progress is best effort; the import itself must not fail on it
            logger.warning("could not report progress of import %s", self.job_id, exc_info=True)

    def last_heard(self, job):
        """When the import last reported: on its job row (PostgreSQL), or in its progress file (SQLite)."""
        heard = job.updated_at
        if self.sqlite:
            with contextlib.suppress(OSError):
                heard = max(heard, datetime.fromtimestamp(self._path("progress").stat().st_mtime, tz=UTC))
        return heard

    def read_progress(self):
        try:
            return json.loads(self._path("progress").read_text())
        except (OSError, ValueError):
            return None

    def close(self):
        for suffix in ("progress", "cancel"):
            with contextlib.suppress(OSError):
                self._path(suffix).unlink(missing_ok=True)
        if self._side is not None:
            self._side.close()
            self._side = None


# ------------------------------------------------------------------------------------------------
# The engine
# ------------------------------------------------------------------------------------------------


class _Row:
    __slots__ = ("number", "cells", "raw", "checked", "values", "errors", "draft", "plain", "id_key", "id_hash",
                 "record", "existing", "ethnicity_given")

    def __init__(self, number, cells):
        self.number = number
        self.cells = cells
        self.raw = None  # the mapped cells by field, from reading the row until checking it
        self.checked = False
        self.values = None  # validated values; kept to the end only where a row may update a resident
        self.errors = []  # [(field, message)]
        self.draft = None
        self.plain = None  # (ID number, phone) from checking the row until protecting it
        self.id_key = None  # the ID number as an integer, to find the file's own duplicates
        self.id_hash = ""  # the ID number's blind index, to look duplicates up
        self.record = None  # an import's stored columns of the resident (_Importer._record), protected
        self.existing = None
        self.ethnicity_given = False

    def cell_values(self):
        cells = self.cells
        return cells.split(_CELL_SEPARATOR) if cells.__class__ is str else cells


_CELL_SEPARATOR = "\x1f"  # the unit separator: never in xlsx text (XML forbids it), and checked for in csv


class _Draft:
    """One household as the file describes it."""

    __slots__ = ("number", "address", "address_key", "household_type", "housing", "first_row", "errors",
                 "resolved", "household", "place", "members", "head")

    def __init__(self, number, address, household_type, housing, first_row):
        self.number = number
        self.address = address
        self.address_key = (address.estate, address.building, address.entrance, address.room) if address else None
        self.household_type = household_type
        self.housing = housing
        self.first_row = first_row
        self.errors = []  # [(field, message)] that reject every new member
        self.resolved = False
        self.household = None  # {"id", "grid_id", "resident_group_id", "building_id", "new"}
        self.place = None
        self.members = 0
        self.head = None  # the head's name once known ("" for none), to refuse a second (_check_heads)


def _pack_batch(rows):
    """A batch of the reading process as plain tuples and strings, for the pipe: marshal writes and reads those
    in C (reading._dumps), where a row or a household with state methods costs a Python call each. A household
    is sent once, with the rows that share it pointing at it; a row of text cells travels as one string
    (unpacked for the rows rejected, and for those left to the writer to check). What only the writer sets
    (existing, and a household's resolution) is not sent, nor a row's raw fields (its cells say them)."""
    drafts, draft_at, packed = [], {}, []
    for row in rows:
        draft = row.draft
        at = draft_at.get(draft)
        if at is None:
            at = draft_at[draft] = len(drafts)
            drafts.append((draft.number, draft.address_key, draft.household_type, draft.housing, draft.first_row,
                           draft.errors))
        packed.append((row.number, _pack_cells(row.cells), row.checked, row.values, row.errors, at, row.plain,
                       row.id_key, row.id_hash, row.record, row.ethnicity_given))
    return drafts, packed


def _unpack_batch(batch):
    drafts, packed = batch
    drafts = [_unpack_draft(*state) for state in drafts]
    rows = []
    for state in packed:
        row = _Row.__new__(_Row)
        (row.number, row.cells, row.checked, row.values, row.errors, at, row.plain, row.id_key, row.id_hash,
         row.record, row.ethnicity_given) = state
        row.draft = drafts[at]
        row.raw = row.existing = None
        rows.append(row)
    return rows


def _unpack_draft(number, address_key, household_type, housing, first_row, errors):
    draft = _Draft(number, address_key and Address(*address_key), household_type, housing, first_row)
    draft.errors = errors
    return draft


def _pack_cells(cells):
    try:
        packed = _CELL_SEPARATOR.join(cells)
    except TypeError:  # a number or a date among the cells: they travel as they are
        return cells
    return packed if packed.count(_CELL_SEPARATOR) == len(cells) - 1 else cells


# How rosters write the household's type and housing.
_HOUSEHOLD_ALIASES = {"常住户": "resident", "户籍": "resident", "流动户": "floating", "流动人口": "floating",
                      "租房": "rented", "租赁": "rented", "出租": "rented", "自购": "owned", "自有住房": "owned",
                      "产权房": "owned", "宿舍": "dormitory"}


def _choice(choices, text):
    if not text:
        return ""
    for value, label in choices.choices:
        if text in (value, label):
            return value
    alias = _HOUSEHOLD_ALIASES.get(text)
    return alias if alias in choices.values else None


class _Places:
    """Estates, buildings and entrances of the community, matched by name and number. Heads (who manage
    places) get missing ones created; other importers get the row rejected with a message."""

    def __init__(self, community, actor, *, commit):
        self.community = community
        self.actor = actor
        self.commit = commit
        self.may_create = can_manage_community(actor, community.id)
        self.estates = list(Estate.objects.filter(community=community))
        self.estate_named = {}  # a file names the estate of each household: found by name, not by a walk of all
        for estate in self.estates:
            self.estate_named.setdefault(estate.name, estate)
        self.buildings = {}
        for b in Building.objects.filter(community=community):
            self.buildings[(b.estate_id, place_number(b.number, BUILDING_SUFFIXES))] = b
        self.entrances = {(e.building_id, place_number(e.number, ENTRANCE_SUFFIXES)): e
                          for e in Entrance.objects.filter(community=community)}
        self.created = []  # labels of places created (or, in a preview, to be created)
        self._planned = {}

    def _estate(self, text, building_number=""):
        if text:
            if (estate := self.estate_named.get(text)) is not None:
                return estate
            matches = [e for e in self.estates if e.name and e.name in text]
            if matches:
                return max(matches, key=lambda e: len(e.name))
            return self._create("estate", text, {"community": self.community, "name": text[:50]}, f"小区“{text}”")
        if len(self.estates) == 1:
            return self.estates[0]
        holders = {estate_id for estate_id, number in self.buildings if number == building_number}
        if len(holders) == 1:
            estate_id = holders.pop()
            return next(e for e in self.estates if e.id == estate_id)
        if not self.estates:
            raise _PlaceError("estate", "未写明小区，且本社区还没有小区，请在住址中写明小区名称")
        raise _PlaceError("estate", "未写明小区，本社区有多个小区，无法确定是哪一个，请在住址中写明小区名称")

    def _create(self, kind, key, data, label):
        if not self.may_create:
            raise _PlaceError("address", f"{label}在本社区不存在，请社区书记/主任先在“小区楼栋”中添加，或由其导入")
        if not self.commit:
            if key not in self._planned:
                self._planned[key] = _Planned(kind, data)
                self.created.append(label)
            return self._planned[key]
        from shequ.places.services import place_create

        place = place_create(actor=self.actor, kind=kind, data=data)
        self.created.append(label)
        if kind == "estate":
            self.estates.append(place)
            self.estate_named.setdefault(place.name, place)
        return place

    def resolve(self, address):
        number = place_number(address.building, BUILDING_SUFFIXES)
        estate = self._estate(address.estate, number)
        if not number:
            raise _PlaceError("building", "未写明楼号")
        building = self.buildings.get((estate.id, number))
        if building is None:
            building = self._create("building", (estate.id, number), {"estate": estate, "number": number[:20]},
                                    f"{estate.name}{number}号楼")
            if self.commit:
                self.buildings[(estate.id, number)] = building
        entrance = None
        if address.entrance:
            entrance_number = place_number(address.entrance, ENTRANCE_SUFFIXES)
            entrance = self.entrances.get((building.id, entrance_number))
            if entrance is None:
                entrance = self._create("entrance", (building.id, entrance_number),
                                        {"building": building, "number": entrance_number[:10]},
                                        f"{estate.name}{number}号楼{entrance_number}单元")
                if self.commit:
                    self.entrances[(building.id, entrance_number)] = entrance
        return estate, building, entrance


class _Planned:
    """A place a preview would create: enough to resolve the rows below it."""

    _next = 0

    def __init__(self, kind, data):
        _Planned._next -= 1
        self.id = _Planned._next
        self.kind = kind
        self.name = data.get("name", "")
        self.number = data.get("number", "")
        self.grid_id = None
        self.resident_group_id = None
        self.community_id = None
        self.label = f"{self.number}号楼" if kind == "building" else f"{self.number}单元"


class _PlaceError(Exception):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


_NUMBERED_HOUSEHOLD_COLUMNS = ("id", "number", "status", "grid_id", "resident_group_id", "building_id")


def _households_numbered(community_id, numbers):
    """The community's households with these 户号, by number. Asked once a batch, in SQL: through the ORM the
    question took 1.3 ms of a batch where its answer is empty (a roster's new households), 0.4 ms in SQL."""
    if not numbers:
        return {}
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(numbers))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(quote, _NUMBERED_HOUSEHOLD_COLUMNS))} "  # noqa: S608
                       f"FROM {quote(Household._meta.db_table)} WHERE community_id = %s AND number IN ({marks})",
                       [community_id, *numbers])
        return {row[1]: dict(zip(_NUMBERED_HOUSEHOLD_COLUMNS, row, strict=True)) for row in cursor.fetchall()}


class _Ids:
    """Primary keys handed out before the rows are inserted, so inserts need not return them."""

    def __init__(self):
        self.next = {}

    def take(self, model, count):
        if not count:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                               [table, count])
                return [row[0] for row in cursor.fetchall()]
            if connection.vendor != "sqlite":
                raise ApplicationError("导入只支持 SQLite 和 PostgreSQL 数据库")
            if table not in self.next:
                # The import's transaction holds SQLite's write lock, so nobody else takes ids meanwhile.
                cursor.execute(f'SELECT MAX(id) FROM "{table}"')  # noqa: S608
                highest = cursor.fetchone()[0] or 0
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                self.next[table] = max(highest, row[0] if row else 0) + 1
        first = self.next[table]
        self.next[table] = first + count
        return list(range(first, first + count))


def _insert_sql(model, attnames, constants, rows=1):
    """INSERT of `rows` rows a statement."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(a).column) for a in [*attnames, *constants])
    # SQLite's literals as its schema editor writes column defaults (not entered: that would begin a schema
    # change); doubled %, since the statement goes through the cursor's %s-to-? conversion.
    editor = connection.SchemaEditorClass(connection)
    marks = ", ".join(["%s"] * len(attnames) + [editor.quote_value(v).replace("%", "%%") for v in constants.values()])
    values = ", ".join([f"({marks})"] * rows)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {values}"  # noqa: S608


# Rows one INSERT statement carries on SQLite. Each run of a statement has a cost of its own besides its rows:
# with AUTOINCREMENT (every Django table) it looks the table up in sqlite_sequence and writes its new highest id
# there. The residents and households of a million-row import, inserted again batch by batch, took 8.0-9.0 s at
# 100 rows a statement against 10.4-11.1 s at one (three alternated rounds); 200 and more were slower again.
SQLITE_ROWS_PER_INSERT = 100


def _sqlite_insert(cursor, model, attnames, rows, constants):
    """The rows SQLITE_ROWS_PER_INSERT a statement (as many as its bound values allow), the rest one a statement
    (a statement for the remainder's size would be compiled anew for nearly every batch)."""
    width = len(attnames)
    limit = cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(SQLITE_ROWS_PER_INSERT, limit // width))
    whole = len(rows) - len(rows) % per_statement if per_statement > 1 else 0
    if whole:
        values = iter(itertools.chain.from_iterable(rows[:whole]))
        cursor.executemany(_insert_sql(model, attnames, constants, per_statement),
                           list(zip(*[values] * (per_statement * width), strict=True)))
    if whole < len(rows):
        cursor.executemany(_insert_sql(model, attnames, constants), rows[whole:])


@contextlib.contextmanager
def _fewer_collections():
    """Python's cycle collector, at its usual pace, goes through every object the process holds a dozen times
    a hundred thousand rows, and at each young collection through rows that live a batch: a tenth of a large
    import's time. Meanwhile what was there before is left out of it (frozen, which a forked reader inherits
    without copying) and young objects are collected less often."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _bulk_insert(model, attnames, rows, constants=None):
    """One or two executemany (SQLite) or one COPY (PostgreSQL) for the rows, whatever their number. `constants`
    are the columns with one value for every row (the import's moment, its community, what the mapping leaves
    unfilled): SQLite takes them as literals in the statement, where binding them took about half of a million-row
    insert."""
    if not rows:
        return
    constants = constants or {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quote = connection.ops.quote_name
            columns = ", ".join(quote(model._meta.get_field(a).column) for a in [*attnames, *constants])
            with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                copy.write(_copy_text(rows, "".join("\t" + _copy_value(value) for value in constants.values())))
        else:
            _sqlite_insert(cursor, model, attnames, rows, constants)


# PostgreSQL text cannot hold NUL, which a pasted cell may carry: it is dropped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": None})


def _copy_value(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, int):
        return str(value)
    return value.isoformat()  # dates and aware datetimes


def _copy_text(rows, suffix=""):
    """Rows in COPY's text format: PostgreSQL parses it in C, where write_row would dump value by value. `suffix`
    ends every row (the constant columns, already in that format)."""
    end = suffix + "\n"
    return "".join("\t".join(map(_copy_value, row)) + end for row in rows).encode()


def _insert_name_grams(community_id, resident_rows):
    """The name pieces of a batch's new residents, by COPY (PostgreSQL; SQLite: _insert_sqlite_name_grams)."""
    _bulk_insert(NameGram, GRAM_COLUMNS, [(gram, community_id, row[0]) for row in resident_rows
                                          for gram in name_grams(row[_NAME_IN_RESIDENT])])


def _insert_sqlite_name_grams(id_ranges):
    """The name pieces of every resident the import created, after its last batch: SQLite cuts the stored
    names itself (a million rows give about 2.7 million pieces, each a value to bind otherwise) and sorts the
    pieces, so that the tree is appended to in key order. Inserted batch by batch, a batch's pieces went to
    thousands of places in it, three times the cost."""
    names = (f"SELECT id, community_id, name FROM {Resident._meta.db_table} "  # noqa: S608
             "WHERE id BETWEEN %s AND %s")
    grams = SQLITE_NAME_GRAMS.format(names=names, positions=f"temp.{NAME_POSITIONS_TABLE}")
    with connection.cursor() as cursor, _sqlite_sorting(cursor):
        # A table of the connection's own (rolled back with the import, if it is).
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {NAME_POSITIONS_TABLE} (at INTEGER PRIMARY KEY)")
        cursor.executemany(f"INSERT OR IGNORE INTO temp.{NAME_POSITIONS_TABLE} VALUES (%s)",
                           [(at,) for at in range(1, Resident._meta.get_field("name").max_length + 1)])
        for first, last in id_ranges:
            cursor.execute(f"INSERT OR IGNORE INTO {NameGram._meta.db_table} (community_id, gram, resident_id) "
                           f"SELECT * FROM ({grams}) ORDER BY 1, 2, 3", [first, last])


NAME_POSITIONS_TABLE = "shequ_name_positions"


# The page cache while SQLite sorts an import's rows (name pieces, rebuilt indexes), which its sorter also takes
# as what it may sort in memory before spilling to temporary files: with the project's 64 MB the sorts were the
# import's peak, and slower; runs of 4 MB sort quicker than of 8 MB (they stay in the processor's cache).
SORT_CACHE_KB = 4_000
# Threads SQLite's sorter may add to the statement's own, which sort the spilled runs in parallel: the rest of
# the import is done by then, and the second core idle. With two, one is always sorting while the statement
# reads the table or writes the index (the six rebuilds of a million residents 5.3 s against 6.1 with one).
SORT_THREADS = 2


@contextlib.contextmanager
def _sqlite_sorting(cursor):
    before = {}
    for pragma in ("cache_size", "threads"):
        cursor.execute(f"PRAGMA {pragma}")
        before[pragma] = int(cursor.fetchone()[0])
    cursor.execute(f"PRAGMA cache_size = -{SORT_CACHE_KB}")
    cursor.execute(f"PRAGMA threads = {SORT_THREADS}")
    try:
        yield
    finally:
        for pragma, value in before.items():
            cursor.execute(f"PRAGMA {pragma} = {value}")


class _IndexHold:
    """SQLite inserts into every index of a table for every row, at a random place when the key is a hash
    or a name, which costs several times the row itself. For a large import into a smaller table, the
    residents' indexes on such keys are dropped inside its transaction and rebuilt from sorted data
    (CREATE INDEX, from the exact SQL SQLite stored for them) before it commits; a rollback brings them
    back untouched, and readers meanwhile see the committed tables with their indexes. Indexes whose keys
    grow with the row id within a grid, building, group or household are appended to at a few places and
    stay, as does the blind index of ID numbers while every batch looks duplicates up in it (into a registry
    that was empty there is nothing to look up, so it is rebuilt at the end with the others). Name pieces of
    renamed residents are rewritten after the rebuild (see _Importer.renamed). Name pieces are one tree
    (NameGram's key), written in key order after the last batch (_insert_sqlite_name_grams)."""

    MIN_ROWS = 20_000
    RANDOM_COLUMNS = {
        Resident._meta.db_table: {"name_pinyin", "name_initials", "birth_date", "id_tail4_hash", "phone_tail4_hash"},
    }
    def __init__(self):
        self.dropped = []

    def hold(self, expected_rows, *, duplicates_looked_up=True):
        if connection.vendor != "sqlite" or expected_rows < self.MIN_ROWS:
            return
        random_columns = self.RANDOM_COLUMNS if duplicates_looked_up else {
            table: columns | {"id_number_hash"} for table, columns in self.RANDOM_COLUMNS.items()}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(id) FROM {Resident._meta.db_table}")  # noqa: S608
            existing = cursor.fetchone()[0] or 0
            if existing > expected_rows:
                return
            for table, columns in random_columns.items():
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                               "AND sql IS NOT NULL", [table])
                for name, sql in cursor.fetchall():
                    cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(name)})")
                    if {row[2] for row in cursor.fetchall()} & columns:
                        self.dropped.append(sql)
                        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")

    def restore(self):
        with connection.cursor() as cursor, _sqlite_sorting(cursor):
            for sql in self.dropped:
                cursor.execute(sql)
        self.dropped = []


# The columns an import writes for a new resident: its id and what its household gives, then what the roster row
# gives (always RECORD_COLUMNS, the others only where the mapping has their field), then those with one value for
# the whole import (_Importer.resident_constants).
RESIDENT_PLACE_COLUMNS = ["id", "household_id", "grid_id", "resident_group_id", "building_id"]
RECORD_COLUMNS = [
    "name", "name_pinyin", "name_initials", "sex", "birth_date", "ethnicity", *ID_NUMBER_COLUMNS, *PHONE_COLUMNS,
    "relation",
]
# Column → the import field that fills it; without that field in the mapping, every row has the column's default.
MAPPED_COLUMNS = {
    "residence_status": "residence_status", "floating_registered_on": "floating_registered_on",
    "floating_expires_on": "floating_expires_on", "political_status": "political_status", "education": "education",
    "employment": "employment", "marital_status": "marital_status", "moved_in_on": "moved_in_on", "notes": "notes",
    "notes_enc": "notes",
}
# A new household: what the file and the place give, then those with one value for the whole import.
HOUSEHOLD_COLUMNS = [
    "id", "number", "estate_id", "building_id", "entrance_id", "room", "address", "household_type", "housing",
    "grid_id", "resident_group_id", "member_count",
]
# Fields an update from a roster row may change; the rest (household, status, dates of events) stay.
UPDATABLE = ["name", "name_pinyin", "name_initials", "ethnicity", "relation", "residence_status",
             "political_status", "education", "employment", "marital_status", "moved_in_on",
             "floating_registered_on", "floating_expires_on", "notes", "notes_enc", "phone_enc", "phone_hash",
             "phone_tail4_hash", "phone_masked"]
_DATE_FIELDS = ("birth_date", "moved_in_on", "floating_registered_on", "floating_expires_on")
_ADDRESS_PARTS = ("estate", "building", "entrance", "room")
_NO_ADDRESS = Address("", "", "", "")
GRAM_COLUMNS = ["gram", "community_id", "resident_id"]
_RELATION_AT = RECORD_COLUMNS.index("relation")
_NAME_AT = RECORD_COLUMNS.index("name")
_ID_HASH_AT = ID_NUMBER_COLUMNS.index("id_number_hash")
_NAME_IN_RESIDENT = len(RESIDENT_PLACE_COLUMNS) + _NAME_AT
_PHONE_OF_RECORD = itemgetter(*(RECORD_COLUMNS.index(name) for name in PHONE_COLUMNS))
# What a valid row's checked values always hold, in RECORD_COLUMNS order.
_PERSON_OF_VALUES = itemgetter("name", "name_pinyin", "name_initials", "sex", "birth_date", "ethnicity")


class _Importer:
    """Reads the job's file once, in batches. commit=False only checks (preview); commit=True writes."""

    def __init__(self, job, actor, *, commit, signals=None, on_progress=None):
        self.job = job
        self.actor = actor
        self.commit = commit
        self.signals = signals
        self.on_progress = on_progress
        self.policy = job.duplicate_policy
        self.community = job.community
        self.roster = job_roster(job)
        self.headers = {c["column"]: c["header"] for c in job.headers}
        mapping = job.mapping or {}
        self.columns = [(_column_index(letter), field) for letter, field in mapping.items()]
        self.letter_of = {field: letter for letter, field in mapping.items()}
        self.mapped = set(mapping.values())
        self.address_in_parts = not self.mapped.isdisjoint(_ADDRESS_PARTS)  # 小区, 楼号, 单元, 门牌号 columns
        self.fill_columns = [_column_index(letter) for letter, field in mapping.items() if field in HOUSEHOLD_FIELDS]
        self.id_column = _column_index(self.letter_of["id_number"]) if "id_number" in self.letter_of else None
        self.places = _Places(self.community, actor, commit=commit)
        self.ids = _Ids()
        self.index_hold = _IndexHold()
        # With no resident anywhere before the import, the file's own duplicates (seen_ids) are all there is.
        self.registry_was_empty = not Resident.objects.exists()
        self.seen_ids = set()
        self.current = None
        self.batch_numbers = {}  # 户号 → household of this batch, for members listed apart from their household
        self.counts = {"total": 0, "created": 0, "updated": 0, "rejected": 0, "duplicates": 0,
                       "households_created": 0, "households_joined": 0}
        self.items = []
        self.truncated = False
        self.precision_lost = []  # the first 200 rows whose ID number lost its last digits in Excel
        self.precision_lost_count = 0
        self.duplicates = []
        self.changes = []
        self.created_ids = []
        self.renamed = {}  # resident id → new name
        self.batch_number = 0
        self.rejected = _RejectedWriter(job, self.id_column) if commit else None
        self.total_estimate = job.total_rows or max((self.roster.estimated_rows() or 0) - job.header_row, 0)
        self.now = timezone.now()
        self.today = date.today()
        ops = connection.ops
        self.adapt_date = ops.adapt_datefield_value
        self.now_db = ops.adapt_datetimefield_value(self.now)
        self.today_db = ops.adapt_datefield_value(self.today)
        self.mapped_columns = mapped_columns = [column for column, field in MAPPED_COLUMNS.items()
                                                if field in self.mapped]
        self.resident_columns = [*RESIDENT_PLACE_COLUMNS, *RECORD_COLUMNS, *mapped_columns]
        self.resident_constants = {
            "community_id": self.community.id, "status": str(ResidentStatus.PRESENT), "created_at": self.now_db,
            "updated_at": self.now_db,
            **{column: _MAPPED_DEFAULTS[column] for column in MAPPED_COLUMNS if column not in mapped_columns}}
        self.household_constants = {
            "community_id": self.community.id, "phone_enc": "", "phone_hash": "", "phone_masked": "",
            "placement_overridden": False, "status": str(HouseholdStatus.LIVING), "registered_on": self.today_db,
            "created_at": self.now_db, "updated_at": self.now_db}

    # -- driving -------------------------------------------------------------------

    def run(self):
        if self.commit:
            self.index_hold.hold(self.total_estimate, duplicates_looked_up=not self.registry_was_empty)
        large = self.total_estimate >= parallel_min_rows()
        # closing(): a failure or cancel stops the reading process at once, not when the generator is collected.
        with _fewer_collections() if large else contextlib.nullcontext(), \
                contextlib.closing(self._batches()) as batches:
            for batch in batches:
                self._batch(batch)
        self.seen_ids = None  # a million keys: freed before the index rebuilds, the import's peak
        if self.rejected is not None:
            self.rejected.finish()
        if self.commit and connection.vendor == "sqlite":
            _insert_sqlite_name_grams(self.created_ids)
        if self.index_hold.dropped:
            self.index_hold.restore()
        if self.renamed:
            self._rewrite_renamed_grams()
        if not self.counts["total"]:
            # Headers and nothing under them, as the template comes: "no problems" would read as ready to import.
            raise ApplicationError(
                f"第{self.job.header_row}行表头下没有居民数据，没有可导入的行。导入只读取文件的第一个工作表"
                f"（导入模板中为“{TEMPLATE_SHEET}”工作表），请从表头的下一行起每行填写一位居民", code="empty_file")
        return {
            "items": self.items, "truncated": self.truncated, "counts": dict(self.counts),
            "precision_lost_rows": self.precision_lost, "precision_lost_count": self.precision_lost_count,
            "duplicates": self.duplicates[:MAX_STORED_PROBLEMS], "new_places": self.places.created[:200],
            "duplicate_policy": str(self.policy),
        }

    def _batches(self):
        """The file's rows, read, checked and protected, in batches of about BATCH_SIZE that never split
        a household. A large file is read by a second process (reading.py), so that reading, validating
        and encrypting the next batch runs on the other core while this process writes the current one."""
        if self.total_estimate >= parallel_min_rows():
            yield from read_in_child(self)
        else:
            yield from self.read_batches()

    def read_batches(self, writer_waiting=None):
        """The reading half of the import; it touches no database, so another process may run it. There,
        writer_waiting() says whether the writing process wants this batch now (it is waiting for it, or has only
        the batch before left to write): the rows not checked and protected yet are then left to the writer, so
        that neither process waits for the other."""
        batch = []
        for number, cells in self.roster.data_rows(self.job.header_row, self.fill_columns):
            row = self._read(number, cells)
            if len(batch) >= BATCH_SIZE and (row.draft is not batch[-1].draft or len(batch) >= 2 * BATCH_SIZE):
                self._prepare(batch, writer_waiting)
                yield batch
                batch = []
                self.batch_numbers = {row.draft.number: row.draft} if row.draft.number else {}
            batch.append(row)
        if batch:
            self._prepare(batch, writer_waiting)
            yield batch

    # How a batch crosses the pipe from the reading process (reading.py).
    pack_batch = staticmethod(_pack_batch)
    unpack_batch = staticmethod(_unpack_batch)

    def reading_outcome(self):
        """What the reading half learnt that the writing half reports (see reading.read_in_child)."""
        return {"precision_lost": self.precision_lost, "precision_lost_count": self.precision_lost_count}

    def absorb_reading_outcome(self, outcome):
        """Adds what the reading process learnt to what this one learnt checking the rows it was left."""
        self.precision_lost = sorted(self.precision_lost + outcome["precision_lost"])[:200]
        self.precision_lost_count += outcome["precision_lost_count"]

    def _batch(self, rows):
        self.batch_number += 1
        if self.commit and self.signals is not None and self.signals.cancelled():
            raise ImportCancelled
        self._prepare(rows)
        self._check_file_duplicates(rows)
        self._check_duplicates(rows)
        self._resolve_households(rows)
        self._check_heads(rows)
        if self.commit:
            self._write(rows)
        else:
            self._count(rows)
        for row in rows:
            if row.errors:
                self._reject(row)
        self.counts["total"] += len(rows)
        processed = self.counts["total"]
        total = max(self.total_estimate, processed)
        if self.commit and self.signals is not None:
            self.signals.progress(processed, total)
        if self.on_progress is not None:
            self.on_progress(processed, total)

    # -- one row ----------------------------------------------------------------------

    def _read(self, number, cells):
        """A row as far as batches need it: which household it belongs to. Checking it comes later."""
        row = _Row(number, cells)
        row.raw = raw = self._raw(cells)
        relation = raw.get("relation")
        is_head = relation not in (None, "") and choice_value("relation", relation) == Relation.HEAD
        self._assign_household(row, raw, is_head=is_head)
        return row

    def _raw(self, cells):
        raw = {}
        width = len(cells)
        for index, field in self.columns:
            value = cells[index] if index < width else ""
            # Text goes to validation as it is (validation normalises it); numbers and dates are prepared.
            raw[field] = value if value.__class__ is str else field_value(field, value)
        return raw

    def _check(self, row):
        """Validates the row; a valid one keeps its ID number and phone, plain, for _protect_row."""
        raw = row.raw if row.raw is not None else self._raw(row.cell_values())
        row.raw = None
        row.checked = True
        row.ethnicity_given = raw.get("ethnicity") not in (None, "")
        id_raw = raw.get("id_number")
        values, errors = validate_person(raw, require_id=bool(id_raw) or not raw.get("birth_date"), today=self.today)
        number, phone = values.pop("id_number", None), values.pop("phone", None)
        row.values = values
        if errors:
            row.errors = list(errors.items())
            if errors.get("id_number") == PRECISION_LOST_MESSAGE:
                self.precision_lost_count += 1
                if len(self.precision_lost) < 200:
                    self.precision_lost.append(row.number)
            return
        if number:
            row.id_key = int(number[:17]) * 11 + (10 if number[17] == "X" else int(number[17]))
        row.plain = (number, phone)

    def _assign_household(self, row, raw, *, is_head):
        number = normalize_text(raw.get("household_number")) if "household_number" in self.mapped else ""
        current = self.current
        if number:
            # Same 户号 as the rows above, or as an earlier household of this batch.
            known = current if current is not None and current.number == number else self.batch_numbers.get(number)
            if known is not None:
                row.draft = known
                return
        elif current is not None and not is_head:
            # No 户号: a member row (not 户主) with the same or no address belongs to the household above.
            address = self._address(raw, record_errors=False)
            key = (address.estate, address.building, address.entrance, address.room) if address else None
            if key is None or key == current.address_key:
                row.draft = current
                return
        errors = []
        address = self._address(raw, record_errors=True, errors=errors)
        household_type = _choice(HouseholdType, normalize_text(raw.get("household_type")))
        if household_type is None:
            errors.append(("household_type", f"户类型“{raw.get('household_type')}”无法识别，可选："
                           + "、".join(label for _, label in HouseholdType.choices)))
        housing = _choice(Housing, normalize_text(raw.get("housing")))
        if housing is None:
            errors.append(("housing", f"住房性质“{raw.get('housing')}”无法识别，可选："
                           + "、".join(label for _, label in Housing.choices)))
        if len(number) > 32:
            errors.append(("household_number", "户号不能超过32个字符"))
        draft = _Draft(number, address, household_type or HouseholdType.RESIDENT.value, housing or Housing.OWNED.value,
                       row.number)
        draft.errors = errors
        self.current = row.draft = draft
        if number:
            self.batch_numbers[number] = draft

    def _address(self, raw, *, record_errors, errors=None):
        parsed = None
        text = raw.get("address", "")
        if text:
            parsed = parse_address(text)
            if parsed is None and record_errors:
                errors.append(("address", f"住址“{text}”无法识别，请写成“和平家园3号楼2单元501室”或“3-2-501”的形式"))
        if not self.address_in_parts:  # the whole address in one column, as rosters mostly keep it
            return parsed
        estate, building, entrance, room = [normalize_text(raw.get(k, "")) for k in _ADDRESS_PARTS]
        if not parsed and not (estate or building or entrance or room):
            return None
        base = parsed or _NO_ADDRESS
        return Address(
            estate=estate or base.estate,
            building=without_suffix(building, BUILDING_SUFFIXES) or base.building,
            entrance=without_suffix(entrance, ENTRANCE_SUFFIXES) or base.entrance,
            room=without_suffix(room, ROOM_SUFFIXES)[:20] or base.room,
        )

    # -- per batch ------------------------------------------------------------------------

    def _prepare(self, rows, until=None):
        """Each row checked, then its ID number and phone protected. until() is asked every PROTECT_CHUNK
        rows whether to leave the rest (to the writing process, which prepares what it is given the same way).
        Name pieces are left to the writing half, which then has about as much to do as this one."""
        blank_id, blank_phone = id_number_columns(""), phone_columns("")
        for index, row in enumerate(rows):
            if until is not None and not index % PROTECT_CHUNK and until():
                return
            if not row.checked:
                self._check(row)
            if row.plain is not None:
                self._protect_row(row, blank_id, blank_phone)

    def _protect_row(self, row, blank_id, blank_phone):
        """The stored columns of the ID number and phone: encrypted, hashed and masked (a preview needs only
        the ID number's blind index, to look duplicates up). The plain values leave the row here."""
        number, phone = row.plain
        row.plain = None
        if not self.commit:
            row.id_hash = id_number_hash(number) if number else ""
            return
        protected = id_number_columns(number) if number else blank_id
        row.id_hash = protected[_ID_HASH_AT]
        row.record = self._record(row.values, protected, phone_columns(phone) if phone else blank_phone)
        if self.registry_was_empty:
            row.values = None  # nobody registered before: no row updates anyone

    def _check_file_duplicates(self, rows):
        """An ID number on an earlier row of the file: the later row is rejected. Here, in the writing half,
        which sees every row in order, whichever half checked them."""
        seen = self.seen_ids
        for row in rows:
            key = row.id_key
            if key is None or row.errors:
                continue
            if key in seen:
                row.errors.append(("id_number", "与本文件中前面的行身份证号重复，同一人只能导入一次"))
            else:
                seen.add(key)

    def _record(self, values, protected, phone):
        """The stored columns a roster row gives, RECORD_COLUMNS then the mapped ones of MAPPED_COLUMNS, from the
        row's checked values and its protected ID number and phone (tuples in their columns' order). relation is
        "" where the file does not say, for the writer to decide (the first of a new household is its head). The
        birth date is written as SQLite stores it and as COPY reads it."""
        name, pinyin, initials, sex, birth_date, ethnicity = _PERSON_OF_VALUES(values)
        record = (name, pinyin[:120], initials[:50], sex, birth_date.isoformat(), ethnicity, *protected, *phone,
                  values.get("relation", ""))
        return record + self._mapped_record(values) if self.mapped_columns else record

    def _mapped_record(self, values):
        mapped = {column: values.get(column, _MAPPED_DEFAULTS[column]) for column in self.mapped_columns}
        if mapped.get("notes"):
            mapped.update(protect_notes(mapped["notes"]))
        for name in _DATE_FIELDS:
            if mapped.get(name) is not None:
                mapped[name] = self.adapt_date(mapped[name])
        return tuple(mapped.values())

    def _check_duplicates(self, rows):
        """ID numbers registered before the import: updated or reported, as the job says."""
        if self.registry_was_empty:
            return
        by_hash = {row.id_hash: row for row in rows if not row.errors and row.id_hash}
        if not by_hash:
            return
        existing = (Resident.objects.filter(id_number_hash__in=list(by_hash))
                    .exclude(status=ResidentStatus.MOVED_OUT)
                    .values("id", "id_number_hash", "community_id", "community__name", "status", "household_id",
                            "id_number_masked", "birth_date", *UPDATABLE))
        for found in existing:
            row = by_hash.get(found["id_number_hash"])
            if row is None or row.existing is not None:
                continue
            row.existing = found
            self.counts["duplicates"] += 1
            if len(self.duplicates) < MAX_STORED_PROBLEMS:
                self.duplicates.append({"row": row.number, "resident_id": found["id"], "name": found["name"],
                                        "id_number": found["id_number_masked"],
                                        "community": found["community__name"]})
            if found["community_id"] != self.community.id:
                row.errors.append(("id_number", f"身份证号已在“{found['community__name']}”登记（居民编号 "
                                                f"{found['id']}），不能重复导入，请先由该社区办理迁出"))
            elif found["status"] == ResidentStatus.DECEASED:
                row.errors.append(("id_number", f"该身份证号对应的居民（居民编号 {found['id']}）已登记死亡，未导入"))
            elif self.policy != DuplicatePolicy.UPDATE:
                row.errors.append(("id_number", f"身份证号已登记（居民编号 {found['id']}，{found['name']}）；"
                                                "按“列为问题行”处理，未导入"))

    def _resolve_households(self, rows):
        pending = []
        for row in rows:
            draft = row.draft
            if row.errors or row.existing is not None:
                continue
            if draft.errors:
                row.errors.extend(draft.errors)
                continue
            if not draft.resolved:
                draft.resolved = True
                pending.append(draft)
        if not pending:
            return
        by_number = _households_numbered(self.community.id, {d.number for d in pending if d.number})
        addressed = []
        for draft in pending:
            if draft.number and draft.number in by_number:
                found = by_number[draft.number]
                if found["status"] != HouseholdStatus.LIVING:
                    draft.errors.append(("household_number", f"户号“{draft.number}”对应的户已迁出或注销"))
                else:
                    draft.household = found | {"new": False}
                continue
            if draft.address is None:
                draft.errors.append(("address", "缺少住址：新登记的户须写明小区、楼号和门牌号"))
                continue
            try:
                estate, building, entrance = self.places.resolve(draft.address)
            except _PlaceError as error:
                draft.errors.append((error.field, error.message))
                continue
            draft.place = (estate, building, entrance)
            if not draft.number:
                addressed.append(draft)
        self._match_addresses(addressed)
        for row in rows:
            if not row.errors and row.existing is None and row.draft.errors:
                row.errors.extend(row.draft.errors)

    def _match_addresses(self, drafts):
        """Households without a 户号 join a living household already registered at the same address."""
        real = [d for d in drafts if d.place[1].id > 0]
        if not real:
            return
        found = {}
        rooms = {d.address.room for d in real}
        for h in Household.objects.filter(
                community=self.community, status=HouseholdStatus.LIVING,
                building_id__in={d.place[1].id for d in real}, room__in=rooms).values(
                "id", "number", "status", "grid_id", "resident_group_id", "building_id", "entrance_id", "room"):
            found.setdefault((h["building_id"], h["entrance_id"], h["room"]), h)
        for draft in real:
            estate, building, entrance = draft.place
            match = found.get((building.id, entrance.id if entrance else None, draft.address.room))
            if match is not None:
                draft.household = match | {"new": False}

    def _check_heads(self, rows):
        """One head in register a household: a second 户主 is a problem row (变更户主 replaces a head). A new
        household's first row is its head when it says 户主 or nothing (as _create_residents makes it)."""
        registered = {d for r in rows if not r.errors and r.existing is None
                      for d in (r.draft,) if d.head is None and d.household and not d.household.get("new")}
        if registered:
            heads = dict(Resident.objects.filter(household_id__in=[d.household["id"] for d in registered],
                                                 status=ResidentStatus.PRESENT, relation=Relation.HEAD)
                         .values_list("household_id", "name"))
            for draft in registered:
                draft.head = heads.get(draft.household["id"], "")
        for row in rows:
            if row.errors or row.existing is not None:
                continue
            draft = row.draft
            relation, name = ((row.record[_RELATION_AT], row.record[_NAME_AT]) if row.record is not None
                              else (row.values.get("relation", ""), row.values.get("name", "")))
            if draft.head is None:
                draft.head = name if relation in ("", Relation.HEAD) else ""
            elif relation == Relation.HEAD:
                if draft.head:
                    row.errors.append(("relation", f"本户已有户主（{draft.head}），一户只能有一位户主：请改为与户主的关系；"
                                                   "更换户主请在导入后用“变更户主”"))
                else:
                    draft.head = name

    def _count(self, rows):
        """Preview: what the commit would do."""
        for row in rows:
            if row.errors:
                continue
            if row.existing is not None:
                self.counts["updated"] += 1
                continue
            draft = row.draft
            if draft.household is None:
                draft.household = {"id": None, "new": True}
                self.counts["households_created"] += 1
            self.counts["created"] += 1

    def _write(self, rows):
        creates = [r for r in rows if not r.errors and r.existing is None]
        updates = [r for r in rows if not r.errors and r.existing is not None]
        self._create_households(creates)
        self._create_residents(creates)
        self._update_residents(updates)

    def _create_households(self, creates):
        """Households first seen in this batch, created with their member count of this batch."""
        new_drafts, members = [], {}
        for row in creates:
            draft = row.draft
            if draft.household is None:
                draft.household = {"new": True, "batch": self.batch_number}
                new_drafts.append(draft)
            members[draft] = members.get(draft, 0) + 1
        if not new_drafts:
            return
        ids = self.ids.take(Household, len(new_drafts))
        auto = [d for d in new_drafts if not d.number]
        if auto:
            self._auto_numbers(auto, [d.number for d in new_drafts if d.number])
        rows = []
        for draft, household_id in zip(new_drafts, ids, strict=True):
            estate, building, entrance = draft.place
            room = draft.address.room
            draft.household.update(id=household_id, grid_id=building.grid_id,
                                   resident_group_id=building.resident_group_id, building_id=building.id)
            rows.append((
                household_id, draft.number, estate.id, building.id, entrance.id if entrance else None, room,
                household_address(estate, building, entrance, room)[:200], draft.household_type, draft.housing,
                building.grid_id, building.resident_group_id, members[draft],
            ))
        _bulk_insert(Household, HOUSEHOLD_COLUMNS, rows, self.household_constants)
        self.counts["households_created"] += len(new_drafts)

    def _auto_numbers(self, drafts, reserved):
        """H + 8 digits, as households registered by hand get (services.household_numbers)."""
        for draft, number in zip(drafts, household_numbers(self.community.id, len(drafts), reserved=reserved),
                                 strict=True):
            draft.number = number

    def _create_residents(self, creates):
        if not creates:
            return
        ids = self.ids.take(Resident, len(creates))
        community_id = self.community.id
        resident_rows, increments = [], {}
        for row, resident_id in zip(creates, ids, strict=True):
            draft = row.draft
            household = draft.household
            record = row.record
            if not record[_RELATION_AT]:
                relation = Relation.HEAD if draft.members == 0 and household.get("new") else Relation.OTHER_RELATIVE
                record = (*record[:_RELATION_AT], relation, *record[_RELATION_AT + 1:])
            draft.members += 1
            household_id = household["id"]
            if household.get("batch") != self.batch_number:  # created earlier, or registered before the import
                increments[household_id] = increments.get(household_id, 0) + 1
            resident_rows.append((resident_id, household_id, household["grid_id"], household["resident_group_id"],
                                  household["building_id"], *record))
        _bulk_insert(Resident, self.resident_columns, resident_rows, self.resident_constants)
        if connection.vendor != "sqlite":
            _insert_name_grams(community_id, resident_rows)
        if increments:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {connection.ops.quote_name(Household._meta.db_table)} "
                    "SET member_count = member_count + %s WHERE id = %s",
                    [(count, household_id) for household_id, count in increments.items()])
        self.counts["created"] += len(creates)
        self._note_ids(ids)

    def _note_ids(self, ids):
        for resident_id in ids:
            if self.created_ids and self.created_ids[-1][1] == resident_id - 1:
                self.created_ids[-1][1] = resident_id
            else:
                self.created_ids.append([resident_id, resident_id])

    def created_ranges(self):
        return self.created_ids[:1000]

    def _update_residents(self, updates):
        if not updates:
            return
        params = []
        for row in updates:
            old = row.existing
            values = row.values
            new = {name: old[name] for name in UPDATABLE}
            for name in ("name", "name_pinyin", "name_initials", "residence_status", "political_status",
                         "education", "employment", "marital_status", "moved_in_on", "floating_registered_on",
                         "floating_expires_on", "notes", "relation"):
                if name in values:
                    new[name] = values[name]
            if "notes" in values:
                new.update(protect_notes(values["notes"]))
            if row.ethnicity_given and "ethnicity" in values:
                new["ethnicity"] = values["ethnicity"]
            phone = dict(zip(PHONE_COLUMNS, _PHONE_OF_RECORD(row.record), strict=True))
            if phone["phone_hash"]:
                new.update(phone)
            changes = {name: {"from": _plain(old[name]), "to": _plain(new[name])} for name in UPDATABLE
                       if not name.startswith("phone_") and name != "notes_enc" and old[name] != new[name]
                       and not (old[name] in (None, "") and new[name] in (None, ""))}
            if old["phone_hash"] != new["phone_hash"]:
                changes["phone"] = {"from": old["phone_masked"], "to": new["phone_masked"]}
            else:
                new.update({name: old[name] for name in UPDATABLE if name.startswith("phone_")})
            if not changes:
                continue
            if len(self.changes) < AUDIT_CHANGES_LIMIT:
                self.changes.append({"resident": old["id"], "row": row.number, "changes": changes})
            if "name" in changes:
                self.renamed[old["id"]] = new["name"]
            for name in _DATE_FIELDS:
                if new.get(name) is not None:
                    new[name] = self.adapt_date(new[name])
            params.append((*[new[name] for name in UPDATABLE], self.now_db, old["id"]))
        self.counts["updated"] += len(updates)
        if not params:
            return
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(Resident._meta.get_field(name).column)} = %s" for name in UPDATABLE)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {quote(Resident._meta.db_table)} SET {assignments}, "  # noqa: S608
                               f"{quote('updated_at')} = %s WHERE id = %s", params)

    def _rewrite_renamed_grams(self):
        """Name pieces of residents an update renamed, rewritten once all rows are in."""
        renamed = list(self.renamed.items())
        for start in range(0, len(renamed), BATCH_SIZE):
            chunk = renamed[start:start + BATCH_SIZE]
            NameGram.objects.filter(community_id=self.community.id,
                                    resident_id__in=[resident_id for resident_id, _ in chunk]).delete()
            _bulk_insert(NameGram, GRAM_COLUMNS, [(gram, self.community.id, resident_id)
                                                  for resident_id, name in chunk for gram in name_grams(name)])

    # -- problems ---------------------------------------------------------------------------

    def _where(self, field):
        letter = self.letter_of.get(field)
        if field in ("building", "estate", "entrance", "room") and letter is None:
            letter = self.letter_of.get("address")
        if field == "address" and letter is None:
            for alternative in ("building", "estate", "room"):
                letter = self.letter_of.get(alternative)
                if letter:
                    break
        return letter, (self.headers.get(letter) if letter else str(FIELD_LABELS.get(field) or FIELDS.get(field, field)))

    def _reject(self, row):
        self.counts["rejected"] += 1
        parts = []
        seen = set()
        for field, message in row.errors:
            if (field, message) in seen:
                continue
            seen.add((field, message))
            letter, header = self._where(field)
            place = f"{letter}列（{header}）" if letter else f"{header}"
            parts.append(f"{place}：{message}")
            if len(self.items) < MAX_STORED_PROBLEMS:
                self.items.append({"row": row.number, "column": letter or "", "header": header, "field": field,
                                   "message": message})
            else:
                self.truncated = True
        if self.rejected is not None:
            self.rejected.add(row.cell_values(), f"原表第{row.number}行：" + "；".join(parts))

    def save_rejected_file(self):
        return self.rejected.save() if self.rejected is not None else None

    def discard_temporary_files(self):
        if self.rejected is not None:
            self.rejected.discard()


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def _column_index(letter):
    index = 0
    for char in letter:
        index = index * 26 + (ord(char) - 64)
    return index - 1


def _mapped_defaults():
    """What MAPPED_COLUMNS hold where a row (or the mapping) leaves their field out: the model's defaults."""
    defaults = {}
    for name in MAPPED_COLUMNS:
        field = Resident._meta.get_field(name)
        defaults[name] = field.get_default() if field.has_default() or not field.null else None
    return defaults


_MAPPED_DEFAULTS = _mapped_defaults()


class _RejectedWriter:
    """Rejected rows as they were in the file, plus 错误说明, streamed to an xlsx (constant memory)."""

    def __init__(self, job, id_column):
        import xlsxwriter

        self.job = job
        handle, self.path = tempfile.mkstemp(suffix=".xlsx", prefix="shequ-rejected-")
        os.close(handle)
        self.workbook = xlsxwriter.Workbook(self.path, {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False})
        self.sheet = self.workbook.add_worksheet("问题行")
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        bold = self.workbook.add_format({"bold": True, "bg_color": "#FDE9D9"})
        header_cells = [""] * (max((_column_index(c["column"]) for c in job.headers), default=-1) + 1)
        for c in job.headers:
            header_cells[_column_index(c["column"])] = c["header"]
        self.width = len(header_cells)
        text = self.workbook.add_format({"num_format": "@"})
        if id_column is not None:
            self.sheet.set_column(id_column, id_column, 22, text)
        self.sheet.set_column(self.width, self.width, 60)
        self.sheet.write_row(0, 0, [*header_cells, REJECTED_COLUMN], bold)
        self.count = 0
        self.closed = False

    def add(self, cells, message):
        self.count += 1
        row = self.count
        for col, value in enumerate(cells[: self.width]):
            if value in ("", None):
                continue
            if isinstance(value, bool):
                self.sheet.write_boolean(row, col, value)
            elif isinstance(value, int | float):
                self.sheet.write_number(row, col, value)
            elif isinstance(value, date):
                self.sheet.write_datetime(row, col, value, self.date_format)
            else:
                self.sheet.write_string(row, col, str(value))
        self.sheet.write_string(row, self.width, message)

    def finish(self):
        if not self.closed:
            self.closed = True
            self.workbook.close()

    def discard(self):
        self.finish()
        Path(self.path).unlink(missing_ok=True)

    def save(self):
        try:
            if not self.count:
                return None
            stem = Path(self.job.file_name).stem[:80]
            field = ImportJob._meta.get_field("rejected_file")
            with open(self.path, "rb") as handle:
                name = field.generate_filename(self.job, f"{stem}-问题行.xlsx")
                return field.storage.save(name, File(handle), max_length=field.max_length)
        finally:
            Path(self.path).unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------
# The template
# ------------------------------------------------------------------------------------------------

TEMPLATE_SHEET = "居民信息"
TEMPLATE_NOTES_SHEET = "填写说明"
TEMPLATE_COLUMNS = ["household_number", "name", "relation", "id_number", "phone", "ethnicity", "address",
                    "residence_status", "political_status", "education", "employment", "marital_status",
                    "household_type", "housing", "notes"]
# On the notes sheet only: every row under the data sheet's headers is imported, so a sample there was
# imported as a real resident, whether left in or filled in below.
TEMPLATE_SAMPLE = ["001", "张建国", "户主", "11010519491231002X", "13800001234", "汉族", "和平家园3号楼2单元501室",
                   "户籍在本社区", "群众", "高中/中专", "离退休", "已婚", "常住", "自有", ""]


def import_template_xlsx():
    """The import template: a data sheet of Chinese headers only, its ID column as text, and a sheet of
    notes ending with an example resident."""
    import io

    import xlsxwriter

    from .choices import Education, Employment, MaritalStatus, PoliticalStatus, Relation, ResidenceStatus

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(TEMPLATE_SHEET)
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "align": "center"})
    text = workbook.add_format({"num_format": "@"})
    labels = {"id_number": "身份证号", "phone": "手机号"}
    titles = [labels.get(field, FIELDS[field]) for field in TEMPLATE_COLUMNS]
    for col, field in enumerate(TEMPLATE_COLUMNS):
        sheet.write_string(0, col, titles[col], required if field in ("name", "id_number", "address") else header)
        sheet.set_column(col, col, 22 if field in ("id_number", "address") else 12,
                         text if field in ("id_number", "phone", "household_number") else None)
    sheet.freeze_panes(1, 0)
    choices = {"relation": Relation, "residence_status": ResidenceStatus, "political_status": PoliticalStatus,
               "education": Education, "employment": Employment, "marital_status": MaritalStatus,
               "household_type": HouseholdType, "housing": Housing}
    for col, field in enumerate(TEMPLATE_COLUMNS):
        if field in choices:
            sheet.data_validation(1, col, 100000, col, {
                "validate": "list", "source": [label for _, label in choices[field].choices],
                "error_type": "warning"})
    notes = workbook.add_worksheet(TEMPLATE_NOTES_SHEET)
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 90)
    lines = [
        ("总体", "第一行为表头，从第二行起每行一人；同一户的成员写在相邻的行，户号相同（或第一人为户主，其余成员紧随其后）。"
                 "表头上方可以有标题行，列的顺序可以调整。橙色表头为必填。"),
        ("只填真实居民", f"“{TEMPLATE_SHEET}”工作表表头以下的每一行都会作为一位居民导入，请只填写真实居民，不要抄入下方的示例。"
                       f"导入只读取第一个工作表，请勿调整工作表的顺序；本“{TEMPLATE_NOTES_SHEET}”工作表不会导入。"),
        ("身份证号", "18位（或旧版15位），末位 X 大小写均可。请把该列设为“文本”格式：以数字存储的身份证号会被 Excel "
                   "截成科学计数法并丢失最后几位，导入时会被列为问题行。"),
        ("户号", "可不填：不填时按“与户主关系”为户主的行开始新的一户，或按住址相同分户，系统自动编号。"),
        ("住址", "写成“小区名+楼号+单元+门牌”，如“和平家园3号楼2单元501室”，或“3-2-501”；也可以分成小区、楼号、单元、"
               "门牌号四列。"),
        ("与户主关系", "、".join(label for _, label in Relation.choices)),
        ("居住状况", "、".join(label for _, label in ResidenceStatus.choices)),
        ("政治面貌", "、".join(label for _, label in PoliticalStatus.choices)),
        ("文化程度", "、".join(label for _, label in Education.choices)),
        ("就业状况", "、".join(label for _, label in Employment.choices)),
        ("婚姻状况", "、".join(label for _, label in MaritalStatus.choices)),
        ("户类型", "、".join(label for _, label in HouseholdType.choices)),
        ("住房性质", "、".join(label for _, label in Housing.choices)),
        ("重复的身份证号", "导入前可选择：更新已登记居民的信息，或列为问题行不导入。"),
        ("问题行", "有问题的行不会导入，其余行照常导入；导入完成后可下载“问题行”表格，修改后再次导入。"),
        ("文件格式", "xlsx、xls、ods，或 UTF-8 / GBK 编码的 csv。"),
    ]
    notes.write_row(0, 0, ["项目", "说明"], header)
    for index, (item, text_line) in enumerate(lines, start=1):
        notes.write_string(index, 0, item, wrap)
        notes.write_string(index, 1, text_line, wrap)
    example = len(lines) + 2
    title = workbook.add_format({"bold": True})
    notes.write_string(example, 0, f"示例（仅供参考，请在“{TEMPLATE_SHEET}”工作表填写）", title)
    notes.write_row(example + 1, 0, ["表头", "示例"], header)
    for row, (heading, value) in enumerate(zip(titles, TEMPLATE_SAMPLE, strict=True), start=example + 2):
        notes.write_string(row, 0, heading, wrap)
        notes.write_string(row, 1, value, wrap)
    workbook.close()
    return buffer.getvalue()
