"""The import itself (the task a worker runs after confirmation): all or nothing, or only the valid rows;
customers upserted by external reference (else exact name), contacts by email (else name within the customer);
counts of what was created, updated and left alone; one audit event per import."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from customers.models import ImportJob
from customers.services import imports
from customers.tasks import import_run
from qms.audit.models import AuditEvent
from qms.tenancy.context import enter_on
from qms.tenancy.models import Membership
from tests.conftest import IS_POSTGRES
from tests.factories import ContactFactory, CustomerFactory, MembershipFactory

from .conftest import (
    confirm_and_run,
    contacts,
    create_job,
    csv_bytes,
    customers,
    fresh,
    import_file,
    row,
    validate,
    xlsx_bytes,
)

Status, Mode = ImportJob.Status, ImportJob.Mode


def _events(tenant, action=None) -> list[AuditEvent]:
    with tenant.context():
        events = AuditEvent.objects.filter(organization=tenant.organization)
        return list(events.filter(action=action) if action else events)


GOOD_AND_BAD = [
    row(name="Acme", ref="A-1", contact="Ann", email="ann@acme.example", segment="Industrial"),
    row(name="Acme", ref="A-1", contact="Bob", email="bob@acme.example", segment="Industrial"),
    row(name="Globex", ref="G-1", contact="Hank", email="not-an-email"),  # row 4: invalid
    row(name="Initech", ref="I-1", contact="", email=""),  # a customer without contacts
]


def test_all_or_nothing_writes_nothing_when_a_row_is_invalid(alpha):
    events_before = len(_events(alpha))
    job = import_file(alpha, csv_bytes(GOOD_AND_BAD), mode=Mode.ALL_OR_NOTHING)
    assert job.status == Status.FAILED
    assert job.message.startswith("1 of 4 rows have errors, so nothing was imported.")
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "contact_email")]
    assert customers(alpha) == [] and contacts(alpha) == []
    assert len(_events(alpha)) == events_before


def test_all_or_nothing_writes_nothing_even_when_the_bad_row_comes_after_a_full_batch(alpha, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)  # rows 2-5 are written in two batches before row 6 is seen
    rows = [row(name=f"C{n}", ref=f"C-{n}", email=f"p{n}@x.example") for n in range(4)] + [row(name="")]
    job = import_file(alpha, csv_bytes(rows), mode=Mode.ALL_OR_NOTHING)
    assert (job.status, job.error_rows) == (Status.FAILED, 1)
    assert customers(alpha) == [] and contacts(alpha) == []


def test_valid_only_writes_the_valid_rows_and_counts_the_skipped_ones(alpha):
    job = import_file(alpha, csv_bytes(GOOD_AND_BAD), mode=Mode.VALID_ONLY)
    assert job.status == Status.DONE
    assert [c.name for c in customers(alpha)] == ["Acme", "Initech"]
    assert [(c.name, c.customer.name) for c in contacts(alpha)] == [("Ann", "Acme"), ("Bob", "Acme")]
    assert job.summary["customers"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert job.summary["contacts"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert (job.summary["skipped_rows"], job.valid_rows, job.error_rows) == (1, 3, 1)


def test_an_import_writes_one_audit_event_with_its_counts(alpha):
    rows = [row(name=f"C{n}", ref=f"C-{n}", email=f"p{n}@x.example") for n in range(30)]
    job = import_file(alpha, csv_bytes(rows), name="crm.csv")
    (event,) = _events(alpha)
    assert (event.action, event.object_type, event.object_id) == ("import.complete", "customers.importjob", str(job.pk))
    assert event.actor == alpha.manager  # who confirmed
    assert event.changes["customers_created"] == [None, 30]
    assert event.changes["contacts_created"] == [None, 30]
    assert event.changes["file"] == [None, "crm.csv"]


def test_a_customer_is_updated_by_its_external_reference_and_a_contact_by_its_email(alpha):
    acme = CustomerFactory(organization=alpha.organization, name="Acme (old name)", external_ref="A-1", segment="Old")
    ann = ContactFactory(customer=acme, name="Ann Old", email="ann@acme.example", phone="1")
    other = CustomerFactory(organization=alpha.organization, name="Elsewhere", external_ref="E-1")
    moved = ContactFactory(customer=other, name="Mo", email="mo@acme.example")
    rows = [
        row(name="Acme", ref="A-1", contact="Ann", email="ANN@acme.example", segment="Industrial", contact_phone="2"),
        row(name="Acme", ref="A-1", contact="Mo", email="mo@acme.example", segment="Industrial"),
        row(name="Acme", ref="A-1", contact="New Person", email="new@acme.example", segment="Industrial"),
    ]
    job = import_file(alpha, csv_bytes(rows))
    assert job.summary["customers"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert job.summary["contacts"] == {"created": 1, "updated": 2, "unchanged": 0}
    by_email = {c.email: c for c in contacts(alpha)}
    assert (by_email["ann@acme.example"].pk, by_email["ann@acme.example"].name, by_email["ann@acme.example"].phone) == (
        ann.pk,
        "Ann",
        "2",
    )
    assert (by_email["mo@acme.example"].pk, by_email["mo@acme.example"].customer_id) == (moved.pk, acme.pk)
    assert {c.pk: (c.name, c.segment) for c in customers(alpha)}[acme.pk] == ("Acme", "Industrial")


def test_a_customer_without_a_reference_is_found_by_its_exact_name(alpha):
    hopper = CustomerFactory(organization=alpha.organization, name="Grace Hopper", external_ref="", kind="person")
    CustomerFactory(organization=alpha.organization, name="grace hopper", external_ref="")
    job = import_file(
        alpha, csv_bytes([row(name="Grace Hopper", ref="", contact="Grace", email="g@navy.example", region="East")])
    )
    assert job.summary["customers"] == {"created": 0, "updated": 1, "unchanged": 0}
    (contact,) = contacts(alpha)
    assert contact.customer_id == hopper.pk
    assert {c.pk: c.region for c in customers(alpha)}[hopper.pk] == "East"


def test_a_contact_without_email_is_found_by_name_within_its_customer(alpha):
    acme = CustomerFactory(organization=alpha.organization, name="Acme", external_ref="A-1")
    desk = ContactFactory(customer=acme, name="Front Desk", email="", phone="1")
    job = import_file(
        alpha, csv_bytes([row(name="Acme", ref="A-1", contact="Front Desk", email="", contact_phone="2")])
    )
    assert job.summary["contacts"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert [(c.pk, c.phone) for c in contacts(alpha)] == [(desk.pk, "2")]


def test_importing_the_same_file_twice_leaves_everything_unchanged_the_second_time(alpha):
    content = csv_bytes(GOOD_AND_BAD[:2] + GOOD_AND_BAD[3:])
    import_file(alpha, content)
    before = [(c.pk, c.updated_at) for c in customers(alpha)] + [(c.pk, c.updated_at) for c in contacts(alpha)]
    second = import_file(alpha, content)
    assert second.summary["customers"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert second.summary["contacts"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert [(c.pk, c.updated_at) for c in customers(alpha)] + [(c.pk, c.updated_at) for c in contacts(alpha)] == before


def test_the_same_reference_in_another_organisation_is_left_alone(alpha, bravo):
    theirs = CustomerFactory(organization=bravo.organization, name="Bravo's Acme", external_ref="A-1")
    ContactFactory(customer=theirs, email="ann@acme.example", name="Bravo Ann")
    import_file(alpha, csv_bytes([row(name="Acme", ref="A-1", email="ann@acme.example")]))
    assert [c.name for c in customers(bravo)] == ["Bravo's Acme"]
    assert [c.name for c in contacts(bravo)] == ["Bravo Ann"]
    assert [c.name for c in customers(alpha)] == ["Acme"]


def test_consent_from_the_file_is_dated_and_an_empty_cell_keeps_the_current_state(alpha):
    acme = CustomerFactory(organization=alpha.organization, name="Acme", external_ref="A-1")
    stamped = timezone.now() - timezone.timedelta(days=10)
    kept = ContactFactory(
        customer=acme,
        name="Kept",
        email="kept@acme.example",
        consent="opted_out",
        consent_changed_at=stamped,
        preferred_language="de",
    )
    changed = ContactFactory(customer=acme, name="Changed", email="changed@acme.example", consent="unknown")
    rows = [
        row(name="Acme", ref="A-1", contact="Kept", email="kept@acme.example", consent="", preferred_language=""),
        row(name="Acme", ref="A-1", contact="Changed", email="changed@acme.example", consent="Opted out"),
        row(name="Acme", ref="A-1", contact="New", email="new@acme.example", consent="granted"),
    ]
    import_file(alpha, csv_bytes(rows))
    by_email = {c.email: c for c in contacts(alpha)}
    assert (by_email[kept.email].consent, by_email[kept.email].consent_changed_at) == ("opted_out", stamped)
    assert by_email[kept.email].preferred_language == "de"
    assert by_email[changed.email].consent == "opted_out" and by_email[changed.email].consent_changed_at is not None
    assert by_email["new@acme.example"].consent == "granted" and by_email["new@acme.example"].consent_changed_at
    assert by_email["new@acme.example"].preferred_language == "en"


def test_columns_left_out_of_the_file_are_not_changed(alpha):
    acme = CustomerFactory(
        organization=alpha.organization,
        name="Acme",
        external_ref="A-1",
        segment="Industrial",
        region="North",
        account_owner=alpha.staff,
    )
    ContactFactory(customer=acme, name="Ann", email="ann@acme.example", phone="+1 555 0100")
    content = csv_bytes(
        [["A-1", "Acme", "Ann", "ann@acme.example"]],
        header=["external_ref", "customer_name", "contact_name", "contact_email"],
    )
    job = import_file(alpha, content)
    assert job.summary["customers"]["unchanged"] == 1 and job.summary["contacts"]["unchanged"] == 1
    (customer,) = customers(alpha)
    assert (customer.segment, customer.region, customer.account_owner_id) == ("Industrial", "North", alpha.staff.pk)
    assert contacts(alpha)[0].phone == "+1 555 0100"


def test_an_xlsx_workbook_imports(alpha):
    rows = [
        row(
            name="Acme",
            ref=1001,
            contact="Ann",
            email="ann@acme.example",
            contact_phone="+44 20 7946 0000",
            account_owner_email="manager@alpha.test",
        )
    ]
    job = import_file(alpha, xlsx_bytes(rows), name="crm.xlsx")
    assert job.status == Status.DONE
    (customer,) = customers(alpha)
    assert (customer.name, customer.external_ref, customer.account_owner) == ("Acme", "1001", alpha.manager)
    assert contacts(alpha)[0].phone == "+44 20 7946 0000"


def test_the_rows_are_checked_again_when_imported(alpha):
    """Between the preview and the import an account owner left: that row is now invalid and is skipped."""
    leaver = MembershipFactory(organization=alpha.organization, role="staff").user
    rows = [row(account_owner_email=leaver.email), row(name="Other", ref="O-1", email="o@o.example")]
    job = validate(alpha, create_job(alpha, csv_bytes(rows)))
    assert job.error_rows == 0
    with alpha.context():
        Membership.objects.filter(organization=alpha.organization, user=leaver).update(removed_at=timezone.now())
    job = confirm_and_run(alpha, job, mode=Mode.VALID_ONLY)
    assert (job.status, job.error_rows) == (Status.DONE, 1)
    assert [c.name for c in customers(alpha)] == ["Other"]


def test_a_second_delivery_of_the_import_task_changes_nothing(alpha):
    job = import_file(alpha, csv_bytes([row()]))
    events = len(_events(alpha))
    import_run.run(alpha.organization.pk, job.pk)
    assert fresh(alpha, job).status == Status.DONE
    assert len(customers(alpha)) == 1 and len(_events(alpha)) == events


def test_an_unconfirmed_or_cancelled_job_is_not_imported(alpha):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    import_run.run(alpha.organization.pk, job.pk)
    assert fresh(alpha, job).status == Status.PREVIEW
    assert customers(alpha) == []


@pytest.mark.django_db(transaction=True)  # as in a worker: the task's transaction is the outermost one
def test_a_task_that_crashes_marks_its_job_failed_instead_of_waiting_for_ever(alpha, media_root):
    job = validate(alpha, create_job(alpha, csv_bytes([row()])))
    with alpha.context():
        imports.import_job_confirm(job=job, actor=alpha.manager, mode=Mode.ALL_OR_NOTHING)
    (media_root / fresh(alpha, job).summary["checked_rows"]).unlink()  # the checked rows vanished
    with pytest.raises(FileNotFoundError):
        import_run.run(alpha.organization.pk, job.pk)
    job = fresh(alpha, job)
    assert job.status == Status.FAILED
    assert "nothing was written" in job.message
    assert customers(alpha) == []


# --- progress, seen from another connection --------------------------------------------------------------------


def _seen_elsewhere(tenant, sql, params=()):
    """What a job page would read right now: a separate connection, outside the task's transaction."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        other.set_autocommit(False)  # one transaction, which the organisation context's seal is bound to
        with other.cursor() as cursor:
            if other.vendor == "postgresql":
                enter_on(cursor, tenant.organization.pk)
            cursor.execute(sql, params)
            return cursor.fetchone()[0]
    finally:
        other.rollback()
        other.close()


def _processed_rows_seen_elsewhere(tenant, job_id) -> int:
    return _seen_elsewhere(tenant, "SELECT processed_rows FROM customers_importjob WHERE id = %s", [job_id])


class WatchedProgress(imports.JobProgress):
    def __init__(self, *, tenant, **kwargs):
        super().__init__(**kwargs)
        self.tenant, self.seen = tenant, []

    def __call__(self, processed):
        super().__call__(processed)
        self.seen.append(_processed_rows_seen_elsewhere(self.tenant, self.job_id))


def _many_rows(count):
    return csv_bytes(
        [row(name=f"C{n // 2}", ref=f"C-{n // 2}", contact=f"P{n}", email=f"p{n}@x.example") for n in range(count)]
    )


@pytest.mark.django_db(transaction=True)
def test_the_check_publishes_its_progress_before_it_finishes(alpha, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 100)
    monkeypatch.setattr(imports, "PROGRESS_MIN_SECONDS", 0)
    job = create_job(alpha, _many_rows(350))
    progress = WatchedProgress(tenant=alpha, organization_id=alpha.organization.pk, job_id=job.pk)
    with progress, alpha.context():
        imports.import_job_validate(job_id=job.pk, progress=progress)
    assert progress.seen == [100, 200, 300]
    assert fresh(alpha, job).processed_rows == 350


@pytest.mark.django_db(transaction=True)
def test_progress_is_published_at_most_every_few_tenths_of_a_second(alpha, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 100)
    monkeypatch.setattr(imports, "PROGRESS_MIN_SECONDS", 3600)
    job = create_job(alpha, _many_rows(350))
    progress = WatchedProgress(tenant=alpha, organization_id=alpha.organization.pk, job_id=job.pk)
    with progress, alpha.context():
        imports.import_job_validate(job_id=job.pk, progress=progress)
    assert progress.seen == [100, 100, 100]  # the first count went out; the next two came too soon
    assert fresh(alpha, job).processed_rows == 350  # the finished job has its own count


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite has one writer: the import's progress lands when it commits")
def test_the_import_publishes_its_progress_while_its_transaction_is_still_open(alpha, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 100)
    monkeypatch.setattr(imports, "PROGRESS_MIN_SECONDS", 0)
    monkeypatch.setattr(imports, "BATCH_ROWS", 100)
    job = validate(alpha, create_job(alpha, _many_rows(350)))
    with alpha.context():
        imports.import_job_confirm(job=job, actor=alpha.manager, mode=Mode.ALL_OR_NOTHING)
    progress = WatchedProgress(tenant=alpha, organization_id=alpha.organization.pk, job_id=job.pk)
    with progress, alpha.context():
        imports.import_job_run(job_id=job.pk, progress=progress)
        assert connection.in_atomic_block  # the task's transaction has not committed yet...
        assert _processed_rows_seen_elsewhere(alpha, job.pk) == 350  # ...but its progress is visible
        assert _seen_elsewhere(alpha, "SELECT count(*) FROM customers_contact") == 0  # and its rows are not
    assert progress.seen == [350]  # written by a few set-based statements: published once they have run
    job = fresh(alpha, job)
    assert (job.status, job.processed_rows, job.total_rows) == (Status.DONE, 350, 350)
    assert len(contacts(alpha)) == 350
