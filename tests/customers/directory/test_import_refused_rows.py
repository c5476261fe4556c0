"""The rows an import's check refused: downloaded as a CSV in the file's own columns with what is wrong with each
row, fixed and uploaded again as they are; kept only as long as the upload; and the preview pages through every
row of the file, each marked valid or with its problem."""

import csv
import datetime
import io
from pathlib import Path

from django.conf import settings
from django.core.paginator import Paginator
from django.utils import timezone

from customers.models import ImportJob
from customers.services.import_rejected import PreviewRows
from customers.services.import_upkeep import import_upkeep

from .conftest import HEADER, confirm_and_run, create_job, csv_bytes, customers, fresh, row, url, validate

Status = ImportJob.Status


def _download(client, tenant, job) -> list[list[str]]:
    response = client.get(url("import_rejected", tenant, job_id=job.pk))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_refused_rows_download_in_the_files_own_columns_with_what_is_wrong(alpha, login):
    header = ["Company", "E-mail", "contact_name", "Notes"]  # aliases and a column the import ignores
    rows = [
        ["Acme", "ann@acme.example", "Ann", "first"],
        ["Acme", "nope@", "Bob", "second"],
        ["", "cy@acme.example", "Cy", "third"],
        ["Globex", "dee@globex.example", "Dee", "fourth"],
    ]
    job = validate(alpha, create_job(alpha, csv_bytes(rows, header=header), name="crm export.csv"))
    assert (job.valid_rows, job.error_rows) == (2, 2)
    response = login(alpha.auditor).get(url("import_rejected", alpha, job_id=job.pk))
    assert 'filename="crm export-refused-rows.csv"' in response["Content-Disposition"]
    assert _download(login(alpha.manager), alpha, job) == [
        [*header, "Problem", "Row in the uploaded file"],
        ["Acme", "nope@", "Bob", "second", "E-mail: Enter a valid email address.", "3"],
        ["", "cy@acme.example", "Cy", "third", "Company: A customer name is required.", "4"],
    ]


def test_the_refused_rows_fixed_import_as_they_are(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row(), row(ref="B-1", email="bad@"), row(ref="C-1", email="")])))
    confirm_and_run(alpha, job, mode=ImportJob.Mode.VALID_ONLY)
    refused = _download(login(alpha.manager), alpha, job)
    assert [cells[HEADER.index("external_ref")] for cells in refused[1:]] == ["B-1"]
    refused[1][HEADER.index("contact_email")] = "bea@b.example"  # the person fixes the row
    buffer = io.StringIO()
    csv.writer(buffer).writerows(refused)
    again = validate(alpha, create_job(alpha, buffer.getvalue().encode()))
    assert (again.status, again.valid_rows, again.error_rows) == (Status.PREVIEW, 1, 0)
    assert [error["message"] for error in again.errors] == ["Unknown column: it is ignored."] * 2  # our two columns
    confirm_and_run(alpha, again)
    assert sorted(c.external_ref for c in customers(alpha)) == ["ACME-1", "B-1", "C-1"]


def test_a_formula_in_a_refused_row_is_neutralised_and_imports_back_as_it_was(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row(name="=HYPERLINK(1)", email="bad@")])))
    refused = _download(login(alpha.manager), alpha, job)
    assert refused[1][0] == "'=HYPERLINK(1)"  # a spreadsheet shows it as text
    refused[1][HEADER.index("contact_email")] = "ok@x.example"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(refused)
    again = confirm_and_run(alpha, validate(alpha, create_job(alpha, buffer.getvalue().encode())))
    assert again.status == Status.DONE
    assert [c.name for c in customers(alpha)] == ["=HYPERLINK(1)"]


def test_a_file_with_no_refused_row_has_nothing_to_download(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    response = login(alpha.manager).get(url("import_rejected", alpha, job_id=job.pk))
    assert response.status_code == 404
    assert "no row was refused" in response.content.decode()


def test_the_refused_rows_go_with_the_upload_when_its_retention_ends(alpha, login, django_capture_on_commit_callbacks):
    job = confirm_and_run(
        alpha,
        validate(alpha, create_job(alpha, csv_bytes([row(), row(ref="B", email="x@")]))),
        ImportJob.Mode.VALID_ONLY,
    )
    refused = Path(settings.MEDIA_ROOT) / job.summary["rejected_rows"]
    assert refused.exists()
    with alpha.context():
        ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - datetime.timedelta(days=400))
    with django_capture_on_commit_callbacks(execute=True):
        assert import_upkeep()["files_deleted"] == 1
    assert not refused.exists()
    assert "rejected_rows" not in fresh(alpha, job).summary
    response = login(alpha.manager).get(url("import_rejected", alpha, job_id=job.pk))
    assert response.status_code == 410
    assert f"deleted {settings.IMPORT_FILE_RETENTION_DAYS} days after" in response.content.decode()


def test_the_preview_pages_through_every_row_each_with_its_problem(alpha):
    rows = [row(ref=f"R-{n}", email=f"p{n}@x.example" if n % 7 else "bad@") for n in range(120)]
    rows.insert(50, [""] * len(HEADER))  # a blank row: skipped, numbered
    job = validate(alpha, create_job(alpha, csv_bytes(rows)))
    assert (job.total_rows, job.error_rows) == (120, 18)
    with alpha.context():
        page = Paginator(PreviewRows(job), 50).page(2)
    assert [r.number for r in page] == list(range(53, 103))  # the blank row 52 is not a row
    by_number = {r.number: r for r in page}
    assert by_number[59].problem == "contact_email: Enter a valid email address."  # 56 % 7 == 0
    assert by_number[60].problem == "" and by_number[60].cells[HEADER.index("external_ref")] == "R-57"
    assert page.paginator.num_pages == 3


def test_an_import_under_way_says_how_long_the_rest_will_take(alpha, login):
    job = validate(alpha, create_job(alpha, csv_bytes([row(ref=f"R-{n}", email=f"r{n}@x.example") for n in range(4)])))
    queued = timezone.now() - datetime.timedelta(seconds=30)
    with alpha.context():
        ImportJob.objects.filter(pk=job.pk).update(
            status=Status.IMPORTING, total_rows=400, processed_rows=100, summary={"queued_at": queued.isoformat()}
        )
    context = login(alpha.manager).get(url("import_progress", alpha, job_id=job.pk)).context
    assert context["percent"] == 25
    assert datetime.timedelta(seconds=89) <= context["time_left"] <= datetime.timedelta(seconds=92)  # 30 s a quarter
    with alpha.context():
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=0)
    assert login(alpha.manager).get(url("import_progress", alpha, job_id=job.pk)).context["time_left"] is None


def test_the_import_page_pages_through_the_rows_and_offers_the_refused_ones(alpha, login):
    rows = [row(ref=f"R-{n}", email=f"p{n}@x.example" if n != 30 else "bad@") for n in range(60)]
    job = validate(alpha, create_job(alpha, csv_bytes(rows)))
    client = login(alpha.manager)
    first = client.get(url("import_detail", alpha, job_id=job.pk)).content.decode()
    assert "R-0<" in first and "R-24<" in first and "R-25<" not in first  # 25 rows a page
    assert "Download the 1 refused row" in first
    third = client.get(url("import_detail", alpha, job_id=job.pk), {"rows": 2, "page": 1}).content.decode()
    assert "R-25<" in third and "R-30<" in third and "contact_email: Enter a valid email address." in third
    assert "rows=3" in third and "page=1" in third  # the next page of rows keeps the errors' page
