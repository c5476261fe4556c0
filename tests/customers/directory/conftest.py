"""Helpers for the directory tests: uploaded files land in a temporary MEDIA_ROOT, and imports run through the
task functions themselves (`.run()`), exactly as a worker would run them, without a broker in between."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Contact, Customer, ImportJob
from customers.services.imports import import_job_confirm, import_job_create
from customers.tasks import import_run, import_validate
from tests.outbox.conftest import broker, redis_server  # noqa: F401 - the real-worker test's fixtures

HEADER = [
    "customer_name",
    "customer_kind",
    "segment",
    "region",
    "external_ref",
    "account_owner_email",
    "contact_name",
    "contact_email",
    "contact_phone",
    "preferred_language",
    "consent",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def csv_bytes(rows, header=HEADER, delimiter=",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(name="Acme Ltd", ref="ACME-1", contact="Ann Smith", email="ann@acme.example", **cells) -> list[str]:
    """One data row in HEADER order; keyword arguments set the other columns by name."""
    values = dict(customer_name=name, external_ref=ref, contact_name=contact, contact_email=email)
    values.update(cells)
    return [values.get(column, "") for column in HEADER]


def upload(name: str, content: bytes, content_type="text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def create_job(tenant, content: bytes, name="customers.csv", actor=None) -> ImportJob:
    with tenant.context():
        return import_job_create(
            organization=tenant.organization, actor=actor or tenant.manager, upload=upload(name, content)
        )


def validate(tenant, job) -> ImportJob:
    import_validate.run(tenant.organization.pk, job.pk)
    return fresh(tenant, job)


def confirm_and_run(tenant, job, mode=ImportJob.Mode.ALL_OR_NOTHING, actor=None) -> ImportJob:
    with tenant.context():
        import_job_confirm(job=job, actor=actor or tenant.manager, mode=mode)
    import_run.run(tenant.organization.pk, job.pk)
    return fresh(tenant, job)


def import_file(tenant, content: bytes, mode=ImportJob.Mode.ALL_OR_NOTHING, name="customers.csv") -> ImportJob:
    """Upload, check and import, the whole way a person and the worker would."""
    job = validate(tenant, create_job(tenant, content, name=name))
    assert job.status == ImportJob.Status.PREVIEW, job.message
    return confirm_and_run(tenant, job, mode=mode)


def fresh(tenant, job) -> ImportJob:
    with tenant.context():
        return ImportJob.objects.get(pk=job.pk)


def customers(tenant) -> list[Customer]:
    with tenant.context():
        return list(Customer.objects.filter(organization=tenant.organization).order_by("pk"))


def contacts(tenant) -> list[Contact]:
    with tenant.context():
        return list(Contact.objects.filter(organization=tenant.organization).select_related("customer").order_by("pk"))


def url(name: str, tenant, **kwargs) -> str:
    return reverse(f"customers:{name}", kwargs={"org_slug": tenant.slug, **kwargs})
