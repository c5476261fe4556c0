"""Import upkeep (beat): jobs whose task was lost are queued again, a few times; uploaded files are deleted
IMPORT_FILE_RETENTION_DAYS after the job ends and stale previews are cancelled. Across organisations, each job
changed in its own organisation's context."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from customers.models import ImportJob
from customers.services.import_upkeep import import_upkeep
from customers.tasks import import_upkeep_task
from tests.outbox.conftest import running_worker

from .conftest import confirm_and_run, create_job, csv_bytes, fresh, row, upload, url, validate

Status = ImportJob.Status
NOW = timezone.now()


def _age(tenant, job, *, queued_seconds_ago=None, created_days_ago=None, finished_days_ago=None, **fields):
    with tenant.context():
        job = ImportJob.objects.get(pk=job.pk)
        if queued_seconds_ago is not None:
            job.summary["queued_at"] = (NOW - datetime.timedelta(seconds=queued_seconds_ago)).isoformat()
        if created_days_ago is not None:
            job.created_at = NOW - datetime.timedelta(days=created_days_ago)
        if finished_days_ago is not None:
            job.finished_at = NOW - datetime.timedelta(days=finished_days_ago)
        for name, value in fields.items():
            setattr(job, name, value)
        job.save()
    return job


def _queued(callbacks) -> list[tuple]:
    """(task name, organisation id, job id) of each task the upkeep queued on commit."""
    return sorted(callback.args for callback in callbacks)


def test_a_job_whose_task_was_lost_is_queued_again_in_each_organisation(
    alpha, bravo, django_capture_on_commit_callbacks
):
    stuck_check = _age(alpha, create_job(alpha, csv_bytes([row()])), queued_seconds_ago=600)
    stuck_import = _age(bravo, create_job(bravo, csv_bytes([row()])), queued_seconds_ago=600, status=Status.IMPORTING)
    just_queued = _age(alpha, create_job(alpha, csv_bytes([row()])), queued_seconds_ago=30)
    working = _age(alpha, create_job(alpha, csv_bytes([row()])), queued_seconds_ago=600, processed_rows=1000)

    with django_capture_on_commit_callbacks() as callbacks:
        done = import_upkeep(now=NOW)

    assert done == {"requeued": 2, "files_deleted": 0}
    assert _queued(callbacks) == [
        ("customers.import_run", bravo.organization.pk, stuck_import.pk),
        ("customers.import_validate", alpha.organization.pk, stuck_check.pk),
    ]
    for tenant, job in ((alpha, stuck_check), (bravo, stuck_import)):
        summary = fresh(tenant, job).summary
        assert summary["auto_requeues"] == 1
        assert summary["queued_at"] == NOW.isoformat()  # the wait starts again
    assert "auto_requeues" not in fresh(alpha, just_queued).summary
    assert "auto_requeues" not in fresh(alpha, working).summary


def test_a_job_is_queued_again_only_a_few_times(alpha, django_capture_on_commit_callbacks):
    job = create_job(alpha, csv_bytes([row()]))
    for attempt in range(settings.IMPORT_AUTO_REQUEUES):
        _age(alpha, job, queued_seconds_ago=600)
        with django_capture_on_commit_callbacks() as callbacks:
            import_upkeep(now=NOW)
        assert len(callbacks) == 1, attempt
    _age(alpha, job, queued_seconds_ago=3600)
    with django_capture_on_commit_callbacks() as callbacks:
        assert import_upkeep(now=NOW)["requeued"] == 0
    assert callbacks == []
    assert fresh(alpha, job).summary["auto_requeues"] == settings.IMPORT_AUTO_REQUEUES
    assert fresh(alpha, job).status == Status.VALIDATING  # still offered to be queued by hand on its page


def _stored(job) -> Path:
    return Path(settings.MEDIA_ROOT) / job.file.name


def test_the_file_of_an_ended_import_is_deleted_after_the_retention_period(
    alpha, bravo, login, django_capture_on_commit_callbacks
):
    days = settings.IMPORT_FILE_RETENTION_DAYS
    old_alpha = confirm_and_run(alpha, validate(alpha, create_job(alpha, csv_bytes([row()]))))
    old_bravo = _age(bravo, validate(bravo, create_job(bravo, b"not,a,template\n1,2,3\n")), finished_days_ago=days + 1)
    recent = confirm_and_run(alpha, validate(alpha, create_job(alpha, csv_bytes([row(ref="R-2", email="b@x.test")]))))
    old_alpha = _age(alpha, old_alpha, finished_days_ago=days + 1)
    files = {job.pk: _stored(job) for job in (old_alpha, old_bravo, recent)}
    assert old_bravo.status == Status.INVALID and all(path.exists() for path in files.values())

    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the job says so
        assert import_upkeep(now=NOW) == {"requeued": 0, "files_deleted": 2}

    assert not files[old_alpha.pk].exists() and not files[old_bravo.pk].exists()
    assert files[recent.pk].exists()
    job = fresh(alpha, old_alpha)
    assert (job.file.name, job.status, job.summary["contacts"]["created"]) == ("", Status.DONE, 1)  # the record stays
    assert job.summary["file_deleted_at"] == NOW.isoformat()
    page = login(alpha.manager).get(url("import_detail", alpha, job_id=job.pk)).content.decode()
    assert f"The uploaded file was deleted on {NOW:%-d %b %Y}, {days} days after the import ended" in page
    assert import_upkeep(now=NOW)["files_deleted"] == 0  # nothing left to do


def test_a_preview_nobody_confirmed_is_cancelled_and_its_file_deleted(alpha, login, django_capture_on_commit_callbacks):
    days = settings.IMPORT_FILE_RETENTION_DAYS
    stale = _age(alpha, validate(alpha, create_job(alpha, csv_bytes([row()]))), created_days_ago=days + 1)
    assert "ann@acme.example" in str(stale.summary["preview"])
    fresh_preview = validate(alpha, create_job(alpha, csv_bytes([row()])))
    path = _stored(stale)

    with django_capture_on_commit_callbacks(execute=True):
        assert import_upkeep(now=NOW)["files_deleted"] == 1

    job = fresh(alpha, stale)
    assert (job.status, job.file.name, job.finished_at) == (Status.CANCELLED, "", NOW)
    assert job.message == f"Not confirmed within {days} days: cancelled, and the uploaded file deleted."
    assert "preview" not in job.summary  # its first rows were the file's personal data too
    assert not path.exists()
    assert fresh(alpha, fresh_preview).status == Status.PREVIEW
    page = login(alpha.manager).get(url("import_detail", alpha, job_id=fresh_preview.pk)).content.decode()
    assert f"A preview not confirmed within {days} days is cancelled" in page


def test_a_job_still_working_keeps_its_file_however_old(alpha, django_capture_on_commit_callbacks):
    job = _age(alpha, create_job(alpha, csv_bytes([row()])), created_days_ago=400, status=Status.IMPORTING)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_upkeep(now=NOW)["files_deleted"] == 0
    assert _stored(fresh(alpha, job)).exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_beat_s_upkeep_gets_an_upload_made_while_redis_was_down_to_a_real_worker(alpha, login, broker, redis_server):
    redis_server.stop()
    response = login(alpha.manager).post(url("import_start", alpha), {"file": upload("crm.csv", csv_bytes([row()]))})
    assert response.status_code == 302
    with alpha.context():
        job = ImportJob.objects.get(organization=alpha.organization)
    assert job.status == Status.VALIDATING  # its task never reached a broker
    redis_server.start()
    _age(alpha, job, queued_seconds_ago=settings.IMPORT_REQUEUE_AFTER_SECONDS + 1)

    with running_worker(broker) as worker:
        import_upkeep_task.run()  # as beat runs it
        worker.drain()

    job = fresh(alpha, job)
    assert (job.status, job.valid_rows, job.summary["auto_requeues"]) == (Status.PREVIEW, 1, 1)
