"""Upkeep of import jobs, run by beat (feedback.import_upkeep): nothing waits for ever, no file stays for ever.

- A job still waiting for its first row well after it was queued most likely lost its task (the broker was down
  when it was queued, or restarted empty). It is queued again, up to IMPORT_AUTO_REQUEUES times; after that the
  job page's "Queue it again" button is the way. Running a task twice is harmless (see import_job_requeue).
- An uploaded file holds people's names and addresses. IMPORT_FILE_RETENTION_DAYS after a job ends its file is
  deleted, with the preview of its first rows; the job stays, with its counts, errors and audit event, as the
  record of the import. A preview nobody confirmed within that time is cancelled and its file deleted too.

The organisations with such jobs are found across organisations (ORGANIZATIONS_WITH_IMPORTS, a crossing: ids only);
each one's jobs are then read and changed in its own organisation's context.
"""

import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext_lazy
from django_scopes import scopes_disabled

from customers.models import ImportJob
from qms.tenancy.context import organization_context
from qms.tenancy.crossings import crossing_ids

from .import_rejected import rejected_rows_forget
from .import_staging import staged_rows_discard
from .imports import WAITING, queue_waiting_job_on_commit

log = logging.getLogger(__name__)
Status = ImportJob.Status
ENDED = (Status.DONE, Status.FAILED, Status.INVALID, Status.CANCELLED)
EXPIRED_PREVIEW = ngettext_lazy(
    "Not confirmed within %(days)d day: cancelled, and the uploaded file deleted.",
    "Not confirmed within %(days)d days: cancelled, and the uploaded file deleted.",
    "days",
)


# Installed by qms/tenancy/rls.py after each migrate (CustomersConfig.database_crossings).
ORGANIZATIONS_WITH_IMPORTS = """
CREATE OR REPLACE FUNCTION app_organizations_with_imports() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT DISTINCT organization_id FROM customers_importjob WHERE file <> '' OR processed_rows = 0
$$
"""


def organizations_with_imports() -> list[int]:
    """Organisations with jobs the upkeep may act on: still waiting for their first row, or holding a file."""
    if connection.vendor == "postgresql":
        return crossing_ids("SELECT app_organizations_with_imports()")
    with scopes_disabled():
        jobs = ImportJob.objects.filter(Q(processed_rows=0) | ~Q(file=""))
        return sorted(set(jobs.values_list("organization_id", flat=True)))


def import_upkeep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    requeued = deleted = 0
    for organization_id in organizations_with_imports():
        with organization_context(organization_id):
            requeued += import_jobs_requeue_stranded(now=now)
            deleted += import_files_expire(now=now)
    return {"requeued": requeued, "files_deleted": deleted}


def import_jobs_requeue_stranded(*, now: datetime.datetime) -> int:
    """Queue again this organisation's jobs that have waited IMPORT_REQUEUE_AFTER_SECONDS without a row being
    processed (inside its context)."""
    cutoff = now - datetime.timedelta(seconds=settings.IMPORT_REQUEUE_AFTER_SECONDS)
    waiting = list(ImportJob.objects.filter(status__in=WAITING, processed_rows=0).values_list("pk", "summary"))
    requeued = 0
    for job_id, summary in waiting:
        queued_at = parse_datetime(summary.get("queued_at") or "")
        if queued_at is None or queued_at > cutoff or summary.get("auto_requeues", 0) >= settings.IMPORT_AUTO_REQUEUES:
            continue
        requeued += _requeue(job_id, now=now, cutoff=cutoff)
    return requeued


def _requeue(job_id: int, *, now: datetime.datetime, cutoff: datetime.datetime) -> int:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id, status__in=WAITING, processed_rows=0).first()
        if job is None:
            return 0  # a worker took it meanwhile
        queued_at = parse_datetime(job.summary.get("queued_at") or "")
        if queued_at is None or queued_at > cutoff:
            return 0
        job.summary = {
            **job.summary,
            "queued_at": now.isoformat(),
            "auto_requeues": job.summary.get("auto_requeues", 0) + 1,
        }
        job.save(update_fields=["summary"])
        queue_waiting_job_on_commit(job)
    log.info("import %s: no worker took it since %s; queued again", job_id, queued_at.isoformat())
    return 1


def import_files_expire(*, now: datetime.datetime) -> int:
    """Delete the files of this organisation's jobs ended IMPORT_FILE_RETENTION_DAYS ago; cancel previews left that
    long (inside its context)."""
    days = settings.IMPORT_FILE_RETENTION_DAYS
    cutoff = now - datetime.timedelta(days=days)
    expired = list(
        ImportJob.objects.exclude(file="")
        .filter(Q(status__in=ENDED, finished_at__lt=cutoff) | Q(status=Status.PREVIEW, created_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
    return sum(_delete_file(job_id, now=now, cutoff=cutoff, days=days) for job_id in expired)


def _delete_file(job_id: int, *, now: datetime.datetime, cutoff: datetime.datetime, days: int) -> int:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).exclude(file="").first()
        if job is None:
            return 0
        fields = ["file", "summary"]
        if job.status == Status.PREVIEW and job.created_at < cutoff:
            job.status, job.finished_at, job.message = Status.CANCELLED, now, EXPIRED_PREVIEW % {"days": days}
            fields += ["status", "finished_at", "message"]
        elif job.status not in ENDED or job.finished_at is None or job.finished_at >= cutoff:
            return 0  # confirmed or changed meanwhile
        name = job.file.name
        assert name is not None  # the query above skips the jobs whose file is already gone
        job.file = ""
        # The preview's first rows are the file's too: names and addresses. Counts and error messages stay.
        kept = rejected_rows_forget(staged_rows_discard(job.summary))  # the refused rows are the file's too
        summary = {key: value for key, value in kept.items() if key != "preview"}
        job.summary = {**summary, "file_deleted_at": now.isoformat()}
        job.save(update_fields=fields)
        # The row says the file is gone before the file goes: a crash in between leaves an orphan file for an
        # operator to sweep, never a job pointing at nothing.
        transaction.on_commit(lambda: _remove_stored(name))
    return 1


def _remove_stored(name: str) -> None:
    storage = ImportJob._meta.get_field("file").storage
    try:
        storage.delete(name)
    except OSError as exc:
        log.warning("import file %s not deleted (%s)", name, exc)
