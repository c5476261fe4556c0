"""An import through the real moving parts: the pages queue the tasks on commit to a real Redis, and an
in-process Celery worker (tests/outbox/conftest.py) checks and imports the file. With Redis down the upload still
works and the job waits for a worker, which picks it up once Redis is back and the job is queued again."""

import time

import pytest

from customers.models import ImportJob
from tests.outbox.conftest import running_worker

from .conftest import contacts, csv_bytes, customers, row, upload, url

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

Status = ImportJob.Status
ROWS = [
    row(name="Acme", ref="A-1", contact="Ann", email="ann@acme.example"),
    row(name="Acme", ref="A-1", contact="Bob", email="bob@acme.example"),
    row(name="", ref="X-1", contact="Nobody", email="nobody@x.example"),  # row 4: no customer name
]


def _only_job(tenant) -> ImportJob:
    with tenant.context():
        return ImportJob.objects.get(organization=tenant.organization)


def test_a_real_worker_checks_the_upload_and_then_imports_it(alpha, login, broker):
    client = login(alpha.manager)
    with running_worker(broker) as worker:
        response = client.post(url("import_start", alpha), {"file": upload("crm.csv", csv_bytes(ROWS))})
        assert response.status_code == 302
        worker.drain()
        job = _only_job(alpha)
        assert (job.status, job.valid_rows, job.error_rows) == (Status.PREVIEW, 2, 1)
        assert customers(alpha) == []

        page = client.get(url("import_detail", alpha, job_id=job.pk)).content.decode()
        assert "Ready to import" in page and "A customer name is required." in page

        client.post(url("import_confirm", alpha, job_id=job.pk), {"mode": "valid_only"})
        worker.drain()

    job = _only_job(alpha)
    assert job.status == Status.DONE, job.message
    assert job.summary["contacts"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert [c.name for c in customers(alpha)] == ["Acme"]
    assert sorted(c.email for c in contacts(alpha)) == ["ann@acme.example", "bob@acme.example"]


def test_an_upload_while_redis_is_down_waits_for_a_worker_and_can_be_queued_again(alpha, login, broker, redis_server):
    client = login(alpha.manager)
    redis_server.stop()
    started = time.monotonic()
    response = client.post(url("import_start", alpha), {"file": upload("crm.csv", csv_bytes(ROWS[:2]))})
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 5, f"the upload waited {elapsed:.1f} s on the unreachable broker"
    job = _only_job(alpha)
    assert job.status == Status.VALIDATING
    assert "Waiting for a worker" in client.get(url("import_detail", alpha, job_id=job.pk)).content.decode()

    redis_server.start()
    with running_worker(broker) as worker:
        assert client.post(url("import_requeue", alpha, job_id=job.pk)).status_code == 302
        worker.drain()
    assert _only_job(alpha).status == Status.PREVIEW
