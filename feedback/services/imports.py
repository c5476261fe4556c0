"""Import of customers and contacts from a CSV or XLSX file: read, check every row, preview, then write.

The life of an ImportJob:

    upload ─> VALIDATING ─(task: check every row)─> PREVIEW ─(confirm, with a mode)─> IMPORTING ─(task)─> DONE
                 └─> INVALID (file unreadable)          └─> CANCELLED                    └─> FAILED

Both tasks read the stored file from the start. The import checks every row again, because the directory may
have changed since the preview (a member left, a contact was added by hand), and writes in one transaction:
in all-or-nothing mode a single bad row rolls everything back, in valid-only mode bad rows are skipped.
The import appends ONE audit event per job ("import.complete" with its counts), not one per row: a 50,000-row
file would otherwise bury the trail, and the job itself (file, person, errors, counts) is the detailed record.
"""

import codecs
import csv
import datetime
import io
import logging
import random
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from feedback.models import Contact, Customer, ImportJob
from feedback.selectors.directory import account_owner_emails
from qms.audit.services import audit_record
from qms.listing import FORMULA_PREFIXES

from .customers import email_address, language_code, phone_number
from .import_writers import PostgresRows

log = logging.getLogger(__name__)
Status, Mode, Consent = ImportJob.Status, ImportJob.Mode, Contact.Consent

BATCH_ROWS = 2000
PROGRESS_EVERY = 1000
MAX_ERRORS_KEPT = 1000
PREVIEW_ROWS = 10
SNIFF_BYTES = 8192
QUEUE_TIMEOUT_SECONDS = 1
WAITING = (Status.VALIDATING, Status.IMPORTING)
FORMULA_STARTS = frozenset(FORMULA_PREFIXES)


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    required: bool = False


COLUMNS = (
    Column("customer_name", "The customer's name. Every row of one customer repeats its details.", required=True),
    Column("customer_kind", "organisation or person. Empty keeps the current kind (a new customer: organisation)."),
    Column("segment", "Free text, such as Industrial."),
    Column("region", "Free text, such as North."),
    Column("external_ref", "Your CRM's reference. A customer is found by it; without one, by its exact name."),
    Column("account_owner_email", "Email of an owner, manager or staff member of this organisation."),
    Column("contact_name", "Required when the row has any contact details; leave them all empty for none."),
    Column("contact_email", "A contact is found by email; without one, by its name within the customer."),
    Column("contact_phone", "Digits, spaces, + ( ) - . / and an optional extension (x12)."),
    Column("preferred_language", "A code such as en, de or fr-ca. Empty keeps the current one (new: en)."),
    Column("consent", "granted, opted_out or unknown. Empty keeps the current state (new: unknown)."),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
CUSTOMER_FIELDS = {  # column -> model attribute
    "customer_name": "name",
    "customer_kind": "kind",
    "segment": "segment",
    "region": "region",
    "external_ref": "external_ref",
    "account_owner_email": "account_owner_id",
}
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_phone", "preferred_language", "consent")
TEMPLATE_ROWS = [
    line.split("|")
    for line in (
        "Northwind Components|organisation|Industrial|North|CRM-00042||Ada Lovelace|ada@northwind.example|"
        "+44 20 7946 0001|en|granted",
        "Northwind Components|organisation|Industrial|North|CRM-00042||Charles Babbage|charles@northwind.example||en|"
        "unknown",
        "Grace Hopper|person|Retail|South|CRM-00043||Grace Hopper|grace@example.com||en-us|opted_out",
    )
]
KINDS = {
    "organisation": Customer.Kind.ORGANISATION,
    "organization": Customer.Kind.ORGANISATION,
    "person": Customer.Kind.PERSON,
}
CONSENTS = {
    "unknown": Consent.UNKNOWN,
    "not asked": Consent.UNKNOWN,
    "granted": Consent.GRANTED,
    "consented": Consent.GRANTED,
    "opted_out": Consent.OPTED_OUT,
    "opted out": Consent.OPTED_OUT,
    "opted-out": Consent.OPTED_OUT,
}
TEXT_LIMITS = {"customer_name": 200, "segment": 100, "region": 100, "external_ref": 100, "contact_name": 200}
NOT_UTF8 = "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)” or as an .xlsx workbook."


# --- reading a file --------------------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is shown to the person who uploaded it."""


def sniff_upload(head: bytes) -> str:
    """'csv' or 'xlsx', decided from the first bytes of the file (never from its name)."""
    if not head.strip():
        raise ImportFileError("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        guessed = filetype.guess(head)
        if guessed is not None and guessed.extension not in ("xlsx", "zip"):
            raise ImportFileError(f"This is a .{guessed.extension} file: upload a CSV file or an .xlsx workbook.")
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("Old Excel .xls workbooks cannot be read: save it as .xlsx or as CSV UTF-8.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(NOT_UTF8)
    guessed = filetype.guess(head)
    if guessed is not None or b"\x00" in head:
        what = f"a .{guessed.extension} file" if guessed else "a binary file"
        raise ImportFileError(f"This is {what}, not a CSV file or an .xlsx workbook.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise ImportFileError(NOT_UTF8) from None
    return "csv"


def read_table(binary):
    """(header, data rows) of a stored file; the rows are lists of strings, read lazily.

    ImportFileError is raised for an unreadable file, also halfway through it (a bad byte on line 40,000).
    """
    head = binary.read(SNIFF_BYTES)
    binary.seek(0)
    rows = _xlsx_rows(binary) if sniff_upload(head) == "xlsx" else _csv_rows(binary, head)
    header = next(rows, None)
    if header is None:
        raise ImportFileError("The file is empty.")
    return header, rows


def _csv_rows(binary, head: bytes):
    # Excel saves CSV with ";" in many European locales and "Unicode text" with tabs: take the header's separator.
    first_line = head.split(b"\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=lambda d: first_line.count(d.encode()))
    reader = csv.reader(io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), delimiter=delimiter)
    try:
        yield from reader
    except UnicodeDecodeError:
        raise ImportFileError(f"{NOT_UTF8} The first bad byte is near line {reader.line_num + 1}.") from None
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num} is not valid CSV ({exc}).") from None


def _xlsx_rows(binary):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook we can read"
        raise ImportFileError("The file could not be opened as an .xlsx workbook.") from exc
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part shows up only while reading it
        raise ImportFileError("The workbook's first sheet could not be read to the end.") from exc
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 42 as 42.0
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def header_columns(header: list[str]) -> tuple[dict[str, int], list[dict]]:
    """({column name: position}, notes on row 1); unknown columns are reported once and ignored."""
    columns, notes = {}, []
    for index, raw in enumerate(header):
        name = "_".join(raw.strip().lower().split())
        if not name:
            continue
        if name not in COLUMN_NAMES:
            notes.append(_error(1, raw.strip()[:100], "Unknown column: it is ignored."))
        elif name in columns:
            raise ImportFileError(f"The column {name} appears twice in the first row.")
        else:
            columns[name] = index
    if "customer_name" not in columns:
        raise ImportFileError(
            "The first row must name the columns, and customer_name is required: download the template to see them."
        )
    return columns, notes


def numbered_rows(rows):
    """(row number as a spreadsheet shows it, cells); the header is row 1 and empty rows are skipped."""
    for number, cells in enumerate(rows, start=2):
        if any(cells) and "".join(cells).strip():
            yield number, cells


def _error(row: int, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": message}


# --- checking rows ---------------------------------------------------------------------------------------------


def _unquoted(value: str) -> str:
    """Undo the export's formula neutralising ('+44 20 … back to +44 20 …), so an export imports back as it was."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


class CheckedRow:
    __slots__ = ("number", "customer_key", "customer", "contact")

    def __init__(self, number: int, customer_key: tuple, customer: dict, contact: dict | None):
        self.number, self.customer_key, self.customer, self.contact = number, customer_key, customer, contact


class RowChecker:
    """Checks rows one at a time and remembers what earlier valid rows claimed: one email is one contact, and the
    rows naming one customer (by external_ref, else by name) must agree on its details.

    A later row that repeats an earlier one is the invalid one, so the rows can be checked as they stream by.
    """

    def __init__(self, *, columns: dict[str, int], owners: dict[str, int]):
        self.positions = list(columns.items())
        self.width = max(columns.values()) + 1
        self.owners = owners
        self.has_contact = any(column in columns for column in CONTACT_COLUMNS)
        self.customers: dict[tuple, tuple[int, dict]] = {}
        self.emails: dict[str, int] = {}
        self.unnamed: dict[tuple, int] = {}

    def check(self, number: int, cells: list[str]) -> tuple[CheckedRow | None, list[tuple[str, str]]]:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        values = {name: cells[index].strip() for name, index in self.positions}
        if "'" in "".join(cells):  # rare: only then look for the export's neutralising quotes
            values = {name: _unquoted(value) for name, value in values.items()}
        problems: list[tuple[str, str]] = []
        for column, limit in TEXT_LIMITS.items():
            if len(values.get(column, "")) > limit:
                problems.append((column, f"At most {limit} characters."))
        customer = self._customer(values, problems)
        contact = self._contact(values, problems) if self.has_contact else None
        if problems:
            return None, problems
        key = ("ref", customer["external_ref"]) if customer.get("external_ref") else ("name", customer["name"])
        self._repeats(key, customer, contact, problems)
        if problems:
            return None, problems
        self.customers.setdefault(key, (number, customer))
        if contact and contact.get("email"):
            self.emails[contact["email"]] = number
        elif contact:
            self.unnamed[(key, contact["name"])] = number
        return CheckedRow(number, key, customer, contact), problems

    def _customer(self, values: dict, problems: list) -> dict:
        customer = {"name": values["customer_name"]}
        if not customer["name"]:
            problems.append(("customer_name", "A customer name is required."))
        if values.get("customer_kind"):
            kind = KINDS.get(values["customer_kind"].lower())
            if kind is None:
                problems.append(("customer_kind", "Use organisation or person."))
            customer["kind"] = kind
        for column in ("segment", "region", "external_ref"):
            if column in values:
                customer[column] = values[column]
        if "account_owner_email" in values:
            email = values["account_owner_email"].lower()
            customer["account_owner_id"] = self.owners.get(email) if email else None
            if email and customer["account_owner_id"] is None:
                problems.append(("account_owner_email", "No owner, manager or staff member here has this email."))
        return customer

    def _contact(self, values: dict, problems: list) -> dict | None:
        if not any(values.get(column) for column in CONTACT_COLUMNS):
            return None
        contact = {"name": values.get("contact_name", "")}
        if not contact["name"]:
            problems.append(("contact_name", "A contact name is required when the row has contact details."))
        for column, field, rule in (
            ("contact_email", "email", email_address),
            ("contact_phone", "phone", phone_number),
            ("preferred_language", "preferred_language", language_code),
        ):
            if column in values:
                try:
                    contact[field] = rule(values[column])
                except ValidationError as exc:
                    problems.append((column, exc.messages[0]))
        if not contact.get("preferred_language"):
            contact.pop("preferred_language", None)  # empty keeps the contact's language
        if values.get("consent"):
            contact["consent"] = CONSENTS.get(values["consent"].lower())
            if contact["consent"] is None:
                problems.append(("consent", "Use granted, opted_out or unknown."))
        return contact

    def _repeats(self, key: tuple, customer: dict, contact: dict | None, problems: list) -> None:
        seen = self.customers.get(key)
        if seen is not None and seen[1] != customer:
            column = next(c for c, f in CUSTOMER_FIELDS.items() if seen[1].get(f) != customer.get(f))
            problems.append((column, f"Row {seen[0]} gives this customer other details: a customer's rows must agree."))
        if contact and contact.get("email") and contact["email"] in self.emails:
            problems.append(("contact_email", f"Row {self.emails[contact['email']]} has the same email."))
        elif contact and not contact.get("email") and (key, contact["name"]) in self.unnamed:
            row = self.unnamed[(key, contact["name"])]
            problems.append(("contact_name", f"Row {row} has a contact of this customer with this name and no email."))


class Tally:
    """What the rows of one pass came to: counts, the first errors, and the first rows for the preview."""

    def __init__(self, columns: dict[str, int], notes: list[dict]):
        self.columns = sorted(columns, key=columns.get)
        self.positions = [columns[name] for name in self.columns]
        self.rows = self.valid = self.invalid = 0
        self.errors, self.error_count, self.preview = list(notes), len(notes), []

    def add(self, number: int, cells: list[str], problems: list[tuple[str, str]]) -> None:
        self.rows += 1
        if problems:
            self.invalid += 1
            self.error_count += len(problems)
            room = MAX_ERRORS_KEPT - len(self.errors)
            self.errors.extend(_error(number, column, message) for column, message in problems[: max(room, 0)])
        else:
            self.valid += 1
        if len(self.preview) < PREVIEW_ROWS:
            cells = [cells[i][:200] if i < len(cells) else "" for i in self.positions]
            self.preview.append({"row": number, "cells": cells, "valid": not problems})


# --- progress --------------------------------------------------------------------------------------------------


class JobProgress:
    """Publishes a job's processed_rows while the task's own transaction is still open.

    On PostgreSQL the task body is one transaction (organization_context), so the count goes through a second
    connection, in short transactions of its own that the job page reads at once. SQLite admits one writer at a
    time: there the count is written directly while no transaction is open (the check), and the import's count
    lands when it commits. Publishing is best effort: a lost count never fails the job.
    """

    def __init__(self, *, organization_id: int, job_id: int):
        self.organization_id, self.job_id = organization_id, job_id
        self._side = None
        if connection.vendor == "postgresql":
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, processed: int) -> None:
        try:
            if self._side is not None:
                self._publish_aside(processed)
            elif not connection.in_atomic_block:
                ImportJob.objects.filter(pk=self.job_id).update(processed_rows=processed)
        except DatabaseError as exc:
            log.warning("import %s: progress not published (%s)", self.job_id, exc)

    def _publish_aside(self, processed: int) -> None:
        side = self._side
        table = side.ops.quote_name(ImportJob._meta.db_table)
        if side.get_autocommit():
            side.set_autocommit(False)
        try:
            with side.cursor() as cursor:
                cursor.execute("SELECT set_config('app.organization_id', %s, true)", [str(self.organization_id)])
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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _no_progress(processed: int) -> None:
    pass


# --- the job's life --------------------------------------------------------------------------------------------


def import_job_create(*, organization, actor, upload) -> ImportJob:
    """Store an uploaded file and queue its check. Refuses files over IMPORT_MAX_BYTES and files that are
    neither UTF-8 text nor an .xlsx workbook, with a message for the person uploading."""
    if upload.size > settings.IMPORT_MAX_BYTES:
        limit, size = settings.IMPORT_MAX_BYTES / 1024 / 1024, upload.size / 1024 / 1024
        raise ValidationError({"file": f"The file is {size:.1f} MB; files up to {limit:.0f} MB can be imported."})
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
        _queue_on_commit("feedback.import_validate", job)
    return job


def import_job_validate(*, job_id: int, progress=_no_progress) -> ImportJob | None:
    """Check every row of the file and leave the job in PREVIEW (or INVALID when it cannot be read)."""
    job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
    if job is None or job.status != Status.VALIDATING:
        return job  # cancelled, or already checked by an earlier delivery of the task
    try:
        tally = _check_file(job, progress)
    except ImportFileError as exc:
        ImportJob.objects.filter(pk=job.pk, status=Status.VALIDATING).update(
            status=Status.INVALID, message=str(exc), finished_at=timezone.now()
        )
        return job
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status == Status.VALIDATING:
            job.status = Status.PREVIEW
            job.total_rows = job.processed_rows = tally.rows
            job.valid_rows, job.error_rows, job.errors = tally.valid, tally.invalid, tally.errors
            job.summary = {
                **job.summary,
                "columns": tally.columns,
                "preview": tally.preview,
                "error_count": tally.error_count,
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


def _check_file(job: ImportJob, progress) -> Tally:
    try:
        binary = job.file.open("rb")
    except OSError:
        raise ImportFileError("The uploaded file is no longer available: upload it again.") from None
    with binary:
        header, rows = read_table(binary)
        columns, notes = header_columns(header)
        checker = RowChecker(columns=columns, owners=account_owner_emails(organization=job.organization))
        tally = Tally(columns, notes)
        for number, cells in numbered_rows(rows):
            _, problems = checker.check(number, cells)
            tally.add(number, cells, problems)
            if tally.rows % PROGRESS_EVERY == 0:
                progress(tally.rows)
    if tally.rows == 0:
        raise ImportFileError("The file has no rows under its header.")
    return tally


def import_job_confirm(*, job: ImportJob, actor, mode: str) -> ImportJob:
    if mode not in Mode.values:
        raise ValidationError({"mode": "Choose how to import."})
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != Status.PREVIEW:
            raise ValidationError("This import is no longer waiting to be confirmed.")
        job.status, job.mode, job.processed_rows = Status.IMPORTING, mode, 0
        job.summary = {
            **job.summary,
            "confirmed_by": actor.pk,
            "confirmed_by_email": actor.email,
            "queued_at": timezone.now().isoformat(),
        }
        job.save(update_fields=["status", "mode", "processed_rows", "summary"])
        _queue_on_commit("feedback.import_run", job)
    return job


def import_job_cancel(*, job: ImportJob, actor) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (Status.VALIDATING, Status.PREVIEW):
            raise ValidationError("Only an import that has not started writing can be cancelled.")
        before = job.status
        job.status, job.finished_at = Status.CANCELLED, timezone.now()
        job.save(update_fields=["status", "finished_at"])
        audit_record(
            organization=job.organization,
            actor=actor,
            action="import.cancel",
            **_audit_object(job),
            changes={"status": [before, job.status]},
        )
    return job


def import_job_requeue(*, job: ImportJob, actor) -> ImportJob:
    """Queue a waiting job's task again (the broker was down when it was first queued). Running the same task
    twice is harmless: each checks the job's status first, and the import holds a lock on its job."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in WAITING:
            raise ValidationError("This import is not waiting for a worker.")
        now = timezone.now().isoformat()
        job.summary = {**job.summary, "queued_at": now, "requeued": {"by": actor.email, "at": now}}
        job.save(update_fields=["summary"])
        name = "feedback.import_validate" if job.status == Status.VALIDATING else "feedback.import_run"
        _queue_on_commit(name, job)
    return job


def import_job_fail(*, job_id: int, message: str) -> None:
    """A task gave up (crash, time limit, database gone): say so on the job instead of leaving it waiting."""
    ImportJob.objects.filter(pk=job_id, status__in=WAITING).update(
        status=Status.FAILED, message=message, finished_at=timezone.now()
    )


class _Refused(Exception):
    """All-or-nothing met an invalid row: leave the import's savepoint so that nothing it wrote remains."""


def import_job_run(*, job_id: int, progress=_no_progress) -> ImportJob | None:
    """Write the checked rows in one transaction (see the module docstring for the two modes)."""
    with transaction.atomic():
        _hold_job_lock(job_id)
        job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
        if job is None or job.status != Status.IMPORTING:
            return job  # already done by an earlier delivery of the task
        tally = writer = None
        try:
            with transaction.atomic(), _constraints_checked_per_statement():
                tally, writer = _import_rows(job, progress)
                if job.mode == Mode.ALL_OR_NOTHING and tally.invalid:
                    raise _Refused
                _finish(job, tally, writer)
        except _Refused:
            message = (
                f"{tally.invalid} of {tally.rows} rows have errors, so nothing was imported. Correct them and "
                "upload the file again, or choose to import only the valid rows."
            )
            _finish(job, tally, None, status=Status.FAILED, message=message)
        except ImportFileError as exc:
            _finish(job, None, None, status=Status.FAILED, message=f"{exc} Nothing was imported.")
    return job


def _import_rows(job: ImportJob, progress):
    with job.file.open("rb") as binary:
        header, rows = read_table(binary)
        columns, notes = header_columns(header)
        checker = RowChecker(columns=columns, owners=account_owner_emails(organization=job.organization))
        tally, writer, batch = Tally(columns, notes), directory_writer(job.organization), []
        refusing = False
        for number, cells in numbered_rows(rows):
            row, problems = checker.check(number, cells)
            tally.add(number, cells, problems)
            if problems:
                refusing = refusing or job.mode == Mode.ALL_OR_NOTHING
            elif not refusing:
                batch.append(row)
                if len(batch) >= BATCH_ROWS:
                    writer.write(batch)
                    batch = []
            if tally.rows % PROGRESS_EVERY == 0:
                progress(tally.rows)
        if batch and not refusing:
            writer.write(batch)
    return tally, writer


def _finish(job: ImportJob, tally: Tally | None, writer, *, status=Status.DONE, message="") -> None:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    if tally is not None:
        job.total_rows = job.processed_rows = tally.rows
        job.valid_rows, job.error_rows, job.errors = tally.valid, tally.invalid, tally.errors
        job.summary = {**job.summary, "error_count": tally.error_count, "skipped_rows": tally.invalid}
    if writer is not None:
        job.summary.update({kind: dict(counts) for kind, counts in writer.counts.items()})
    job.save()
    if status == Status.DONE:
        counts = {
            f"{kind}_{outcome}": [None, writer.counts[kind][outcome]]
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
                **counts,
            },
        )


def _audit_object(job: ImportJob) -> dict:
    return {
        "object_type": "feedback.importjob",
        "object_id": str(job.pk),
        "object_repr": f"Import of {job.original_name}",
    }


def _confirmer(job: ImportJob):
    user = get_user_model().objects.filter(pk=job.summary.get("confirmed_by")).first()
    return user or job.created_by


@contextmanager
def _constraints_checked_per_statement():
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
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('feedback.import'), %s)", [job_id % 2**31])


def _queue_on_commit(task_name: str, job: ImportJob) -> None:
    transaction.on_commit(partial(queue_import_task, task_name, job.organization_id, job.pk))


def queue_import_task(task_name: str, organization_id: int, job_id: int) -> bool:
    """Best effort, like the outbox nudge: a broker that is down never fails the request. The job page then says
    it is waiting for a worker and offers to queue it again."""
    from feedback import tasks

    task = {"feedback.import_validate": tasks.import_validate, "feedback.import_run": tasks.import_run}[task_name]
    try:
        with task.app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=0, timeout=QUEUE_TIMEOUT_SECONDS)
            task.apply_async(args=[organization_id, job_id], retry=False, connection=broker)
    except Exception as exc:  # noqa: BLE001 - any broker failure must leave the upload standing
        log.warning("import %s: %s not queued (%s); the job waits for a worker", job_id, task_name, exc)
        return False
    return True


def retry_delay(retries: int) -> float:
    return random.uniform(0.5, 1) * min(300, 5 * 2**retries)


# --- writing rows ----------------------------------------------------------------------------------------------


def _assign(obj, fields: dict) -> bool:
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class DirectoryWriter:
    """Upserts checked rows batch by batch: one query finds a batch's existing customers and one (two when some
    contacts have no email) its existing contacts; new rows go in with bulk_create, changed ones with bulk_update.
    No query is made per row. Customers are found by external_ref, else by exact name; contacts by email, else
    by name within their customer.

    The decisions (new, changed, unchanged) are made here; reading and writing the rows are the methods at the
    end, which PostgresDirectoryWriter replaces with set-based SQL on plain rows instead of model instances."""

    CUSTOMER_UPDATE = ["name", "kind", "segment", "region", "external_ref", "account_owner_id", "updated_at"]
    CONTACT_UPDATE = [
        "customer_id",
        "name",
        "email",
        "phone",
        "preferred_language",
        "consent",
        "consent_changed_at",
        "updated_at",
    ]

    def __init__(self, *, organization):
        self.organization, self.now = organization, timezone.now()
        self.customer_ids: dict[tuple, int] = {}
        self.counts = {"customers": Counter(), "contacts": Counter()}
        for counts in self.counts.values():
            counts.update({"created": 0, "updated": 0, "unchanged": 0})

    def write(self, rows: list[CheckedRow]) -> None:
        self._write_customers(rows)
        self._write_contacts([row for row in rows if row.contact is not None])

    def _write_customers(self, rows: list[CheckedRow]) -> None:
        pending = {}
        for row in rows:
            if row.customer_key not in self.customer_ids:
                pending.setdefault(row.customer_key, row.customer)
        if not pending:
            return
        existing = self._existing_customers(list(pending))
        created, changed, counts = [], [], self.counts["customers"]
        for key, fields in pending.items():
            customer = existing.get(key)
            if customer is None:
                customer = self._new_customer(fields)
                created.append(customer)
                existing[key] = customer
            elif _assign(customer, fields):
                customer.updated_at = self.now
                changed.append(customer)
            else:
                counts["unchanged"] += 1
        self._save_customers(created, changed)
        counts["created"] += len(created)
        counts["updated"] += len(changed)
        self.customer_ids.update((key, customer.pk) for key, customer in existing.items())

    def _existing_customers(self, keys: list[tuple]) -> dict[tuple, Customer]:
        refs = [value for kind, value in keys if kind == "ref"]
        names = [value for kind, value in keys if kind == "name"]
        found = {}
        for customer in self._customers_found(refs, names):
            key = ("ref", customer.external_ref) if customer.external_ref else ("name", customer.name)
            found.setdefault(key, customer)  # two customers of one name and no reference: the oldest
        return found

    def _write_contacts(self, rows: list[CheckedRow]) -> None:
        emails = [row.contact["email"] for row in rows if row.contact.get("email")]
        by_email = {contact.email: contact for contact in self._live_contacts_with_emails(emails)} if emails else {}
        by_name = {}
        unnamed = [row for row in rows if not row.contact.get("email")]
        if unnamed:
            customer_ids = {self.customer_ids[row.customer_key] for row in unnamed}
            names = {row.contact["name"] for row in unnamed}
            for contact in self._live_contacts_without_email(customer_ids, names):
                by_name.setdefault((contact.customer_id, contact.name), contact)
        created, changed, counts, now = [], [], self.counts["contacts"], self.now
        for row in rows:
            fields = {**row.contact, "customer_id": self.customer_ids[row.customer_key]}
            email = fields.get("email")
            contact = by_email.get(email) if email else by_name.get((fields["customer_id"], fields["name"]))
            if contact is None:
                consent = fields.get("consent", Consent.UNKNOWN)
                changed_at = now if consent != Consent.UNKNOWN else None
                created.append(self._new_contact(fields, consent_changed_at=changed_at))
                continue
            consent_before = contact.consent
            if _assign(contact, fields):
                if contact.consent != consent_before:
                    contact.consent_changed_at = now
                contact.updated_at = now
                changed.append(contact)
            else:
                counts["unchanged"] += 1
        self._save_contacts(created, changed)
        counts["created"] += len(created)
        counts["updated"] += len(changed)

    # Reading and writing rows: model instances, bulk_create and bulk_update (any database).

    def _customers_found(self, refs: list[str], names: list[str]):
        """The customers with one of the references, or with no reference and one of the names; oldest first."""
        customers = Customer.objects.filter(organization=self.organization)
        return customers.filter(Q(external_ref__in=refs) | Q(external_ref="", name__in=names)).order_by("pk")

    def _live_contacts_with_emails(self, emails: list[str]):
        return self._live_contacts().filter(email__in=emails)

    def _live_contacts_without_email(self, customer_ids: set[int], names: set[str]):
        """The contacts without email of the customers with one of the names; oldest first."""
        return self._live_contacts().filter(email="", customer_id__in=customer_ids, name__in=names).order_by("pk")

    def _live_contacts(self):
        return Contact.objects.filter(organization=self.organization, erased_at__isnull=True)

    def _new_customer(self, fields: dict) -> Customer:
        return Customer(organization=self.organization, created_at=self.now, updated_at=self.now, **fields)

    def _new_contact(self, fields: dict, *, consent_changed_at) -> Contact:
        return Contact(
            organization=self.organization,
            created_at=self.now,
            updated_at=self.now,
            consent_changed_at=consent_changed_at,
            **fields,
        )

    def _save_customers(self, created: list, changed: list) -> None:
        Customer.objects.bulk_create(created)
        Customer.objects.bulk_update(changed, self.CUSTOMER_UPDATE, batch_size=500)

    def _save_contacts(self, created: list, changed: list) -> None:
        Contact.objects.bulk_create(created)
        Contact.objects.bulk_update(changed, self.CONTACT_UPDATE, batch_size=500)


class PostgresDirectoryWriter(PostgresRows, DirectoryWriter):
    """The same upserts, read and written as plain columns with set-based SQL (see import_writers)."""


def directory_writer(organization) -> DirectoryWriter:
    if connection.vendor == "postgresql":
        return PostgresDirectoryWriter(organization=organization)
    return DirectoryWriter(organization=organization)
