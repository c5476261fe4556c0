"""The check before an import: every row is read and checked, errors carry the row number a spreadsheet shows
(the header is row 1) and the column, and a file that cannot be read says why. Nothing is written."""

import zipfile
from io import BytesIO

import pytest

from customers.models import ImportJob
from customers.services import imports
from customers.services.import_rows import _header_key
from qms.accounts.models import User
from tests.factories import MembershipFactory, UserFactory

from .conftest import (
    HEADER,
    confirm_and_run,
    contacts,
    create_job,
    csv_bytes,
    customers,
    row,
    url,
    validate,
    xlsx_bytes,
)

Status = ImportJob.Status
NUL_MESSAGE = "Holds a NUL character (U+0000), which cannot be stored: remove it."


def _check(tenant, content: bytes) -> ImportJob:
    return validate(tenant, create_job(tenant, content))


def _errors(job) -> list[tuple[int, str]]:
    return [(error["row"], error["column"]) for error in job.errors]


def test_a_clean_file_is_ready_to_import_with_its_counts_and_first_rows(alpha):
    job = _check(
        alpha, csv_bytes([row(), row(contact="Bob", email="bob@acme.example"), row(name="Globex", ref="G-1", email="")])
    )
    assert (job.status, job.total_rows, job.valid_rows, job.error_rows, job.errors) == (Status.PREVIEW, 3, 3, 0, [])
    assert job.processed_rows == 3
    assert [preview["row"] for preview in job.summary["preview"]] == [2, 3, 4]
    assert job.summary["preview"][1]["cells"][HEADER.index("contact_email")] == "bob@acme.example"
    assert customers(alpha) == []  # checking writes nothing


def test_errors_carry_the_spreadsheet_row_number_and_the_column(alpha):
    rows = [
        row(),  # row 2: fine
        row(name="", ref="X-1", email="x@x.example"),  # row 3
        row(ref="A-9", email="nope@", contact_phone="call me"),  # row 4: two errors
        [""] * len(HEADER),  # row 5: empty, skipped but counted in the numbering
        row(ref="B-1", email="b@b.example", customer_kind="company", consent="maybe"),  # row 6
    ]
    job = _check(alpha, csv_bytes(rows))
    assert _errors(job) == [
        (3, "customer_name"),
        (4, "contact_email"),
        (4, "contact_phone"),
        (6, "customer_kind"),
        (6, "consent"),
    ]
    assert (job.total_rows, job.valid_rows, job.error_rows) == (4, 1, 3)
    assert job.errors[0]["message"] == "A customer name is required."


def test_a_quoted_cell_spanning_lines_is_still_one_row(alpha):
    rows = [row(contact="Ann\nSmith"), row(name="", ref="Z-1", email="z@z.example")]
    assert _errors(_check(alpha, csv_bytes(rows))) == [(3, "customer_name")]


def test_an_email_already_used_on_an_earlier_row_is_an_error_on_the_later_row(alpha):
    rows = [row(email="ann@acme.example"), row(contact="Ann Again", email="ANN@acme.example")]
    job = _check(alpha, csv_bytes(rows))
    assert job.errors == [{"row": 3, "column": "contact_email", "message": "Row 2 has the same email."}]


def test_rows_of_one_customer_must_agree_on_its_details(alpha):
    rows = [
        row(ref="ACME-1", segment="Industrial"),
        row(ref="ACME-1", contact="Bob", email="bob@acme.example", segment="Industrial"),  # same details: fine
        row(ref="ACME-1", contact="Cy", email="cy@acme.example", segment="Retail"),  # conflicting segment
        row(name="Acme Holdings", ref="ACME-1", contact="Di", email="di@acme.example", segment="Industrial"),
    ]
    job = _check(alpha, csv_bytes(rows))
    assert _errors(job) == [(4, "segment"), (5, "customer_name")]
    assert "Row 2 gives this customer other details" in job.errors[0]["message"]


def test_two_contacts_without_email_of_the_same_name_and_customer_are_one_too_many(alpha):
    rows = [row(email=""), row(email="")]
    assert _errors(_check(alpha, csv_bytes(rows))) == [(3, "contact_name")]


def test_contact_details_without_a_contact_name_are_an_error(alpha):
    assert _errors(_check(alpha, csv_bytes([row(contact="", email="who@acme.example")]))) == [(2, "contact_name")]


def test_an_account_owner_must_be_an_owner_manager_or_staff_member_here(alpha, bravo):
    rows = [
        row(account_owner_email="STAFF@alpha.test"),
        row(ref="B", email="b@b.example", account_owner_email="auditor@alpha.test"),
        row(ref="C", email="c@c.example", account_owner_email="manager@bravo.test"),
        row(ref="D", email="d@d.example", account_owner_email="nobody@example.com"),
    ]
    job = _check(alpha, csv_bytes(rows))
    assert _errors(job) == [(3, "account_owner_email"), (4, "account_owner_email"), (5, "account_owner_email")]


def test_too_long_values_are_errors(alpha):
    job = _check(alpha, csv_bytes([row(name="N" * 201, segment="S" * 101)]))
    assert _errors(job) == [(2, "customer_name"), (2, "segment")]


def test_unknown_columns_are_reported_once_and_ignored(alpha):
    content = csv_bytes(
        [["Acme", "x", "CRM-1"], ["Globex", "y", "CRM-2"]], header=["customer_name", "Favourite Colour", "external_ref"]
    )
    job = _check(alpha, content)
    assert job.errors == [{"row": 1, "column": "Favourite Colour", "message": "Unknown column: it is ignored."}]
    assert (job.status, job.valid_rows, job.error_rows) == (Status.PREVIEW, 2, 0)


def test_headers_are_matched_whatever_their_case_and_spacing(alpha):
    content = csv_bytes(
        [["Acme", "ann@acme.example", "Ann"]], header=[" Customer Name ", "CONTACT_EMAIL", "contact name"]
    )
    job = _check(alpha, content)
    assert (job.status, job.valid_rows, job.errors) == (Status.PREVIEW, 1, [])


def test_the_usual_names_from_other_systems_are_read_as_our_columns(alpha, login):
    content = csv_bytes(
        [["Acme", "CRM-7", "Ann Smith", "ann@acme.example", "+44 20 7946 0001", "Industrial"]],
        header=["Company", "CRM ID", "Contact", "E-mail", "Phone Number", "Industry"],
    )
    job = _check(alpha, content)
    assert (job.status, job.valid_rows, job.errors) == (Status.PREVIEW, 1, [])
    assert job.summary["read_as"] == {
        "customer_name": "Company",
        "external_ref": "CRM ID",
        "contact_name": "Contact",
        "contact_email": "E-mail",
        "contact_phone": "Phone Number",
        "segment": "Industry",
    }
    page = login(alpha.manager).get(url("import_detail", alpha, job_id=job.pk)).content.decode()
    assert "<code>contact_email</code><div" in page and "from “E-mail”" in page
    job = confirm_and_run(alpha, job)
    assert job.status == Status.DONE, job.message
    [contact] = contacts(alpha)
    assert (contact.customer.name, contact.customer.external_ref, contact.customer.segment) == (
        "Acme",
        "CRM-7",
        "Industrial",
    )
    assert (contact.name, contact.email, contact.phone) == ("Ann Smith", "ann@acme.example", "+44 20 7946 0001")


def test_two_headers_read_as_one_column_are_refused_with_both_names(alpha):
    job = _check(
        alpha, csv_bytes([["Acme", "a@x.example", "b@x.example"]], header=["Company", "Email", "Email address"])
    )
    assert job.status == Status.INVALID
    assert job.message == "The columns “Email” and “Email address” are both read as contact_email: keep one of them."


def test_no_header_is_read_as_two_columns():
    names = [alias for column in imports.COLUMNS for alias in (column.name, *column.aliases)]
    keys = [_header_key(name) for name in names]
    assert len(set(keys)) == len(keys), sorted(key for key in keys if keys.count(key) > 1)


def test_a_semicolon_separated_file_with_a_byte_order_mark_is_read(alpha):
    content = b"\xef\xbb\xbf" + csv_bytes([row(name="Caf\u00e9 M\u00fcller")], delimiter=";")
    job = _check(alpha, content)
    assert (job.status, job.valid_rows) == (Status.PREVIEW, 1)
    assert job.summary["preview"][0]["cells"][0] == "Caf\u00e9 M\u00fcller"


def test_an_xlsx_workbook_is_checked_like_a_csv_file(alpha):
    rows = [
        row(),
        [None, None, None, None, None, None, None, None, None, None, None],
        row(name="", ref=42, email="x@x.example", contact_phone=442079460000),
    ]
    job = _check(alpha, xlsx_bytes(rows))
    assert job.status == Status.PREVIEW
    assert _errors(job) == [(4, "customer_name")]
    assert job.summary["preview"][1]["cells"][HEADER.index("external_ref")] == "42"  # not 42.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,email\nAcme,a@acme.example\n", "customer_name is required"),
        (b"customer_name,segment,Customer Name\nA,B,C\n", "appears twice"),
        (csv_bytes([]), "no rows under its header"),
        (b"PK\x03\x04" + b"\x00" * 200, "could not be opened as an .xlsx workbook"),
    ],
)
def test_a_file_that_cannot_be_read_is_invalid_with_a_message(alpha, content, message):
    job = _check(alpha, content)
    assert job.status == Status.INVALID
    assert message in job.message
    assert job.finished_at is not None


def test_a_zip_that_is_not_a_workbook_is_invalid(alpha):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    job = _check(alpha, buffer.getvalue())
    assert (job.status, job.message) == (Status.INVALID, "The file could not be opened as an .xlsx workbook.")


def test_a_bad_byte_far_into_the_file_makes_it_invalid_not_half_read(alpha):
    good = csv_bytes([row(contact=f"P{n}", email=f"p{n}@acme.example") for n in range(500)])
    assert len(good) > imports.SNIFF_BYTES  # past what the upload looked at
    job = _check(alpha, good + "Caf\xe9,,,,,,,,,,\n".encode("latin-1"))
    assert job.status == Status.INVALID
    assert "not UTF-8" in job.message


def test_only_the_first_thousand_errors_are_kept_but_all_are_counted(alpha):
    rows = [row(name="", ref=f"R{n}", email=f"p{n}@x.example", consent="maybe") for n in range(600)]
    job = _check(alpha, csv_bytes(rows))
    assert len(job.errors) == 1000
    assert job.summary["error_count"] == 1200
    assert job.error_rows == 600


def test_checking_a_cancelled_job_does_nothing(alpha):
    job = create_job(alpha, csv_bytes([row()]))
    with alpha.context():
        ImportJob.objects.filter(pk=job.pk).update(status=Status.CANCELLED)
    assert validate(alpha, job).status == Status.CANCELLED


def test_progress_is_counted_while_rows_are_checked(alpha, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    seen = []
    job = create_job(alpha, csv_bytes([row(contact=f"P{n}", email=f"p{n}@acme.example") for n in range(5)]))
    with alpha.context():
        imports.import_job_validate(job_id=job.pk, progress=seen.append)
    assert seen == [2, 4]


def test_a_removed_member_is_no_longer_an_account_owner(alpha):
    person = UserFactory(email="leaver@alpha.test")
    membership = MembershipFactory(organization=alpha.organization, user=person, role="staff")
    with alpha.context():
        membership.removed_at = membership.created_at
        membership.save()
    job = _check(alpha, csv_bytes([row(account_owner_email="leaver@alpha.test")]))
    assert _errors(job) == [(2, "account_owner_email")]


def _far_down(*last: list[str]) -> bytes:
    """A file whose last rows come past the bytes the upload looked at."""
    content = csv_bytes([*(row(contact=f"P{n}", email=f"p{n}@acme.example") for n in range(300)), *last])
    assert content.index(last[0][0].encode()) > imports.SNIFF_BYTES
    return content


def test_a_nul_character_far_into_the_file_is_an_error_on_its_row_not_a_failed_import(alpha):
    job = _check(alpha, _far_down(row(name="Nul Ltd", ref="N-1", contact="Nul\x00Person", segment="Tools\x00")))
    assert job.status == Status.PREVIEW
    assert job.errors == [
        {"row": 302, "column": "segment", "message": NUL_MESSAGE},
        {"row": 302, "column": "contact_name", "message": NUL_MESSAGE},
    ]
    job = confirm_and_run(alpha, job, mode=ImportJob.Mode.VALID_ONLY)
    assert (job.status, job.valid_rows, job.error_rows) == (Status.DONE, 300, 1)
    assert len(contacts(alpha)) == 300


def test_a_nul_character_in_a_column_that_is_ignored_does_no_harm(alpha):
    header = [*HEADER, "notes"]
    rows = [[*row(contact=f"P{n}", email=f"p{n}@acme.example"), ""] for n in range(300)]
    job = _check(alpha, csv_bytes([*rows, [*row(name="Nul Ltd", ref="N-1"), "a\x00b"]], header=header))
    assert (job.status, job.valid_rows, job.errors[1:]) == (Status.PREVIEW, 301, [])  # errors[0]: notes is unknown


def test_the_row_errors_are_written_in_the_uploaders_language(alpha):
    User.objects.filter(pk=alpha.manager.pk).update(language="de")
    job = validate(alpha, create_job(alpha, csv_bytes([row(name="")])))
    assert [error["message"] for error in job.errors] == ["Ein Kundenname ist Pflicht."]
    english = validate(alpha, create_job(alpha, csv_bytes([row(name="")]), actor=alpha.owner))
    assert [error["message"] for error in english.errors] == ["A customer name is required."]
