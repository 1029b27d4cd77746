"""Exports too large for the request: written in the background (the immediate backend in tests) through the
same writer, with progress on the job and cancel; the file only for its creator, one with full values gone
after its first download, any after a day; the pages and the API."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.core.errors import ApplicationError, Forbidden, NotFound
from shequ.registry import exports, selectors
from shequ.registry.models import ExportJob, ExportKind, ExportStatus
from shequ.registry.protection import reveal_id_number

from .helpers import person, register
from .test_import_preview import queued_only, run_queued  # noqa: F401

LIST = ExportKind.RESIDENT_LIST
NAMES = "甲乙丙丁戊己庚辛壬癸子丑"


@pytest.fixture
def worker(world):
    """A community worker of a, who registered 12 residents in 6 households there."""
    worker = world.user(Role.COMMUNITY_WORKER)
    for i in range(6):
        register(worker, world.a, [person(f"张{NAMES[2 * i]}", phone=f"1380000{i:04d}"),
                                   person(f"王{NAMES[2 * i + 1]}", male=False, relation="spouse")], room=f"{i + 1}01")
    return type(worker).objects.get(id=worker.id)  # fresh scope cache


@pytest.fixture
def large(monkeypatch):
    """Anything over 5 rows is large; small batches give several progress reports."""
    monkeypatch.setattr(exports, "IN_REQUEST_ROWS", 5)
    monkeypatch.setattr(exports, "BATCH", 4)
    monkeypatch.setattr(exports, "ROSTER_HOUSEHOLDS_PER_BATCH", 2)


def workbook(content):
    return openpyxl.load_workbook(io.BytesIO(content))


def rows(content):
    return [list(r) for r in workbook(content).active.iter_rows(values_only=True)]


def stored(job):
    job.refresh_from_db()
    with job.file.open("rb") as handle:
        return handle.read()


def download(file):
    """Reads a download to the end, as a response does, then closes it."""
    content = b"".join(iter(lambda: file.read(8192), b""))
    file.close()
    return content


def test_a_small_export_is_still_written_in_the_request(worker):
    export = exports.export_start(actor=worker, kind=LIST, filters={})
    assert isinstance(export, exports.ExportFile) and export.rows == 12
    assert not ExportJob.objects.exists()


def test_a_large_list_export_is_a_job_with_the_same_file_as_the_request(worker, large, monkeypatch):
    with CaptureQueriesContext(connection) as queries:
        job = exports.export_start(actor=worker, kind=LIST, filters={"sex": "M", "after_id": None})
    assert isinstance(job, ExportJob) and job.status == ExportStatus.DONE, job.error_message
    # Progress went to the job row after every batch of 4 rows, the last one short.
    progress = [int(m[1]) for q in queries if (m := re.search(r'SET "processed_rows" = (\d+)', q["sql"]))]
    assert progress == [4, 6]
    assert job.processed_rows == job.total_rows == 6 and job.filters == {"sex": "M"}
    monkeypatch.setattr(exports, "IN_REQUEST_ROWS", 5000)
    with exports.resident_export_xlsx(worker, {"sex": "M"}).open() as handle:
        assert rows(stored(job)) == rows(handle.read())
    assert job.file_name.startswith("居民名单-") and job.file_name.endswith(".xlsx")


def test_a_large_roster_is_a_job_with_the_same_file_as_the_request(worker, world, large, monkeypatch):
    job = exports.export_start(actor=worker, kind=ExportKind.ROSTER, filters={"community_id": None})
    assert job.status == ExportStatus.DONE and job.total_rows == 12 and job.community_id == world.a.id
    monkeypatch.setattr(exports, "IN_REQUEST_ROWS", 5000)
    with exports.roster_export_xlsx(worker).open() as handle:
        expected = handle.read()
    assert rows(stored(job)) == rows(expected)
    merged = {str(r) for r in workbook(stored(job)).active.merged_cells.ranges}
    assert merged == {str(r) for r in workbook(expected).active.merged_cells.ranges} and "A3:A4" in merged


def test_the_start_is_audited_as_an_export_naming_the_job(worker, world, large):
    job = exports.export_job_start(actor=worker, kind=LIST, filters={"q": "张"}, reveal_reason="上报高龄津贴名单")
    event = AuditEvent.objects.get(verb="export")
    assert event.actor == worker and event.target_id == str(job.id) and event.community_id == world.a.id
    assert event.details == {"kind": "resident_list", "rows": 6, "filters": {"q": "张"}, "full_values": True,
                             "reason": "上报高龄津贴名单", "job": job.id}
    admin = world.user(Role.STREET_ADMIN)
    job = exports.export_job_start(actor=admin, kind=LIST, filters={})
    assert job.community_id is None and job.street_id == world.street.id and job.total_rows == 12
    assert AuditEvent.objects.filter(verb="export", street_id=world.street.id, target_id=str(job.id)).exists()


def test_the_reason_and_the_role_are_checked_before_anything_is_queued(worker, world, large):
    with pytest.raises(Forbidden):
        exports.export_job_start(actor=world.user(Role.SUPERVISOR), kind=LIST, filters={})
    with pytest.raises(ApplicationError, match="原因"):
        exports.export_job_start(actor=worker, kind=LIST, filters={}, reveal_reason="x")
    with pytest.raises(ApplicationError, match="无权"):
        exports.export_job_start(actor=world.user(Role.STREET_ADMIN), kind=LIST, filters={}, reveal_reason="核对")
    with pytest.raises(NotFound):
        exports.export_job_start(actor=worker, kind=ExportKind.ROSTER, filters={"community_id": world.b.id})
    assert not ExportJob.objects.exists() and not AuditEvent.objects.filter(verb="export").exists()


@pytest.mark.usefixtures("queued_only")
def test_cancel_while_queued_leaves_the_job_cancelled_and_no_file(worker, large):
    job = exports.export_job_start(actor=worker, kind=LIST, filters={})
    assert job.status == ExportStatus.QUEUED and job.total_rows == 12
    job = exports.export_job_cancel(actor=worker, job=job)
    assert job.status == ExportStatus.CANCELLED and job.error_message
    assert AuditEvent.objects.get(verb="export_cancel").target_id == str(job.id)
    run_queued()  # the worker comes to it afterwards
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED and not job.file and job.processed_rows == 0
    with pytest.raises(ApplicationError, match="已结束"):
        exports.export_job_cancel(actor=worker, job=job)


@pytest.mark.usefixtures("queued_only")
def test_cancel_while_running_stops_at_the_next_batch_and_leaves_no_file(worker, large, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # where the writer's temporary file would stay
    job = exports.export_job_start(actor=worker, kind=LIST, filters={})
    progress = []

    def cancel_after_the_first_batch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("UPDATE") and "processed_rows" in sql and not progress:
            progress.append(params)  # as the cancel button would, from another request
            exports.export_job_cancel(actor=worker, job=job)
        return result

    with connection.execute_wrapper(cancel_after_the_first_batch):
        run_queued()
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED and job.processed_rows == 4 and not job.file
    assert list(tmp_path.iterdir()) == []


def test_only_its_creator_sees_polls_cancels_or_downloads_a_job(worker, world, large, client):
    job = exports.export_job_start(actor=worker, kind=LIST, filters={})
    colleague = world.user(Role.COMMUNITY_WORKER, username="colleague")
    head = world.user(Role.COMMUNITY_HEAD)
    for other in (colleague, head, world.user(Role.STREET_ADMIN)):
        with pytest.raises(NotFound):
            selectors.export_job_get(other, job.id)
        with pytest.raises(NotFound):
            exports.export_job_download(actor=other, job=job)
    client.force_login(colleague)
    for url in (reverse("registry:export_progress", args=[job.id]),
                reverse("registry:export_download", args=[job.id]),
                f"/api/v1/registry/exports/{job.id}", f"/api/v1/registry/exports/{job.id}/file"):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("registry:export_cancel", args=[job.id])).status_code == 404
    assert client.post(f"/api/v1/registry/exports/{job.id}/cancel").status_code == 404


def test_a_file_with_full_values_is_gone_after_its_first_complete_download(worker, large):
    job = exports.export_job_start(actor=worker, kind=LIST, filters={"q": "张甲"}, reveal_reason="民政核对")
    file = exports.export_job_download(actor=worker, job=job)
    file.read(100)
    file.close()  # a transfer broken off removes nothing
    job.refresh_from_db()
    assert job.file and job.downloaded_at is None
    content = download(exports.export_job_download(actor=worker, job=job))
    job.refresh_from_db()
    assert not job.file and job.downloaded_at is not None
    zhang = selectors.resident_queryset(worker).get(name="张甲")
    assert rows(content)[1][:5] == ["张甲", "男", rows(content)[1][2], "汉族", reveal_id_number(zhang)]
    with pytest.raises(NotFound, match="首次下载后"):
        exports.export_job_download(actor=worker, job=job)


def test_a_masked_file_can_be_downloaded_again_until_it_expires(worker, large):
    job = exports.export_job_start(actor=worker, kind=LIST, filters={})
    first = download(exports.export_job_download(actor=worker, job=job))
    job.refresh_from_db()
    assert download(exports.export_job_download(actor=worker, job=job)) == first
    name = job.file.name
    ExportJob.objects.filter(id=job.id).update(finished_at=timezone.now() - timedelta(days=1, minutes=1))
    exports.export_start(actor=worker, kind=LIST, filters={"q": "张甲"})  # the next export, a small one
    job.refresh_from_db()
    assert not job.file and not job.file.storage.exists(name)
    with pytest.raises(NotFound, match="过期"):
        exports.export_job_download(actor=worker, job=job)


@pytest.mark.usefixtures("queued_only")
def test_a_file_is_not_offered_before_the_export_is_done(worker, large):
    job = exports.export_job_start(actor=worker, kind=LIST, filters={})
    with pytest.raises(ApplicationError, match="尚未完成"):
        exports.export_job_download(actor=worker, job=job)


# -- pages --------------------------------------------------------------------------------------------------

def test_pages_a_large_export_goes_to_its_progress_then_its_download(worker, large, client):
    client.force_login(worker)
    response = client.get(reverse("registry:export_residents"), {"sex": "F"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("registry:export_progress", args=[job.id])
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and job.file_name in page and "一天" in page and "hx-get" not in page
    response = client.get(reverse("registry:export_download", args=[job.id]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert [row[0] for row in rows(b"".join(response.streaming_content))[1:]] == [f"王{NAMES[2 * i + 1]}"
                                                                                 for i in range(6)]
    response = client.get(reverse("registry:export_download", args=[job.id]))  # masked: again
    assert response.status_code == 200


def test_pages_a_full_export_is_downloaded_once(worker, large, client):
    client.force_login(worker)
    response = client.post(reverse("registry:export_residents"), {"reveal_reason": "核对身份"})
    job = ExportJob.objects.get()
    assert job.full_values and "只能下载一次" in client.get(response["Location"]).content.decode()
    response = client.get(reverse("registry:export_download", args=[job.id]))
    first = rows(b"".join(response.streaming_content))[1]
    resident = next(r for r in selectors.resident_queryset(worker) if r.name == first[0])
    assert first[4] == reveal_id_number(resident)
    response = client.get(reverse("registry:export_download", args=[job.id]), follow=True)
    page = response.content.decode()
    assert "首次下载后从服务器删除" in page and "已下载，并已从服务器删除" in page


@pytest.mark.usefixtures("queued_only")
def test_pages_progress_polls_and_cancels(worker, large, client, django_assert_num_queries):
    client.force_login(worker)
    response = client.get(reverse("registry:export_roster"))
    job = ExportJob.objects.get(kind=ExportKind.ROSTER)
    ExportJob.objects.filter(id=job.id).update(status=ExportStatus.RUNNING, processed_rows=3)
    page = client.get(response["Location"]).content.decode()
    assert "已处理 3 / 12 行（25%）" in page and "取消导出" in page and 'hx-trigger="every 1s"' in page
    with django_assert_num_queries(4):  # session, user, memberships, job
        poll = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert poll.content.decode().strip().startswith('<section id="export-status"')
    response = client.post(reverse("registry:export_cancel", args=[job.id]), follow=True)
    page = response.content.decode()
    assert 'data-status="cancelled"' in page and "导出已取消" in page and "hx-get" not in page


@pytest.mark.usefixtures("queued_only")
def test_a_running_export_that_stopped_reporting_is_shown_failed(worker, large, client):
    # Its process died (a restart, a crash) without marking the job: the page must not wait for ever.
    client.force_login(worker)
    job = exports.export_job_start(actor=worker, kind=LIST, filters={})
    alive, dead = timezone.now() - timedelta(minutes=2), timezone.now() - exports.STALLED_AFTER - timedelta(seconds=5)
    ExportJob.objects.filter(id=job.id).update(status=ExportStatus.RUNNING, processed_rows=4, updated_at=alive)
    page = client.get(reverse("registry:export_progress", args=[job.id])).content.decode()
    assert 'data-status="running"' in page and "hx-get" in page
    assert client.get(f"/api/v1/registry/exports/{job.id}").json()["status"] == "running"
    ExportJob.objects.filter(id=job.id).update(updated_at=dead)
    status = client.get(f"/api/v1/registry/exports/{job.id}").json()
    assert status["status"] == "failed" and "导出中断" in status["error_message"] and status["finished_at"]
    page = client.get(reverse("registry:export_progress", args=[job.id])).content.decode()
    assert 'data-status="failed"' in page and "导出中断" in page and "hx-get" not in page
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file


@pytest.mark.usefixtures("queued_only")
def test_a_running_export_reports_that_it_is_alive(worker, large, monkeypatch):
    job = exports.export_job_start(actor=worker, kind=LIST, filters={})
    long_ago = timezone.now() - timedelta(hours=1)
    ExportJob.objects.filter(id=job.id).update(status=ExportStatus.RUNNING, updated_at=long_ago)
    exports._job_progress(job.id)(4)
    job.refresh_from_db()
    assert job.processed_rows == 4 and job.updated_at > long_ago
    assert exports.export_job_settle(job).status == ExportStatus.RUNNING


def test_my_exports_lists_the_users_own_jobs_newest_first(worker, world, large, client, django_assert_num_queries):
    masked = exports.export_job_start(actor=worker, kind=LIST, filters={})
    roster = exports.export_job_start(actor=worker, kind=ExportKind.ROSTER, filters={}, reveal_reason="民政核对")
    colleague = world.user(Role.COMMUNITY_HEAD)
    theirs = exports.export_job_start(actor=colleague, kind=LIST, filters={})
    client.force_login(worker)
    with django_assert_num_queries(5):  # session, user, memberships, the jobs, the page head's community
        page = client.get(reverse("registry:exports")).content.decode()
    links = re.findall(r'href="/registry/export/(\d+)/"', page)
    assert links == [str(roster.id), str(masked.id)]
    assert page.count('download>⬇') == 2 and "部分隐藏" in page and "含" in page
    listed = client.get("/api/v1/registry/exports").json()
    assert [job["id"] for job in listed] == [roster.id, masked.id] and listed[0]["full_values"] is True
    # From the list and the progress page, back to each other.
    assert 'href="/registry/export/"' in client.get(reverse("registry:export_progress", args=[masked.id])).content.decode()
    assert 'data-my-exports' in client.get(reverse("registry:residents")).content.decode()
    client.force_login(colleague)
    assert [job["id"] for job in client.get("/api/v1/registry/exports").json()] == [theirs.id]
    client.force_login(world.user(Role.RESIDENT))  # no registry, no exports of it
    assert client.get(reverse("registry:exports")).status_code == 403


# -- API ----------------------------------------------------------------------------------------------------

def test_api_export_job(worker, large, client):
    client.force_login(worker)
    response = client.post("/api/v1/registry/exports", {"kind": "resident_list", "filters": {"sex": "M"}},
                           content_type="application/json")
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "done" and job["processed_rows"] == job["total_rows"] == 6
    assert job["file_url"] == f"/api/v1/registry/exports/{job['id']}/file" and job["full_values"] is False
    assert client.get(f"/api/v1/registry/exports/{job['id']}").json()["status"] == "done"
    response = client.get(job["file_url"])
    assert response.status_code == 200 and len(rows(b"".join(response.streaming_content))) == 7
    response = client.post(f"/api/v1/registry/exports/{job['id']}/cancel")
    assert response.status_code == 400 and "已结束" in response.json()["message"]
    response = client.post("/api/v1/registry/exports", {"kind": "roster", "reveal_reason": "民政核对"},
                           content_type="application/json")
    job = response.json()
    assert job["kind"] == "roster" and job["full_values"] is True and job["total_rows"] == 12
    response = client.get(job["file_url"])
    assert response.status_code == 200 and rows(b"".join(response.streaming_content))[0][0] == "甲社区居民花名册"
    response = client.get(job["file_url"])
    assert response.status_code == 404 and "首次下载后" in response.json()["message"]
    assert client.get(f"/api/v1/registry/exports/{job['id']}").json()["file_url"] is None


def test_api_get_exports_refuse_a_large_export_and_name_the_job_endpoint(worker, large, client):
    client.force_login(worker)
    for url in ("/api/v1/registry/export.xlsx", "/api/v1/registry/roster.xlsx"):
        response = client.get(url)
        assert response.status_code == 400 and response.json()["code"] == "export_too_large"
        assert "POST /api/v1/registry/exports" in response.json()["message"]
    assert client.get("/api/v1/registry/export.xlsx", {"q": "张甲"}).status_code == 200  # small: as before
    assert not ExportJob.objects.exists()


@pytest.mark.usefixtures("queued_only")
def test_api_cancel_a_queued_job(worker, large, client):
    client.force_login(worker)
    job = client.post("/api/v1/registry/exports", {}, content_type="application/json").json()
    assert job["status"] == "queued" and job["file_url"] is None and job["total_rows"] == 12
    response = client.get(f"/api/v1/registry/exports/{job['id']}/file")
    assert response.status_code == 400 and "尚未完成" in response.json()["message"]
    response = client.post(f"/api/v1/registry/exports/{job['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
