"""Reading an import file (CSV by content, or XLSX) and checking each row against the directory."""

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from qms.listing import FORMULA_PREFIXES
from qms.storable import UNSTORABLE, unstorable_reason
from qms.workbooks import WorkbookBounds, WorkbookRefused, workbook_rows

from .customers import email_address, language_code, phone_number

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Consent = Contact.Consent


MAX_ERRORS_KEPT = 1000
PREVIEW_ROWS = 10
SNIFF_BYTES = 8192
FORMULA_STARTS = frozenset(FORMULA_PREFIXES)


@dataclass(frozen=True)
class Column:
    name: str
    help: "StrOrPromise"
    required: bool = False
    aliases: tuple[str, ...] = ()  # other headers read as this column: what CRMs and spreadsheets call it


COLUMNS = (
    Column(
        "customer_name",
        _("The customer's name. Every row of one customer repeats its details."),
        required=True,
        aliases=("customer", "company", "company name", "account", "account name", "organisation", "organization"),
    ),
    Column(
        "customer_kind",
        _("organisation or person. Empty keeps the current kind (a new customer: organisation)."),
        aliases=("customer type", "kind"),
    ),
    Column("segment", _("Free text, such as Industrial."), aliases=("industry", "sector")),
    Column("region", _("Free text, such as North."), aliases=("territory", "area")),
    Column(
        "external_ref",
        _("Your CRM's reference. A customer is found by it; without one, by its exact name."),
        aliases=("reference", "customer id", "account id", "account number", "crm id", "external id"),
    ),
    Column(
        "account_owner_email",
        _("Email of an owner, manager or staff member of this organisation."),
        aliases=("account owner", "owner", "owner email"),
    ),
    Column(
        "contact_name",
        _("Required when the row has any contact details; leave them all empty for none."),
        aliases=("contact", "full name", "contact person"),
    ),
    Column(
        "contact_email",
        _("A contact is found by email; without one, by its name within the customer."),
        aliases=("email", "email address"),  # E-mail, E-Mail Address: hyphens and case do not matter
    ),
    Column(
        "contact_phone",
        _("Digits, spaces, + ( ) - . / and an optional extension (x12)."),
        aliases=("phone", "telephone", "phone number", "tel", "mobile"),
    ),
    Column(
        "preferred_language",
        _("A code such as en, de or fr-ca. Empty keeps the current one (new: en)."),
        aliases=("language", "locale"),
    ),
    Column(
        "consent",
        _("granted, opted_out or unknown. Empty keeps the current state (new: unknown)."),
        aliases=("consent status", "marketing consent"),
    ),
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
KIND_MESSAGE, CONSENT_MESSAGE = _("Use organisation or person."), _("Use granted, opted_out or unknown.")
NO_OWNER = _("No owner, manager or staff member here has this email.")
NOT_UTF8 = _("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)” or as an .xlsx workbook.")


# --- reading a file --------------------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is shown to the person who uploaded it."""


def sniff_upload(head: bytes) -> str:
    """'csv' or 'xlsx', decided from the first bytes of the file (never from its name)."""
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        guessed = filetype.guess(head)
        if guessed is not None and guessed.extension not in ("xlsx", "zip"):
            raise ImportFileError(
                _("This is a .%(extension)s file: upload a CSV file or an .xlsx workbook.")
                % {"extension": guessed.extension}
            )
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("Old Excel .xls workbooks cannot be read: save it as .xlsx or as CSV UTF-8."))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(NOT_UTF8)
    guessed = filetype.guess(head)
    if guessed is not None or b"\x00" in head:
        raise ImportFileError(
            _("This is a .%(extension)s file, not a CSV file or an .xlsx workbook.") % {"extension": guessed.extension}
            if guessed
            else _("This is a binary file, not a CSV file or an .xlsx workbook.")
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise ImportFileError(NOT_UTF8) from None
    return "csv"


def read_table(binary: IO[bytes]) -> tuple[list[str], Iterator[list[str]]]:
    """(header, data rows) of a stored file; the rows are lists of strings, read lazily.

    ImportFileError is raised for an unreadable file, also halfway through it (a bad byte on line 40,000).
    """
    head = binary.read(SNIFF_BYTES)
    binary.seek(0)
    rows = _xlsx_rows(binary) if sniff_upload(head) == "xlsx" else _csv_rows(binary, head)
    rows = _at_most(rows, settings.IMPORT_MAX_ROWS)
    header = next(rows, None)
    if header is None:
        raise ImportFileError(_("The file is empty."))
    return header, rows


def csv_delimiter(head: bytes) -> str:
    """Excel saves CSV with ";" in many European locales and "Unicode text" with tabs: the header's separator."""
    first_line = head.split(b"\n", 1)[0]
    return max((",", ";", "\t"), key=lambda d: first_line.count(d.encode()))


def _csv_rows(binary: IO[bytes], head: bytes) -> Iterator[list[str]]:
    reader = csv.reader(io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), delimiter=csv_delimiter(head))
    try:
        yield from reader
    except UnicodeDecodeError:
        raise ImportFileError(
            _("%(not_utf8)s The first bad byte is near line %(line)d.")
            % {"not_utf8": NOT_UTF8, "line": reader.line_num + 1}
        ) from None
    except csv.Error as exc:
        raise ImportFileError(
            _("Line %(line)d is not valid CSV (%(error)s).") % {"line": reader.line_num, "error": exc}
        ) from None


def _xlsx_rows(binary: IO[bytes]) -> Iterator[list[str]]:
    bounds = WorkbookBounds(expanded_bytes=settings.IMPORT_XLSX_MAX_EXPANDED_BYTES)
    try:
        yield from workbook_rows(binary, bounds=bounds)
    except WorkbookRefused as exc:
        raise ImportFileError(str(exc)) from None


def _at_most(rows: Iterator[list[str]], limit: int) -> Iterator[list[str]]:
    """The header and at most `limit` rows under it (empty ones count): the check remembers what each row claimed,
    so the rows bound its memory."""
    for number, cells in enumerate(rows, start=1):
        if number > limit + 1:
            raise ImportFileError(
                _("The file has more than %(limit)s rows under its header: split it into smaller files.")
                % {"limit": f"{limit:,}"}
            )
        yield cells


def _header_key(raw: str) -> str:
    """A header as compared: case, spaces, underscores and hyphens do not matter ("E-mail" is "email")."""
    return "".join(character for character in raw.lower() if character.isalnum())


HEADERS = {_header_key(alias): column.name for column in COLUMNS for alias in (column.name, *column.aliases)}
# Columns the directory's export adds that an import does not write (how a consent was given): read past in silence,
# so an exported file imports back as it is.
EXPORT_ONLY = ("consent_source",)


def header_columns(header: list[str]) -> tuple[dict[str, int], list[dict]]:
    """({column name: position}, notes on row 1); unknown columns are reported once and ignored. A header may
    also be one of a column's aliases ("Company" is customer_name); header_sources says which were read so."""
    columns: dict[str, int]
    notes: list[dict]
    columns, notes = {}, []
    for index, raw in enumerate(header):
        key = _header_key(raw)
        if not key:
            continue
        name = HEADERS.get(key)
        if name is None and key in {_header_key(column) for column in EXPORT_ONLY}:
            continue
        if name is None:
            notes.append(_error(1, raw.strip()[:100], _("Unknown column: it is ignored.")))
        elif name in columns:
            first = header[columns[name]].strip()
            raise ImportFileError(
                _("The columns “%(first)s” and “%(second)s” are both read as %(name)s: keep one of them.")
                % {"first": first, "second": raw.strip(), "name": name}
                if _header_key(first) != key
                else _("The column “%(column)s” appears twice in the first row.") % {"column": raw.strip()}
            )
        else:
            columns[name] = index
    if "customer_name" not in columns:
        raise ImportFileError(
            _("The first row must name the columns, and customer_name is required: download the template to see them.")
        )
    return columns, notes


def header_sources(header: list[str], columns: dict[str, int]) -> dict[str, str]:
    """{column name: the file's header} for the columns whose header was an alias, to show how it was read."""
    return {
        name: header[index].strip()[:100]
        for name, index in columns.items()
        if _header_key(header[index]) != _header_key(name)
    }


def numbered_rows(rows: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells); the header is row 1 and empty rows are skipped."""
    for number, cells in enumerate(rows, start=2):
        if any(cells) and "".join(cells).strip():
            yield number, cells


def _error(row: int, column: str, message: "StrOrPromise") -> dict:
    return {"row": row, "column": column, "message": str(message)}  # stored as JSON: the text, not a lazy string


# --- checking rows ---------------------------------------------------------------------------------------------


def _unquoted(value: str) -> str:
    """Undo the export's formula neutralising ('+44 20 … back to +44 20 …), so an export imports back as it was."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_STARTS else value


class CheckedRow:
    __slots__ = ("number", "customer_key", "customer", "contact")

    def __init__(self, number: int, customer_key: tuple, customer: dict, contact: dict | None) -> None:
        self.number, self.customer_key, self.customer, self.contact = number, customer_key, customer, contact


class RowChecker:
    """Checks rows one at a time and remembers what earlier valid rows claimed: one email is one contact, and the
    rows naming one customer (by external_ref, else by name) must agree on its details.

    A later row that repeats an earlier one is the invalid one, so the rows can be checked as they stream by.
    """

    def __init__(self, *, columns: dict[str, int], owners: dict[str, int]) -> None:
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
        joined = "".join(cells)
        if "'" in joined:  # rare: only then look for the export's neutralising quotes
            values = {name: _unquoted(value) for name, value in values.items()}
        problems: list[tuple[str, str]] = []
        if UNSTORABLE.search(joined):  # rare too: only then say which of our columns the database would refuse
            problems.extend((name, reason) for name, value in values.items() if (reason := unstorable_reason(value)))
        for column, limit in TEXT_LIMITS.items():
            if len(values.get(column, "")) > limit:
                problems.append((column, _("At most %(limit)d characters.") % {"limit": limit}))
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
            problems.append(("customer_name", _("A customer name is required.")))
        if values.get("customer_kind"):
            kind = KINDS.get(values["customer_kind"].lower())
            if kind is None:
                problems.append(("customer_kind", KIND_MESSAGE))
            customer["kind"] = kind
        for column in ("segment", "region", "external_ref"):
            if column in values:
                customer[column] = values[column]
        if "account_owner_email" in values:
            email = values["account_owner_email"].lower()
            customer["account_owner_id"] = self.owners.get(email) if email else None
            if email and customer["account_owner_id"] is None:
                problems.append(("account_owner_email", NO_OWNER))
        return customer

    def _contact(self, values: dict, problems: list) -> dict | None:
        if not any(values.get(column) for column in CONTACT_COLUMNS):
            return None
        contact = {"name": values.get("contact_name", "")}
        if not contact["name"]:
            problems.append(("contact_name", _("A contact name is required when the row has contact details.")))
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
                problems.append(("consent", CONSENT_MESSAGE))
        return contact

    def _repeats(self, key: tuple, customer: dict, contact: dict | None, problems: list) -> None:
        seen = self.customers.get(key)
        if seen is not None and seen[1] != customer:
            column = next(c for c, f in CUSTOMER_FIELDS.items() if seen[1].get(f) != customer.get(f))
            problems.append(
                (
                    column,
                    _("Row %(row)d gives this customer other details: a customer's rows must agree.")
                    % {"row": seen[0]},
                )
            )
        if contact and contact.get("email") and contact["email"] in self.emails:
            problems.append(
                ("contact_email", _("Row %(row)d has the same email.") % {"row": self.emails[contact["email"]]})
            )
        elif contact and not contact.get("email") and (key, contact["name"]) in self.unnamed:
            row = self.unnamed[(key, contact["name"])]
            problems.append(
                (
                    "contact_name",
                    _("Row %(row)d has a contact of this customer with this name and no email.") % {"row": row},
                )
            )


class Tally:
    """What the rows of one pass came to: counts, the first errors, and the first rows for the preview."""

    preview: list[dict]
    rejected: str | None = None  # the stored file of the refused rows (import_rejected), once the check ends

    def __init__(self, columns: dict[str, int], notes: list[dict], sources: dict[str, str] | None = None) -> None:
        self.columns = sorted(columns, key=columns.__getitem__)
        self.sources = sources or {}  # column name -> the file's header, where it was an alias
        self.positions = [columns[name] for name in self.columns]
        self.rows = self.valid = self.invalid = 0
        self.errors, self.error_count, self.preview = list(notes), len(notes), []

    @classmethod
    def of_check(cls, *, columns: list[str], rows: int, valid: int, errors: list[dict], error_count: int) -> "Tally":
        """The tally a job's check came to, for its import to go on from."""
        tally = cls({name: index for index, name in enumerate(columns)}, list(errors))
        tally.rows, tally.valid, tally.invalid, tally.error_count = rows, valid, rows - valid, error_count
        return tally

    def add(self, number: int, cells: list[str], problems: list[tuple[str, str]]) -> None:
        self.rows += 1
        if problems:
            self.invalid += 1
            self._keep(number, problems)
        else:
            self.valid += 1
        if len(self.preview) < PREVIEW_ROWS:
            cells = [cells[i][:200] if i < len(cells) else "" for i in self.positions]
            self.preview.append({"row": number, "cells": cells, "valid": not problems})

    def reject(self, number: int, problems: list[tuple[str, str]]) -> None:
        """A row valid at the check is not at the import (its account owner left meanwhile)."""
        self.valid -= 1
        self.invalid += 1
        self._keep(number, problems)

    def _keep(self, number: int, problems: list[tuple[str, str]]) -> None:
        self.error_count += len(problems)
        room = MAX_ERRORS_KEPT - len(self.errors)
        self.errors.extend(_error(number, column, message) for column, message in problems[: max(room, 0)])
