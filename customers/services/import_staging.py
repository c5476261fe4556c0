"""The checked rows of an import job, kept from its check to its import, so that the check runs once.

The check task writes every valid row, already normalised (the email lower-cased, the kind and consent as their
stored values, the account owner as a user id), to a compact CSV file next to the upload; the import task writes
from that file and never reads or checks the upload again. The one check that depends on the directory rather
than the file, whether an account owner is still an owner, manager or staff member, is repeated by the import on
the staged user ids (a set lookup per row, not a check of the row).

Staged rows hold people's details, like the upload itself, and live only while the job waits for its import
(PREVIEW, IMPORTING): the file is deleted when the job is done, fails or is cancelled, and the upkeep deletes it
with the upload when a preview expires. So an erasure never leaves a contact in the staged rows of an ended job;
a job still waiting holds what its uploaded file holds. A file rather than a table: the rows are written once
and read once, in order, by one task, and a file keeps them out of the database's tenant tables, its backups and
its replicas.
"""

import csv
import io
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction

from customers.models import ImportJob

from .import_rows import CheckedRow

log = logging.getLogger(__name__)

SUMMARY_KEY = "checked_rows"  # the staged file's name in the job's summary
FIELDS = (
    "number",
    "name",
    "kind",
    "segment",
    "region",
    "external_ref",
    "account_owner_id",
    "contact",
    "contact_name",
    "email",
    "phone",
    "preferred_language",
    "consent",
)

LAST = len(FIELDS) - 1  # the commas of a row that needs no quoting


def _storage() -> Storage:
    return ImportJob._meta.get_field("file").storage


def _cells(row: CheckedRow) -> list[str]:
    customer, contact = row.customer, row.contact
    owner = customer.get("account_owner_id")
    cells = [
        str(row.number),
        customer["name"],
        customer.get("kind") or "",
        customer.get("segment", ""),
        customer.get("region", ""),
        customer.get("external_ref", ""),
        "" if owner is None else str(owner),
    ]
    if contact is None:
        return [*cells, "", "", "", "", "", ""]
    return [
        *cells,
        "1",
        contact["name"],
        contact.get("email", ""),
        contact.get("phone", ""),
        contact.get("preferred_language", ""),
        contact.get("consent", ""),
    ]


def _row(cells: list[str], present: frozenset[str]) -> CheckedRow:
    """The CheckedRow the check made of a row; `present` is the file's columns (a column it lacks is kept)."""
    number, name, kind, segment, region, ref, owner, has_contact, contact_name, email, phone, language, consent = cells
    customer: dict = {"name": name}
    if kind:
        customer["kind"] = kind
    for column, value in (("segment", segment), ("region", region), ("external_ref", ref)):
        if column in present:
            customer[column] = value
    if "account_owner_email" in present:
        customer["account_owner_id"] = int(owner) if owner else None
    contact: dict | None = None
    if has_contact:
        contact = {"name": contact_name}
        if "contact_email" in present:
            contact["email"] = email
        if "contact_phone" in present:
            contact["phone"] = phone
        if language:
            contact["preferred_language"] = language
        if consent:
            contact["consent"] = consent
    key = ("ref", ref) if customer.get("external_ref") else ("name", name)
    return CheckedRow(int(number), key, customer, contact)


class StagedRows:
    """The valid rows of one check, written to a temporary file as they are checked, stored when the check ends."""

    def __init__(self) -> None:
        self._binary: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text)

    def add(self, row: CheckedRow) -> None:
        cells = _cells(row)
        line = ",".join(cells)
        # Most rows need no quoting: joined by hand they cost a third of what the csv writer takes.
        if line.count(",") != LAST or '"' in line or "\n" in line or "\r" in line:
            self._writer.writerow(cells)
        else:
            self._text.write(line + "\r\n")

    def store(self, job: ImportJob) -> str:
        """Save the rows next to the job's upload; returns the stored name (for the job's summary)."""
        self._text.flush()
        self._binary.seek(0)
        return _storage().save(f"{job.file.name}.checked.csv", File(self._binary))

    def close(self) -> None:
        self._text.close()


def staged_rows_open(job: ImportJob) -> Iterator[CheckedRow]:
    """The job's staged rows in file order. FileNotFoundError when they are gone (the job crashes visibly)."""
    name = job.summary.get(SUMMARY_KEY)
    if not name:
        raise FileNotFoundError(f"import {job.pk} has no checked rows")
    present = frozenset(job.summary.get("columns", ()))
    with _storage().open(name, "rb") as binary, io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
        for cells in csv.reader(text):
            yield _row(cells, present)


@contextmanager
def staged_rows_file(job: ImportJob) -> Iterator[IO[bytes]]:
    """The job's staged rows as the stored CSV bytes (columns as FIELDS, no header), for COPY."""
    name = job.summary.get(SUMMARY_KEY)
    if not name:
        raise FileNotFoundError(f"import {job.pk} has no checked rows")
    with _storage().open(name, "rb") as binary:
        yield binary


def staged_rows_discard(summary: dict) -> dict:
    """The summary without its staged rows, whose file is deleted once the caller's transaction commits."""
    return summary_file_discard(summary, SUMMARY_KEY)


def summary_file_discard(summary: dict, key: str) -> dict:
    """The summary without the stored file it names under `key`, deleted once the caller's transaction commits."""
    name = summary.get(key)
    if name:
        transaction.on_commit(lambda: staged_file_delete(name))
    return {k: value for k, value in summary.items() if k != key}


def staged_file_delete(name: str) -> None:
    try:
        _storage().delete(name)
    except OSError as exc:
        log.warning("checked rows %s not deleted (%s)", name, exc)
