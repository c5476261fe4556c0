"""The import's two ways of writing, the ORM one (any database) and the set-based PostgreSQL one, come to the same
rows and the same counts: first import, a re-import of the same file, and a changed file."""

import pytest

from customers.services import imports
from tests.conftest import IS_POSTGRES
from tests.factories import ContactFactory, CustomerFactory

from .conftest import contacts, csv_bytes, customers, import_file, row

WRITERS = [
    pytest.param(False, id="orm"),
    pytest.param(
        True, id="postgres", marks=pytest.mark.skipif(not IS_POSTGRES, reason="set-based SQL for PostgreSQL only")
    ),
]
ODD_TEXT = 'Quote " back\\slash, comma {brace} NULL ümlaut'

FIRST = [
    row(name="Acme", ref="A-1", contact="Ann", email="ann@acme.example", consent="granted", segment="Industrial"),
    row(name="Acme", ref="A-1", contact="Front Desk", email="", segment="Industrial"),
    row(name="Grace Hopper", ref="", contact="Grace", email="g@navy.example", customer_kind="person"),
    row(name=ODD_TEXT, ref='R"1\\', contact=ODD_TEXT, email="odd@x.example", region=ODD_TEXT),
    row(name="Initech", ref="I-1", contact="", email="", account_owner_email="manager@alpha.test"),
]
CHANGED = [
    row(name="Acme", ref="A-1", contact="Ann", email="ann@acme.example", consent="opted_out", segment="Retail"),
    row(name="Acme", ref="A-1", contact="Front Desk", email="", contact_phone="+44 1", segment="Retail"),
    row(name="Grace Hopper", ref="", contact="Grace", email="g@navy.example", customer_kind="person"),
    row(name="Initech", ref="I-1", contact="Bob", email="ann-old@acme.example"),
]


@pytest.fixture
def writer(request, monkeypatch):
    monkeypatch.setattr(imports, "writes_set_based", lambda: request.param)


def _state(tenant):
    return (
        [(c.name, c.kind, c.segment, c.region, c.external_ref, c.account_owner_id) for c in customers(tenant)],
        [
            (c.customer.name, c.name, c.email, c.phone, c.preferred_language, c.consent, bool(c.consent_changed_at))
            for c in contacts(tenant)
        ],
    )


def _counts(job):
    return job.summary["customers"], job.summary["contacts"]


@pytest.mark.parametrize("writer", WRITERS, indirect=True)
def test_both_writers_come_to_the_same_rows_and_counts(alpha, writer):
    hopper = CustomerFactory(organization=alpha.organization, name="Grace Hopper", external_ref="", kind="person")
    CustomerFactory(organization=alpha.organization, name="Elsewhere", external_ref="E-1", segment="", region="")
    ContactFactory(customer=hopper, name="Old Ann", email="ann-old@acme.example", phone="", preferred_language="de")

    first = import_file(alpha, csv_bytes(FIRST))
    assert _counts(first) == (  # Grace Hopper's empty segment and region replace the factory's
        {"created": 3, "updated": 1, "unchanged": 0},
        {"created": 4, "updated": 0, "unchanged": 0},
    )
    again = import_file(alpha, csv_bytes(FIRST))
    assert _counts(again) == (
        {"created": 0, "updated": 0, "unchanged": 4},
        {"created": 0, "updated": 0, "unchanged": 4},
    )
    changed = import_file(alpha, csv_bytes(CHANGED))
    assert _counts(changed) == (
        {"created": 0, "updated": 2, "unchanged": 1},  # Initech's empty account_owner_email removes its owner
        {"created": 0, "updated": 3, "unchanged": 1},
    )
    assert _state(alpha) == (
        [
            ("Grace Hopper", "person", "", "", "", None),
            ("Elsewhere", "organisation", "", "", "E-1", None),
            ("Acme", "organisation", "Retail", "", "A-1", None),
            (ODD_TEXT, "organisation", "", ODD_TEXT, 'R"1\\', None),
            ("Initech", "organisation", "", "", "I-1", None),
        ],
        [
            ("Initech", "Bob", "ann-old@acme.example", "", "de", "unknown", False),
            ("Acme", "Ann", "ann@acme.example", "", "en", "opted_out", True),
            ("Acme", "Front Desk", "", "+44 1", "en", "unknown", False),
            ("Grace Hopper", "Grace", "g@navy.example", "", "en", "unknown", False),
            (ODD_TEXT, ODD_TEXT, "odd@x.example", "", "en", "unknown", False),
        ],
    )
