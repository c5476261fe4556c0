"""The import pages: uploading (and refusing files), the job page while it waits and works, confirming and
cancelling, and who may do each."""

import csv
import io
import re

import pytest
from django.utils import timezone

from customers.models import ImportJob
from customers.services.imports import COLUMN_NAMES
from qms.tenancy.models import Role
from tests.factories import ImportJobFactory

from .conftest import create_job, csv_bytes, customers, fresh, row, upload, url, validate, xlsx_bytes

Status = ImportJob.Status


def _jobs(tenant) -> list[ImportJob]:
    with tenant.context():
        return list(ImportJob.objects.filter(organization=tenant.organization))


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_an_owner_or_manager_uploads_a_file_and_lands_on_its_job_page(alpha, login, role, media_root):
    response = login(alpha.member(role)).post(
        url("import_start", alpha), {"file": upload("my <b>list.csv", csv_bytes([row()]))}
    )
    (job,) = _jobs(alpha)
    assert response.status_code == 302
    assert response["Location"] == url("import_detail", alpha, job_id=job.pk)
    assert (job.status, job.created_by, job.original_name) == (
        Status.VALIDATING,
        alpha.member(role),
        "my <b>list.csv",
    )
    # Stored under the organisation's folder with a name of ours, never the uploaded one.
    assert job.file.name.startswith(f"imports/{alpha.organization.pk}/") and job.file.name.endswith(".csv")
    assert "list" not in job.file.name
    assert (media_root / job.file.name).read_bytes() == csv_bytes([row()])
    page = login(alpha.member(role)).get(response["Location"]).content.decode()
    assert "my &lt;b&gt;list.csv" in page and "<b>list" not in page


def test_the_job_page_says_it_waits_for_a_worker_and_polls_for_progress(alpha, login):
    client = login(alpha.manager)
    client.post(url("import_start", alpha), {"file": upload("list.csv", csv_bytes([row()]))})
    (job,) = _jobs(alpha)
    content = client.get(url("import_detail", alpha, job_id=job.pk)).content.decode()
    assert "Waiting for a worker" in content
    assert 'hx-trigger="every 1s"' in content
    assert url("import_progress", alpha, job_id=job.pk) in content
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in content  # without JavaScript


def test_a_job_waiting_a_while_offers_to_queue_it_again(alpha, login):
    job = create_job(alpha, csv_bytes([row()]))
    with alpha.context():
        queued = (timezone.now() - timezone.timedelta(minutes=2)).isoformat()
        ImportJob.objects.filter(pk=job.pk).update(summary={"queued_at": queued})
    client = login(alpha.manager)
    assert b"Queue it again" in client.get(url("import_detail", alpha, job_id=job.pk)).content
    response = client.post(url("import_requeue", alpha, job_id=job.pk))
    assert response.status_code == 302
    assert fresh(alpha, job).summary["requeued"]["by"] == "manager@alpha.test"


def test_a_job_that_is_not_waiting_cannot_be_queued_again(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    response = login(alpha.manager).post(url("import_requeue", alpha, job_id=job.pk), follow=True)
    assert b"not waiting for a worker" in response.content
    assert "requeued" not in fresh(alpha, job).summary


def test_the_progress_partial_shows_a_bar_while_importing(alpha, login):
    job = ImportJobFactory(
        organization=alpha.organization,
        created_by=alpha.manager,
        status=Status.IMPORTING,
        total_rows=4000,
        processed_rows=1000,
    )
    response = login(alpha.manager).get(url("import_progress", alpha, job_id=job.pk), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "1000 of 4000 rows" in content
    assert re.search(r'<progress [^>]*aria-label="Rows imported" value="25" max="100">', content)
    assert 'hx-trigger="every 1s"' in content
    assert "<html" not in content  # a fragment, not a page


def test_the_progress_partial_reloads_the_page_once_the_job_is_done(alpha, login):
    job = ImportJobFactory(organization=alpha.organization, created_by=alpha.manager, status=Status.DONE)
    response = login(alpha.manager).get(url("import_progress", alpha, job_id=job.pk), headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"


def test_the_preview_page_shows_the_first_rows_the_errors_and_the_choice_of_mode(alpha, login):
    rows = [
        row(),
        row(name="", ref="X-2", contact="Bea", email="bea@x.example"),
        row(ref="ACME-1", email="not-an-email"),
    ]
    job = validate(alpha, create_job(alpha, csv_bytes(rows)))
    content = login(alpha.manager).get(url("import_detail", alpha, job_id=job.pk)).content.decode()
    assert "Ready to import" in content
    assert "Acme Ltd" in content and "bea@x.example" in content  # the first rows
    assert "A customer name is required." in content
    assert "Enter a valid email address." in content
    assert 'value="valid_only"' in content and 'value="all"' in content
    assert "2 rows have errors" in content


def test_an_auditor_reads_an_import_but_cannot_confirm_it(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    client = login(alpha.auditor)
    page = client.get(url("import_detail", alpha, job_id=job.pk))
    assert page.status_code == 200
    assert url("import_confirm", alpha, job_id=job.pk).encode() not in page.content
    assert client.post(url("import_confirm", alpha, job_id=job.pk), {"mode": "all"}).status_code == 403
    assert fresh(alpha, job).status == Status.PREVIEW


def test_staff_may_not_import(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    client = login(alpha.staff)
    assert client.get(url("import_start", alpha)).status_code == 403
    assert client.post(url("import_start", alpha), {"file": upload("a.csv", csv_bytes([row()]))}).status_code == 403
    assert client.get(url("import_detail", alpha, job_id=job.pk)).status_code == 403
    assert client.post(url("import_confirm", alpha, job_id=job.pk), {"mode": "all"}).status_code == 403
    assert client.post(url("import_cancel", alpha, job_id=job.pk)).status_code == 403
    assert len(_jobs(alpha)) == 1 and fresh(alpha, job).status == Status.PREVIEW


def test_confirming_queues_the_import_with_the_chosen_mode(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    response = login(alpha.owner).post(url("import_confirm", alpha, job_id=job.pk), {"mode": "valid_only"})
    assert response.status_code == 302
    job = fresh(alpha, job)
    assert (job.status, job.mode, job.summary["confirmed_by_email"]) == (
        Status.IMPORTING,
        "valid_only",
        "owner@alpha.test",
    )
    assert customers(alpha) == []  # the worker writes, not the request


def test_a_job_cannot_be_confirmed_twice(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    client = login(alpha.manager)
    client.post(url("import_confirm", alpha, job_id=job.pk), {"mode": "all"})
    response = client.post(url("import_confirm", alpha, job_id=job.pk), {"mode": "valid_only"}, follow=True)
    assert b"no longer waiting to be confirmed" in response.content
    assert fresh(alpha, job).mode == "all"


def test_a_confirmation_without_a_mode_changes_nothing(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    response = login(alpha.manager).post(
        url("import_confirm", alpha, job_id=job.pk), {"mode": "everything!"}, follow=True
    )
    assert b"Choose how to import" in response.content
    assert fresh(alpha, job).status == Status.PREVIEW


def test_cancelling_a_preview_writes_nothing_and_is_audited(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    assert login(alpha.manager).post(url("import_cancel", alpha, job_id=job.pk)).status_code == 302
    assert fresh(alpha, job).status == Status.CANCELLED
    assert customers(alpha) == []
    from qms.audit.models import AuditEvent

    with alpha.context():
        assert AuditEvent.objects.filter(organization=alpha.organization, action="import.cancel").count() == 1


def test_another_organisations_import_is_not_found(alpha, bravo, login):
    theirs = validate(bravo, create_job(bravo, csv_bytes([row()])))
    client = login(alpha.owner)
    for name in ("import_detail", "import_progress"):
        assert client.get(url(name, alpha, job_id=theirs.pk)).status_code == 404
    for name in ("import_confirm", "import_cancel", "import_requeue"):
        assert client.post(url(name, alpha, job_id=theirs.pk), {"mode": "all"}).status_code == 404
    assert fresh(bravo, theirs).status == Status.PREVIEW


def test_the_import_page_documents_the_columns_and_the_template_has_them(alpha, login):
    client = login(alpha.manager)
    content = client.get(url("import_start", alpha)).content.decode()
    for name in COLUMN_NAMES:
        assert f"<code>{name}</code>" in content
    template = client.get(url("import_template", alpha))
    header, *examples = list(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert header == list(COLUMN_NAMES)
    assert examples


def test_the_template_imports_cleanly(alpha, login):
    template = login(alpha.manager).get(url("import_template", alpha)).content
    job = validate(alpha, create_job(alpha, template))
    assert (job.status, job.error_rows, job.valid_rows) == (Status.PREVIEW, 0, 3)


# --- files that are refused at the door ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "This is a .pdf file"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "This is a .png file"),
        ("noise.csv", bytes(range(256)) * 8, "not a CSV file"),
        ("latin1.csv", "customer_name\nCaf\xe9 Ol\xe9\n".encode("latin-1"), "not UTF-8"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, ".xls workbooks cannot be read"),
        ("empty.csv", b"", "The submitted file is empty."),
        ("blank.csv", b"   \n\n", "The file is empty."),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused_with_a_message(alpha, login, name, content, message):
    response = login(alpha.manager).post(url("import_start", alpha), {"file": upload(name, content)})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert _jobs(alpha) == []


def test_a_file_over_the_size_limit_is_refused_with_a_message(alpha, login, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    big = csv_bytes([row(contact=f"Person {n}", email=f"p{n}@acme.example") for n in range(20000)])
    assert len(big) > settings.IMPORT_MAX_BYTES
    response = login(alpha.manager).post(url("import_start", alpha), {"file": upload("big.csv", big)})
    assert response.status_code == 400
    assert "files up to 1 MB can be imported" in " ".join(response.context["form"].errors["file"])
    assert _jobs(alpha) == []


def test_an_xlsx_upload_is_accepted_whatever_its_name(alpha, login):
    response = login(alpha.manager).post(
        url("import_start", alpha), {"file": upload("export.bin", xlsx_bytes([row()]))}
    )
    assert response.status_code == 302
    (job,) = _jobs(alpha)
    assert job.file.name.endswith(".xlsx")
