"""The directory's CSV export: one row per contact, the list's filters, formula injection neutralised."""

import csv
import io

import pytest
from django.utils import timezone

from customers.selectors.directory import EXPORT_COLUMNS
from qms.tenancy.models import Role
from tests.factories import ContactFactory, CustomerFactory

from .conftest import contacts, customers, import_file, url


def _rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_has_one_row_per_contact_and_one_for_a_customer_without_contacts(alpha, login):
    acme = CustomerFactory(organization=alpha.organization, name="Acme", external_ref="A-1", account_owner=alpha.staff)
    ContactFactory(
        customer=acme, name="Ann", email="ann@acme.example", consent="granted", consent_source="import",
        preferred_language="de",
    )  # fmt: skip
    ContactFactory(customer=acme, name="Bob", email="bob@acme.example")
    ContactFactory(customer=acme, name="Erased", email="", erased_at=timezone.now())
    CustomerFactory(organization=alpha.organization, name="Lonely Ltd", external_ref="L-1")
    rows = _rows(login(alpha.staff).get(url("customer_export", alpha)))
    assert [(r["customer_name"], r["contact_name"]) for r in rows] == [
        ("Acme", "Ann"),
        ("Acme", "Bob"),
        ("Lonely Ltd", ""),
    ]
    # A leading + is neutralised like any formula start; the import takes the quote off again.
    assert rows[0] == {
        "customer_name": "Acme",
        "customer_kind": "organisation",
        "segment": "Industrial",
        "region": "North",
        "external_ref": "A-1",
        "account_owner_email": "staff@alpha.test",
        "contact_name": "Ann",
        "contact_email": "ann@acme.example",
        "contact_phone": "'+44 20 7946 0000",
        "preferred_language": "de",
        "consent": "granted",
        "consent_source": "import",  # the export's own: the import reads past it
    }


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.STAFF, Role.AUDITOR])
def test_every_member_may_export_the_directory(alpha, login, role):
    CustomerFactory(organization=alpha.organization, name="Acme")
    assert [r["customer_name"] for r in _rows(login(alpha.member(role)).get(url("customer_export", alpha)))] == ["Acme"]


def test_the_export_follows_the_lists_filters(alpha, login):
    CustomerFactory(organization=alpha.organization, name="Retail One", segment="Retail")
    CustomerFactory(organization=alpha.organization, name="Industrial One", segment="Industrial")
    CustomerFactory(
        organization=alpha.organization, name="Archived Retail", segment="Retail", archived_at=timezone.now()
    )
    rows = _rows(login(alpha.staff).get(url("customer_export", alpha), {"segment": "Retail"}))
    assert [r["customer_name"] for r in rows] == ["Retail One"]


def test_the_export_never_contains_another_organisations_rows(alpha, bravo, login):
    CustomerFactory(organization=alpha.organization, name="Alpha Customer")
    ContactFactory(
        customer=CustomerFactory(organization=bravo.organization, name="Bravo Customer"), email="x@bravo.test"
    )
    response = login(alpha.owner).get(url("customer_export", alpha))
    assert [r["customer_name"] for r in _rows(response)] == ["Alpha Customer"]
    assert b"bravo" not in response.content.lower()


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_would_run_as_spreadsheet_formulas_are_neutralised(alpha, login, prefix):
    payload = f"{prefix}cmd|' /C calc'!A0"
    customer = CustomerFactory(organization=alpha.organization, name=payload, segment=payload, external_ref="")
    ContactFactory(customer=customer, name=payload, phone="", email="")
    (row,) = _rows(login(alpha.staff).get(url("customer_export", alpha)))
    for column in ("customer_name", "segment", "contact_name"):
        assert row[column] == "'" + payload, column
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values())


def test_an_exported_directory_imports_back_unchanged(alpha, login):
    """The export's columns are the import's: export, import the file, and nothing changes."""
    acme = CustomerFactory(organization=alpha.organization, name="Acme", external_ref="A-1", account_owner=alpha.staff)
    ContactFactory(customer=acme, name="Ann", email="ann@acme.example", consent="opted_out", preferred_language="fr-ca")
    ContactFactory(customer=acme, name="No Email", email="", phone="")
    CustomerFactory(organization=alpha.organization, name="Person Without Ref", kind="person", external_ref="")
    before = [(c.pk, c.name, c.kind, c.segment, c.region, c.account_owner_id) for c in customers(alpha)]
    exported = login(alpha.staff).get(url("customer_export", alpha)).content
    assert exported.decode("utf-8-sig").splitlines()[0] == ",".join(EXPORT_COLUMNS)

    job = import_file(alpha, exported)

    assert job.summary["customers"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert job.summary["contacts"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert [(c.pk, c.name, c.kind, c.segment, c.region, c.account_owner_id) for c in customers(alpha)] == before
    assert len(contacts(alpha)) == 2
