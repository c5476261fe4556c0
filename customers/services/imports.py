"""Import of customers and contacts from a CSV or XLSX file: read, check every row, preview, then write.

The life of an ImportJob:

    upload ─> VALIDATING ─(task: check every row)─> PREVIEW ─(confirm, with a mode)─> IMPORTING ─(task)─> DONE
                 └─> INVALID (file unreadable)          └─> CANCELLED                    └─> FAILED

The check runs once: it keeps the job's valid rows, normalised, next to the upload (import_staging), and the
import writes from them without reading the file again (on PostgreSQL with a few set-based statements,
import_sql). Of the checks, only one depends on the directory rather than the file, so only it is repeated: an
account owner who left since the preview makes that row invalid. The rest of what may have changed (a contact
added by hand) is what the upsert finds. The import writes in one transaction: in all-or-nothing mode a single bad
row rolls everything back, in valid-only mode bad rows are skipped. The rows the check refused are kept too, as a
file to download, fix and upload again (import_rejected).
The import appends ONE audit event per job ("import.complete" with its counts), not one per row: a 50,000-row
file would otherwise bury the trail, and the job itself (file, person, errors, counts) is the detailed record.
"""

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from customers.models import ImportJob
from customers.selectors.directory import account_owner_emails
from qms.accounts.models import User
from qms.audit.services import audit_record, object_type_of
from qms.queueing import queue_on_commit
from qms.tenancy.context import enter_on
from qms.tenancy.models import Organization

from .import_rejected import RejectedRows, column_labels, rejected_rows_forget
from .import_rows import (  # noqa: F401 - COLUMNS, COLUMN_NAMES and TEMPLATE_ROWS are this module's public face
    COLUMN_NAMES,
    COLUMNS,
    NO_OWNER,
    SNIFF_BYTES,
    TEMPLATE_ROWS,
    ImportFileError,
    RowChecker,
    Tally,
    header_columns,
    header_sources,
    numbered_rows,
    read_table,
    sniff_upload,
)
from .import_sql import StagedImport
from .import_staging import StagedRows, staged_file_delete, staged_rows_discard, staged_rows_open
from .import_writers import directory_writer

log = logging.getLogger(__name__)
Status, Mode = ImportJob.Status, ImportJob.Mode
Counts = dict[str, Counter[str]]  # {"customers"/"contacts": {"created"/"updated"/"unchanged": n}}

BATCH_ROWS = 2000
PROGRESS_EVERY = 1000
PROGRESS_MIN_SECONDS = 0.25  # a person watching sees four updates a second at most; each costs a commit
VALIDATE_TASK, RUN_TASK = "customers.import_validate", "customers.import_run"
WAITING = (Status.VALIDATING, Status.IMPORTING)


# --- progress --------------------------------------------------------------------------------------------------


class JobProgress:
    """Publishes a job's processed_rows while the task's own transaction is still open.

    On PostgreSQL the task body is one transaction (organization_context), so the count goes through a second
    connection, in short transactions of its own that the job page reads at once. SQLite admits one writer at a
    time: there the count is written directly while no transaction is open (the check), and the import's count
    lands when it commits. Publishing is best effort: a lost count never fails the job, and a count comes at most
    every PROGRESS_MIN_SECONDS (the final count is the job's own, saved when it finishes).
    """

    _side: BaseDatabaseWrapper | None
    _published_at: float | None

    def __init__(self, *, organization_id: int, job_id: int) -> None:
        self.organization_id, self.job_id = organization_id, job_id
        self._side, self._published_at = None, None
        if connection.vendor == "postgresql":
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, processed: int) -> None:
        now = time.monotonic()
        if self._published_at is not None and now - self._published_at < PROGRESS_MIN_SECONDS:
            return
        self._published_at = now
        try:
            if self._side is not None:
                self._publish_aside(processed)
            elif not connection.in_atomic_block:
                ImportJob.objects.filter(pk=self.job_id).update(processed_rows=processed)
        except DatabaseError as exc:
            log.warning("import %s: progress not published (%s)", self.job_id, exc)

    def _publish_aside(self, processed: int) -> None:
        side = self._side
        assert side is not None  # called only when there is a side connection
        table = side.ops.quote_name(ImportJob._meta.db_table)
        if side.get_autocommit():
            side.set_autocommit(False)
        try:
            with side.cursor() as cursor:
                enter_on(cursor, self.organization_id)
                cursor.execute(
                    f"UPDATE {table} SET processed_rows = %s WHERE id = %s AND organization_id = %s",  # noqa: S608
                    [processed, self.job_id, self.organization_id],
                )
            side.commit()
        except DatabaseError:
            side.rollback()
            raise

    def close(self) -> None:
        if self._side is not None:
            self._side.close()

    def __enter__(self) -> "JobProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_progress(processed: int) -> None:
    pass


# --- the job's life --------------------------------------------------------------------------------------------


def import_job_create(*, organization: Organization, actor: User, upload: File) -> ImportJob:
    """Store an uploaded file and queue its check. Refuses files over IMPORT_MAX_BYTES and files that are
    neither UTF-8 text nor an .xlsx workbook, with a message for the person uploading."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        limit, size = settings.IMPORT_MAX_BYTES / 1024 / 1024, upload.size / 1024 / 1024
        message = _("The file is %(size)s MB; files up to %(limit)s MB can be imported.")
        raise ValidationError({"file": message % {"size": f"{size:.1f}", "limit": f"{limit:.0f}"}})
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    try:
        kind = sniff_upload(head)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from None
    with transaction.atomic():
        job = ImportJob(
            organization=organization,
            original_name=(upload.name or f"upload.{kind}")[:255],
            created_by=actor,
            summary={"queued_at": timezone.now().isoformat()},
        )
        # The stored name is ours (organisation folder, random name): the uploaded name is only displayed.
        job.file.save(f"{organization.pk}/{uuid.uuid4().hex}.{kind}", upload, save=False)
        job.save(force_insert=True)
        queue_job_on_commit(VALIDATE_TASK, job)
    return job


def import_job_validate(*, job_id: int, progress: Callable[[int], None] = _no_progress) -> ImportJob | None:
    """Check every row of the file and leave the job in PREVIEW (or INVALID when it cannot be read)."""
    job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
    if job is None or job.status != Status.VALIDATING:
        return job  # cancelled, or already checked by an earlier delivery of the task
    staged = StagedRows()
    try:
        try:
            tally = _check_file(job, progress, staged)
        except ImportFileError as exc:
            _compare_and_swap(job.pk, "unreadable", message=str(exc), finished_at=timezone.now())
            return job
        staged_name = staged.store(job)
    finally:
        staged.close()
    try:
        return _keep_check(job, tally, staged_name)
    except BaseException:
        for name in (staged_name, tally.rejected):  # the job never came to point at them
            if name:
                staged_file_delete(name)
        raise


def _keep_check(job: ImportJob, tally: Tally, staged_name: str) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != Status.VALIDATING:  # cancelled while it was checked
            staged_rows_discard({"checked_rows": staged_name})
            rejected_rows_forget({"rejected_rows": tally.rejected})
        else:
            job.status = ImportJob.workflow.apply(job, "checked")["status"]
            job.total_rows = job.processed_rows = tally.rows
            job.valid_rows, job.error_rows, job.errors = tally.valid, tally.invalid, tally.errors
            job.summary = {
                **job.summary,
                "columns": tally.columns,
                "read_as": tally.sources,
                "preview": tally.preview,
                "error_count": tally.error_count,
                "checked_rows": staged_name,
                **({"rejected_rows": tally.rejected} if tally.rejected else {}),
            }
            job.save(
                update_fields=[
                    "status",
                    "total_rows",
                    "processed_rows",
                    "valid_rows",
                    "error_rows",
                    "errors",
                    "summary",
                ]
            )
    return job


def _check_file(job: ImportJob, progress: Callable[[int], None], staged: StagedRows) -> Tally:
    try:
        binary = job.file.open("rb")
    except OSError:
        raise ImportFileError(_("The uploaded file is no longer available: upload it again.")) from None
    with binary:
        header, rows = read_table(binary)
        columns, notes = header_columns(header)
        tally = Tally(columns, notes, header_sources(header, columns))
        rejected = RejectedRows(header, column_labels(header, columns))
        try:
            checker = RowChecker(columns=columns, owners=account_owner_emails(organization=job.organization))
            for number, cells in numbered_rows(rows):
                row, problems = checker.check(number, cells)
                tally.add(number, cells, problems)
                if row is not None:
                    staged.add(row)
                else:
                    rejected.add(number, cells, problems)
                if tally.rows % PROGRESS_EVERY == 0:
                    progress(tally.rows)
            tally.rejected = rejected.store(job) if tally.rows else None
        finally:
            rejected.close()
    if tally.rows == 0:
        raise ImportFileError(_("The file has no rows under its header."))
    return tally


def import_job_confirm(*, job: ImportJob, actor: User, mode: str) -> ImportJob:
    if mode not in Mode.values:
        raise ValidationError({"mode": _("Choose how to import.")})
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        job.status = ImportJob.workflow.apply(job, "confirm")["status"]
        job.mode, job.processed_rows = mode, 0
        job.summary = {
            **job.summary,
            "confirmed_by": actor.pk,
            "confirmed_by_email": actor.email,
            "queued_at": timezone.now().isoformat(),
        }
        job.save(update_fields=["status", "mode", "processed_rows", "summary"])
        queue_job_on_commit(RUN_TASK, job)
    return job


def import_job_cancel(*, job: ImportJob, actor: User) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        before = job.status
        job.status, job.finished_at = ImportJob.workflow.apply(job, "cancel")["status"], timezone.now()
        job.summary = staged_rows_discard(job.summary)
        job.save(update_fields=["status", "finished_at", "summary"])
        audit_record(
            organization=job.organization,
            actor=actor,
            action="import.cancel",
            **_audit_object(job),
            changes={"status": [before, job.status]},
        )
    return job


def import_job_requeue(*, job: ImportJob, actor: User) -> ImportJob:
    """Queue a waiting job's task again (the broker was down when it was first queued). Running the same task
    twice is harmless: each checks the job's status first, and the import holds a lock on its job."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in WAITING:
            raise ValidationError(_("This import is not waiting for a worker."))
        now = timezone.now().isoformat()
        job.summary = {**job.summary, "queued_at": now, "requeued": {"by": actor.email, "at": now}}
        job.save(update_fields=["summary"])
        queue_waiting_job_on_commit(job)
    return job


def import_job_fail(*, job_id: int, message: str) -> None:
    """A task gave up (crash, time limit, database gone): say so on the job instead of leaving it waiting."""
    with transaction.atomic():
        if _compare_and_swap(job_id, "fail", message=message, finished_at=timezone.now()):
            job = ImportJob.objects.get(pk=job_id)
            job.summary = staged_rows_discard(job.summary)
            job.save(update_fields=["summary"])


def _compare_and_swap(job_id: int, transition: str, **fields: Any) -> bool:
    """A worker's transition by compare-and-swap: it happens only if the job is still in one of its sources."""
    step = ImportJob.workflow[transition]
    return bool(ImportJob.objects.filter(pk=job_id, status__in=step.sources).update(status=step.target, **fields))


class _Refused(Exception):
    """All-or-nothing met an invalid row: leave the import's savepoint so that nothing it wrote remains."""


def import_job_run(*, job_id: int, progress: Callable[[int], None] = _no_progress) -> ImportJob | None:
    """Write the checked rows in one transaction (see the module docstring for the two modes)."""
    with transaction.atomic():
        _hold_job_lock(job_id)
        job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
        if job is None or job.status != Status.IMPORTING:
            return job  # already done by an earlier delivery of the task
        tally: Tally | None
        counts: Counts | None
        tally = counts = None
        try:
            with transaction.atomic(), _constraints_checked_per_statement():
                tally, counts = _import_rows(job, progress)
                if job.mode == Mode.ALL_OR_NOTHING and tally.invalid:
                    raise _Refused
                _finish(job, tally, counts)
        except _Refused:
            assert tally is not None  # _Refused comes after the rows were read
            # ngettext_lazy keyed by name: the catalogue tool (tests/i18n) extracts only calls of literal arguments.
            message = ngettext_lazy(
                "%(invalid)d of %(rows)d row has errors, so nothing was imported. Correct them and upload the file "
                "again, or choose to import only the valid rows.",
                "%(invalid)d of %(rows)d rows have errors, so nothing was imported. Correct them and upload the file "
                "again, or choose to import only the valid rows.",
                "rows",
            ) % {"invalid": tally.invalid, "rows": tally.rows}
            _finish(job, tally, None, status=Status.FAILED, message=message)
        except ImportFileError as exc:
            _finish(
                job, None, None, status=Status.FAILED, message=_("%(error)s Nothing was imported.") % {"error": exc}
            )
    return job


def _import_rows(job: ImportJob, progress: Callable[[int], None]) -> tuple[Tally, Counts]:
    """Write the rows the check kept; a row whose account owner is no longer one is now invalid. PostgreSQL
    writes them with a few set-based statements (import_sql), other databases through the ORM, batch by batch."""
    tally = _checked_tally(job)
    owners = set(account_owner_emails(organization=job.organization).values())
    if writes_set_based():
        return tally, _import_staged_sql(job, tally, owners, progress)
    writer, batch = directory_writer(job.organization), []
    refusing = job.mode == Mode.ALL_OR_NOTHING and tally.invalid > 0
    for done, row in enumerate(staged_rows_open(job), start=1):
        owner = row.customer.get("account_owner_id")
        if owner is not None and owner not in owners:
            tally.reject(row.number, [("account_owner_email", str(NO_OWNER))])
            refusing = refusing or job.mode == Mode.ALL_OR_NOTHING
        elif not refusing:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                writer.write(batch)
                batch = []
        if done % PROGRESS_EVERY == 0:
            progress(done)
    if batch and not refusing:
        writer.write(batch)
    tally.errors.sort(key=lambda error: error["row"])
    return tally, writer.counts


def writes_set_based() -> bool:
    """Whether the import writes with import_sql's statements (PostgreSQL) rather than the ORM."""
    return connection.vendor == "postgresql"


def _import_staged_sql(job: ImportJob, tally: Tally, owners: set[int], progress: Callable[[int], None]) -> Counts:
    staged = StagedImport(job)
    if job.mode == Mode.ALL_OR_NOTHING and tally.invalid:
        return staged.counts  # refused: nothing to write
    staged.load()
    if staged.drop_owners_gone(owners, tally) and job.mode == Mode.ALL_OR_NOTHING:
        return staged.counts
    staged.write()
    progress(tally.rows)
    return staged.counts


def _checked_tally(job: ImportJob) -> Tally:
    return Tally.of_check(
        columns=job.summary.get("columns", []),
        rows=job.total_rows,
        valid=job.valid_rows,
        errors=job.errors,
        error_count=job.summary.get("error_count", len(job.errors)),
    )


def _finish(
    job: ImportJob, tally: Tally | None, counts: Counts | None, *, status: str = Status.DONE, message: str = ""
) -> None:
    job.status = ImportJob.workflow.apply(job, "finish" if status == Status.DONE else "fail")["status"]
    job.message, job.finished_at = message, timezone.now()
    job.summary = staged_rows_discard(job.summary)
    if tally is not None:
        job.total_rows = job.processed_rows = tally.rows
        job.valid_rows, job.error_rows, job.errors = tally.valid, tally.invalid, tally.errors
        job.summary = {**job.summary, "error_count": tally.error_count, "skipped_rows": tally.invalid}
    if counts is not None:
        job.summary.update({kind: dict(outcomes) for kind, outcomes in counts.items()})
    job.save()
    if status == Status.DONE:
        assert tally is not None and counts is not None  # an import is done only when its rows were written
        changes = {
            f"{kind}_{outcome}": [None, counts[kind][outcome]]
            for kind in ("customers", "contacts")
            for outcome in ("created", "updated", "unchanged")
        }
        audit_record(
            organization=job.organization,
            actor=_confirmer(job),
            action="import.complete",
            **_audit_object(job),
            changes={
                "file": [None, job.original_name],
                "mode": [None, job.mode],
                "rows": [None, tally.rows],
                "skipped_rows": [None, tally.invalid],
                **changes,
            },
        )


class AuditObject(TypedDict):
    object_type: str
    object_id: str
    object_repr: str


def _audit_object(job: ImportJob) -> AuditObject:
    return {
        "object_type": object_type_of(job),
        "object_id": str(job.pk),
        "object_repr": f"Import of {job.original_name}",
    }


def _confirmer(job: ImportJob) -> User:
    user = get_user_model().objects.filter(pk=job.summary.get("confirmed_by")).first()
    return user or job.created_by


@contextmanager
def _constraints_checked_per_statement() -> Iterator[None]:
    """PostgreSQL checks Django's foreign keys (DEFERRABLE INITIALLY DEFERRED) one queued event at a time at
    commit, which costs an import of 50,000 rows more than a second; checked at the end of each bulk statement
    instead they cost a fraction of that. Our rows satisfy them statement by statement: customers go in first."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        yield
    finally:
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _hold_job_lock(job_id: int) -> None:
    """One import of a job at a time: a second delivery of the task waits here, then finds the job done.

    PostgreSQL: a transaction-scoped advisory lock (not a lock on the job's row, which the progress connection
    keeps updating). SQLite: the IMMEDIATE transaction already holds the database's single write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('customers.import'), %s)", [job_id % 2**31])


def queue_waiting_job_on_commit(job: ImportJob) -> None:
    """Queue the task a waiting job waits for: its check, or its import. Best effort, like the outbox nudge: a
    broker that is down never fails the request; the job page then says it is waiting for a worker and offers to
    queue it again, and the upkeep queues it again by itself."""
    queue_job_on_commit(VALIDATE_TASK if job.status == Status.VALIDATING else RUN_TASK, job)


def queue_job_on_commit(task_name: str, job: ImportJob) -> None:
    queue_on_commit(task_name, job.organization_id, job.pk)


# --- writing rows ----------------------------------------------------------------------------------------------
