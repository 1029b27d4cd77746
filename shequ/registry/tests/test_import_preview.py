"""The import preview: a small file is checked in the request; a larger one by a background task (the
immediate backend in tests, the database backend in production) that reports progress, while the preview
page polls it and then shows the result."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks.signals import task_enqueued, task_finished, task_started

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.registry import imports
from shequ.registry.models import ImportJob, ImportStatus, Resident

from .test_import import ADDRESS, _big_roster, new_id, upload

ROWS = 35


@pytest.fixture
def head(world):
    return world.user(Role.COMMUNITY_HEAD)


@pytest.fixture
def large(monkeypatch):
    """Every file counts as large, so the preview goes to the task; small batches give several progress reports."""
    monkeypatch.setattr(imports, "PREVIEW_IN_REQUEST_BYTES", 0)
    monkeypatch.setattr(imports, "BATCH_SIZE", 10)


@pytest.fixture
def queued_only(settings):
    """A backend that keeps tasks without running them, to see a job while its preview waits and runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    yield
    default_task_backend.clear()


@pytest.fixture
def signals():
    """What the task backend reports, with the job's state at that moment."""
    seen = []

    def record(signal):
        def receiver(sender, task_result, **kwargs):
            job = ImportJob.objects.get()
            seen.append((signal, task_result.task.name, job.status, task_result.status))
        return receiver

    receivers = {task_enqueued: record("enqueued"), task_started: record("started"), task_finished: record("finished")}
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    yield seen
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


def mapped(head, world):
    job = upload(head, world.a, _big_roster(ROWS))
    return imports.import_set_mapping(actor=head, job=job, mapping=job.mapping)


def run_queued():
    """What a worker does: run the task the page or the API queued."""
    [result] = default_task_backend.results
    result.task.call(*result.args, **result.kwargs)


def run_queued_last():
    result = default_task_backend.results[-1]
    result.task.call(*result.args, **result.kwargs)


def test_a_small_file_is_checked_in_the_request(world, head, signals):
    job = imports.import_preview(actor=head, job=mapped(head, world))
    assert signals == []  # no task
    assert job.status == ImportStatus.PREVIEWED and job.total_rows == ROWS
    assert imports.job_summary(job)["counts"]["created"] == ROWS


def test_a_large_file_is_checked_by_the_task_with_progress(world, head, large, signals):
    job = mapped(head, world)
    with CaptureQueriesContext(connection) as queries:
        job = imports.import_preview(actor=head, job=job)
    task = imports.import_preview_task.name
    assert signals == [("enqueued", task, "previewing", "READY"), ("started", task, "previewing", "RUNNING"),
                       ("finished", task, "previewed", "SUCCESSFUL")]
    # Progress went to the job row after every batch of about 10 rows.
    progress = [int(m[1]) for q in queries if (m := re.search(r'"processed_rows" = (\d+), "total_rows"', q["sql"]))]
    assert len(progress) >= 3 and progress == sorted(progress) and progress[-1] == ROWS
    assert job.status == ImportStatus.PREVIEWED and (job.processed_rows, job.total_rows) == (ROWS, ROWS)
    counts = imports.job_summary(job)["counts"]
    assert (counts["total"], counts["created"], counts["rejected"]) == (ROWS, ROWS, 0)
    assert Resident.objects.count() == 0  # a preview writes nothing


def test_the_page_shows_progress_while_the_task_runs_then_the_result(world, head, client, large, queued_only):
    client.force_login(head)
    job = upload(head, world.a, _big_roster(ROWS))
    preview_url = f"/registry/import/{job.id}/preview/"
    response = client.post(f"/registry/import/{job.id}/mapping/", {"col_A": "household_number", "col_B": "name",
                                                                   "col_C": "relation", "col_D": "id_number",
                                                                   "col_E": "address"})
    assert response.status_code == 302 and response["Location"] == preview_url
    page = client.get(preview_url).content.decode()
    assert 'data-status="previewing"' in page and 'hx-trigger="every 1s"' in page and "<progress" in page
    assert "data-problems" not in page
    # While it runs, the page's status part shows how far it got; other steps lead back here.
    ImportJob.objects.filter(id=job.id).update(processed_rows=14, total_rows=ROWS)
    part = client.get(preview_url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in part and 'value="14"' in part and "已检查 14 / 35 行（40%）" in part
    for url in (f"/registry/import/{job.id}/mapping/", f"/registry/import/{job.id}/"):
        assert client.get(url)["Location"] == preview_url
    client.post(f"/registry/import/{job.id}/commit/", {"duplicate_policy": "report"})
    assert ImportJob.objects.get(id=job.id).status == ImportStatus.PREVIEWING

    run_queued()
    ended = client.get(preview_url, headers={"HX-Request": "true"})
    assert ended.headers["HX-Refresh"] == "true"  # the page reloads with the result
    page = client.get(preview_url).content.decode()
    assert "预检结果" in page and "hx-trigger" not in page and 'name="duplicate_policy"' in page


def test_the_api_starts_the_preview_and_the_client_polls(world, head, client, large, queued_only):
    client.force_login(head)
    job = upload(head, world.a, _big_roster(ROWS))
    url = f"/api/v1/registry/imports/{job.id}"
    body = client.post(f"{url}/mapping", {"mapping": job.mapping}, content_type="application/json").json()
    assert body["status"] == "previewing" and body["counts"] == {}
    again = client.post(f"{url}/mapping", {"mapping": job.mapping}, content_type="application/json")
    assert again.status_code == 400 and "正在预检" in again.json()["message"]
    assert client.post(f"{url}/commit", {}, content_type="application/json").status_code == 400
    run_queued()
    body = client.get(url).json()
    assert body["status"] == "previewed" and body["counts"]["total"] == ROWS
    assert (body["processed_rows"], body["total_rows"]) == (ROWS, ROWS)


def test_a_preview_cancelled_on_its_page_goes_back_to_the_mapping(world, head, client, large, queued_only):
    client.force_login(head)
    job = imports.import_preview(actor=head, job=mapped(head, world))
    page = client.get(f"/registry/import/{job.id}/preview/").content.decode()
    cancel_url = f"/registry/import/{job.id}/cancel/"
    assert f'action="{cancel_url}"' in page and "取消预检" in page
    response = client.post(cancel_url)
    assert response["Location"] == f"/registry/import/{job.id}/mapping/"
    assert "预检已取消" in client.get(response["Location"]).content.decode()
    run_queued()  # the task that waited finds nothing to check
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPED and imports.job_summary(job)["counts"] == {}
    assert AuditEvent.objects.filter(verb="import_cancel", details__status="previewing").count() == 1
    # Checked again, it ends as any preview.
    job = imports.import_preview(actor=head, job=job)
    run_queued_last()
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED and job.error_message == ""


def test_a_running_preview_stops_at_its_next_batch_once_cancelled(world, head, large, queued_only):
    job = imports.import_preview(actor=head, job=mapped(head, world))
    progress = imports._preview_progress(job.id)
    progress(10, ROWS)
    assert ImportJob.objects.get(id=job.id).processed_rows == 10
    imports.import_cancel(actor=head, job=job)
    with pytest.raises(imports.ImportCancelled):
        progress(20, ROWS)
    assert ImportJob.objects.get(id=job.id).status == ImportStatus.MAPPED


def test_a_preview_whose_process_died_goes_back_to_the_mapping(world, head, client, large, queued_only):
    client.force_login(head)
    job = imports.import_preview(actor=head, job=mapped(head, world))
    preview_url = f"/registry/import/{job.id}/preview/"
    long_ago = timezone.now() - imports.STALLED_AFTER - timedelta(seconds=5)
    ImportJob.objects.filter(id=job.id).update(updated_at=long_ago)
    imports._preview_progress(job.id)(10, ROWS)  # a report says it is alive
    assert 'data-status="previewing"' in client.get(preview_url).content.decode()
    ImportJob.objects.filter(id=job.id).update(updated_at=long_ago)
    assert client.get(preview_url, headers={"HX-Request": "true"}).headers["HX-Refresh"] == "true"
    response = client.get(preview_url)
    assert response["Location"] == f"/registry/import/{job.id}/mapping/"
    assert "预检中断" in client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.MAPPED and not AuditEvent.objects.filter(verb="import_failed").exists()
    run_queued()  # were its task to run after all, it finds nothing to check
    assert ImportJob.objects.get(id=job.id).status == ImportStatus.MAPPED


def test_a_failed_preview_returns_to_the_mapping_with_the_reason(world, head, client, large):
    # Bytes that are not UTF-8 past the part read to guess the encoding: only reading every row finds them.
    rows = [["姓名", "身份证号", "与户主关系", "住址", "备注"], ["甲", new_id(), "户主", ADDRESS, ""],
            ["乙", new_id(), "子女", "", ""], *[["丙", new_id(), "子女", "", "长" * 40_000]] * 12]
    data = "\n".join(",".join(row) for row in rows).encode() + b"\n\xff\xfe\n"
    job = upload(head, world.a, data, name="名单.csv")
    job = imports.import_preview(actor=head, job=imports.import_set_mapping(actor=head, job=job,
                                                                             mapping=job.mapping))
    assert job.status == ImportStatus.MAPPED and job.error_message.startswith("预检失败：文件编码无法识别")
    client.force_login(head)
    response = client.get(f"/registry/import/{job.id}/preview/")
    assert response["Location"] == f"/registry/import/{job.id}/mapping/"
    assert "预检失败：文件编码无法识别" in client.get(response["Location"]).content.decode()
