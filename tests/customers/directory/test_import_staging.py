"""The check runs once: it keeps the valid rows, normalised, and the import writes from them without reading the
uploaded file again. The kept rows hold people's details, so they go when the job ends, however it ends."""

import datetime

import pytest
from django.utils import timezone

from customers.models import ImportJob
from customers.services import imports
from customers.services.import_upkeep import import_upkeep
from customers.services.imports import import_job_cancel, import_job_confirm, import_job_fail
from customers.tasks import import_run

from .conftest import confirm_and_run, contacts, create_job, csv_bytes, customers, fresh, row, validate

Status, Mode = ImportJob.Status, ImportJob.Mode

ROWS = [
    row(name="Acme", ref="A-1", contact="Ann", email="Ann@Acme.example", consent="Granted", segment="Industrial"),
    row(name="Acme", ref="A-1", contact="Bob", email="", preferred_language="DE", segment="Industrial"),
    row(name="Globex", ref="", contact="", email=""),
    row(name="Initech", ref="I-1", email="not-an-email"),  # row 5: invalid, not kept
]


def _checked(tenant, media_root, rows=ROWS):
    job = validate(tenant, create_job(tenant, csv_bytes(rows)))
    assert job.status == Status.PREVIEW
    staged = media_root / job.summary["checked_rows"]
    assert staged.exists()
    return job, staged


def test_the_import_writes_the_checked_rows_without_reading_the_uploaded_file_again(alpha, media_root):
    job, _ = _checked(alpha, media_root)
    (media_root / job.file.name).write_bytes(csv_bytes([row(name="Changed after the check", ref="X-1")]))
    job = confirm_and_run(alpha, job, mode=Mode.VALID_ONLY)
    assert (job.status, job.total_rows, job.valid_rows, job.error_rows) == (Status.DONE, 4, 3, 1)
    assert [(e["row"], e["column"]) for e in job.errors] == [(5, "contact_email")]
    assert [(c.name, c.external_ref, c.segment) for c in customers(alpha)] == [
        ("Acme", "A-1", "Industrial"),
        ("Globex", "", ""),
    ]
    assert [(c.name, c.email, c.consent, c.preferred_language) for c in contacts(alpha)] == [
        ("Ann", "ann@acme.example", "granted", "en"),
        ("Bob", "", "unknown", "de"),
    ]


def test_all_or_nothing_refuses_a_file_the_check_found_errors_in(alpha, media_root):
    job, _ = _checked(alpha, media_root)
    job = confirm_and_run(alpha, job, mode=Mode.ALL_OR_NOTHING)
    assert job.status == Status.FAILED and job.message.startswith("1 of 4 rows have errors")
    assert customers(alpha) == []


def test_the_checked_rows_are_deleted_when_the_import_is_done(alpha, media_root, django_capture_on_commit_callbacks):
    job, staged = _checked(alpha, media_root)
    with django_capture_on_commit_callbacks(execute=True):
        job = confirm_and_run(alpha, job, mode=Mode.VALID_ONLY)
    assert job.status == Status.DONE and "checked_rows" not in job.summary
    assert not staged.exists()


def test_the_checked_rows_are_deleted_when_the_import_is_refused(alpha, media_root, django_capture_on_commit_callbacks):
    job, staged = _checked(alpha, media_root)
    with django_capture_on_commit_callbacks(execute=True):
        job = confirm_and_run(alpha, job, mode=Mode.ALL_OR_NOTHING)
    assert job.status == Status.FAILED and not staged.exists()


def test_the_checked_rows_are_deleted_when_the_job_is_cancelled(alpha, media_root, django_capture_on_commit_callbacks):
    job, staged = _checked(alpha, media_root)
    with alpha.context(), django_capture_on_commit_callbacks(execute=True):
        import_job_cancel(job=job, actor=alpha.manager)
    assert "checked_rows" not in fresh(alpha, job).summary and not staged.exists()


def test_the_checked_rows_are_deleted_when_the_task_gives_up(alpha, media_root, django_capture_on_commit_callbacks):
    job, staged = _checked(alpha, media_root)
    with alpha.context(), django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job, actor=alpha.manager, mode=Mode.VALID_ONLY)
        import_job_fail(job_id=job.pk, message="gave up")
    assert fresh(alpha, job).status == Status.FAILED and not staged.exists()


def test_the_checked_rows_of_an_expired_preview_are_deleted_with_its_file(
    alpha, media_root, django_capture_on_commit_callbacks
):
    job, staged = _checked(alpha, media_root)
    with alpha.context():
        ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    with django_capture_on_commit_callbacks(execute=True):
        import_upkeep()
    assert fresh(alpha, job).status == Status.CANCELLED and not staged.exists()


def test_a_second_delivery_of_the_import_after_its_rows_went_changes_nothing(alpha, media_root):
    job, _ = _checked(alpha, media_root)
    job = confirm_and_run(alpha, job, mode=Mode.VALID_ONLY)
    import_run.run(alpha.organization.pk, job.pk)
    assert fresh(alpha, job).status == Status.DONE and len(customers(alpha)) == 2


def test_only_the_valid_rows_of_a_file_with_none_imports_nothing_and_is_done(alpha, media_root):
    job, _ = _checked(alpha, media_root, rows=[row(email="not-an-email"), row(name="")])
    job = confirm_and_run(alpha, job, mode=Mode.VALID_ONLY)
    assert (job.status, job.valid_rows, job.error_rows) == (Status.DONE, 0, 2)
    assert customers(alpha) == [] and contacts(alpha) == []


def _staged_files(media_root) -> list:
    return list(media_root.rglob("*.checked.csv"))


def test_a_job_cancelled_while_it_was_checked_keeps_no_rows(
    alpha, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    job = create_job(alpha, csv_bytes(ROWS))
    check_file = imports._check_file

    def cancelled_meanwhile(job, progress, staged):
        tally = check_file(job, progress, staged)
        with alpha.context():
            import_job_cancel(job=job, actor=alpha.manager)
        return tally

    monkeypatch.setattr(imports, "_check_file", cancelled_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        job = validate(alpha, job)
    assert job.status == Status.CANCELLED and "checked_rows" not in job.summary
    assert _staged_files(media_root) == []


def test_a_check_that_fails_while_saving_its_result_keeps_no_rows(alpha, media_root, monkeypatch):
    job = create_job(alpha, csv_bytes(ROWS))

    def database_gone(*args):
        raise RuntimeError("database gone")

    monkeypatch.setattr(imports, "_keep_check", database_gone)
    with pytest.raises(RuntimeError):
        validate(alpha, job)
    assert _staged_files(media_root) == []


def test_kept_rows_keep_text_that_needs_quoting(alpha, media_root):
    odd = 'Two\nlines, a "quote" and \\ back'
    job, _ = _checked(alpha, media_root, rows=[row(name=odd, ref="", contact=odd, email="", region=odd)])
    job = confirm_and_run(alpha, job)
    assert job.status == Status.DONE, job.message
    assert [(c.name, c.region) for c in customers(alpha)] == [(odd, odd)]
    assert [c.name for c in contacts(alpha)] == [odd]
