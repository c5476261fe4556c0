"""Import tasks: ids in (organisation first), the organisation's context, one service call; retries live here."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qms.memory import memory_ceiling
from qms.queueing import retry_delay
from qms.tenancy.context import organization_context
from qms.tenancy.locale import language_for

from .models import ImportJob
from .services.import_upkeep import import_upkeep
from .services.imports import JobProgress, import_job_fail, import_job_run, import_job_validate

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger(__name__)

MAX_RETRIES = 5
# A 50 MB file is a few hundred thousand rows: far longer than the project's default limit of five minutes.
LIMITS = {"time_limit": 1800, "soft_time_limit": 1740}
GAVE_UP = _(
    "The import stopped before it finished, and nothing was written. Upload the file again; if it happens again, "
    "tell your administrator (the error is in the worker's log)."
)
OUT_OF_MEMORY = _(
    "Reading this file needed more memory than an import may use, so it was stopped and nothing was written. "
    "Split it into smaller files, or save it as CSV."
)


@shared_task(name="customers.import_validate", bind=True, acks_late=True, ignore_result=True, **LIMITS)
def import_validate(self: Task, organization_id: int, job_id: int) -> None:
    _run(self, import_job_validate, organization_id, job_id)


@shared_task(name="customers.import_run", bind=True, acks_late=True, ignore_result=True, **LIMITS)
def import_run(self: Task, organization_id: int, job_id: int) -> None:
    _run(self, import_job_run, organization_id, job_id)


@shared_task(name="customers.import_upkeep", acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=240)
def import_upkeep_task() -> None:
    """Beat, every minute: queue stranded import jobs again and delete expired import files."""
    done = import_upkeep()
    if any(done.values()):
        log.info("import upkeep: %(requeued)s job(s) queued again, %(files_deleted)s file(s) deleted", done)


@contextmanager
def _uploaders_language(job_id: int) -> Iterator[None]:
    """The job's row errors and messages are stored as written: in the language of whoever uploaded the file (their
    own, else the organisation's), who is the one to read them."""
    job = ImportJob.objects.select_related("created_by", "organization").filter(pk=job_id).first()
    user, organization = (job.created_by, job.organization) if job else (None, None)
    with translation.override(language_for(user=user, organization=organization)):
        yield


def _run(task: Task, service: Callable[..., ImportJob | None], organization_id: int, job_id: int) -> None:
    try:
        with JobProgress(organization_id=organization_id, job_id=job_id) as progress:
            # The ceiling is innermost: it is lifted before the context's own clean-up runs.
            with (
                organization_context(organization_id),
                _uploaders_language(job_id),
                memory_ceiling(settings.IMPORT_TASK_MEMORY_BYTES),
            ):
                service(job_id=job_id, progress=progress)
    except MemoryError:  # past the task's ceiling (qms/memory.py): this file, not the worker, is the problem
        _give_up(organization_id, job_id, message=OUT_OF_MEMORY)
    except OperationalError as exc:  # the database went away: try again later, then give up visibly
        if task.request.retries < MAX_RETRIES and not task.request.called_directly:
            raise task.retry(exc=exc, countdown=retry_delay(task.request.retries)) from exc
        _give_up(organization_id, job_id)
        raise
    except Exception:  # the time limit, or a bug: the job must not stay "waiting" for ever
        _give_up(organization_id, job_id)
        raise


def _give_up(organization_id: int, job_id: int, *, message: "StrOrPromise" = GAVE_UP) -> None:
    log.exception("import %s of organisation %s failed", job_id, organization_id)
    try:
        with organization_context(organization_id):
            import_job_fail(job_id=job_id, message=str(message))
    except Exception:  # noqa: BLE001 - already failing; the log above has the cause
        log.exception("import %s could not be marked failed", job_id)
