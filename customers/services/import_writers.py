"""The import's ORM writer (SQLite, and any database without the set-based path of import_sql): checked rows
upserted batch by batch, with a query or two per batch and none per row."""

import datetime
from collections import Counter
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from customers.models import Contact, Customer
from qms.tenancy.models import Organization

from .import_rows import CheckedRow

Consent, ConsentSource = Contact.Consent, Contact.ConsentSource


def _assign(obj: object, fields: dict) -> bool:
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
    by name within their customer. import_sql makes the same decisions in SQL on PostgreSQL."""

    CUSTOMER_UPDATE = ["name", "kind", "segment", "region", "external_ref", "account_owner_id", "updated_at"]
    CONTACT_UPDATE = [
        "customer_id",
        "name",
        "email",
        "phone",
        "preferred_language",
        "consent",
        "consent_changed_at",
        "consent_source",
        "updated_at",
    ]

    def __init__(self, *, organization: Organization) -> None:
        self.organization, self.now = organization, timezone.now()
        self.customer_ids: dict[tuple, int] = {}
        self.counts: dict[str, Counter[str]] = {"customers": Counter(), "contacts": Counter()}
        for counts in self.counts.values():
            counts.update({"created": 0, "updated": 0, "unchanged": 0})

    def write(self, rows: list[CheckedRow]) -> None:
        self._write_customers(rows)
        self._write_contacts([row for row in rows if row.contact is not None])

    def _write_customers(self, rows: list[CheckedRow]) -> None:
        pending: dict[tuple, dict] = {}
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
        found: dict[tuple, Customer] = {}
        for customer in self._customers_found(refs, names):
            key = ("ref", customer.external_ref) if customer.external_ref else ("name", customer.name)
            found.setdefault(key, customer)  # two customers of one name and no reference: the oldest
        return found

    def _write_contacts(self, rows: list[CheckedRow]) -> None:
        # Every row has a contact (write() passes no other); the `row.contact` checks only tell the type checker.
        emails = [row.contact["email"] for row in rows if row.contact and row.contact.get("email")]
        by_email = {contact.email: contact for contact in self._live_contacts_with_emails(emails)} if emails else {}
        by_name: dict[tuple, Contact] = {}
        unnamed = [row for row in rows if row.contact and not row.contact.get("email")]
        contact: Contact | None
        if unnamed:
            customer_ids = {self.customer_ids[row.customer_key] for row in unnamed}
            names = {row.contact["name"] for row in unnamed if row.contact}
            for contact in self._live_contacts_without_email(customer_ids, names):
                by_name.setdefault((contact.customer_id, contact.name), contact)
        created, changed, counts, now = [], [], self.counts["contacts"], self.now
        for row in rows:
            assert row.contact is not None
            fields = {**row.contact, "customer_id": self.customer_ids[row.customer_key]}
            email = fields.get("email")
            contact = by_email.get(email) if email else by_name.get((fields["customer_id"], fields["name"]))
            if contact is None:
                consent = fields.get("consent", Consent.UNKNOWN)
                changed_at = now if consent != Consent.UNKNOWN else None
                source = ConsentSource.IMPORT if consent != Consent.UNKNOWN else ""
                created.append(self._new_contact(fields, consent_changed_at=changed_at, consent_source=source))
                continue
            consent_before = contact.consent
            if _assign(contact, fields):
                if contact.consent != consent_before:
                    contact.consent_changed_at, contact.consent_source = now, ConsentSource.IMPORT
                contact.updated_at = now
                changed.append(contact)
            else:
                counts["unchanged"] += 1
        self._save_contacts(created, changed)
        counts["created"] += len(created)
        counts["updated"] += len(changed)

    # Reading and writing rows: model instances, bulk_create and bulk_update (any database).

    def _customers_found(self, refs: list[str], names: list[str]) -> Iterable[Customer]:
        """The customers with one of the references, or with no reference and one of the names; oldest first."""
        customers = Customer.objects.filter(organization=self.organization)
        return customers.filter(Q(external_ref__in=refs) | Q(external_ref="", name__in=names)).order_by("pk")

    def _live_contacts_with_emails(self, emails: list[str]) -> Iterable[Contact]:
        return self._live_contacts().filter(email__in=emails)

    def _live_contacts_without_email(self, customer_ids: set[int], names: set[str]) -> Iterable[Contact]:
        """The contacts without email of the customers with one of the names; oldest first."""
        return self._live_contacts().filter(email="", customer_id__in=customer_ids, name__in=names).order_by("pk")

    def _live_contacts(self) -> QuerySet[Contact]:
        return Contact.objects.filter(organization=self.organization, erased_at__isnull=True)

    def _new_customer(self, fields: dict) -> Customer:
        return Customer(organization=self.organization, created_at=self.now, updated_at=self.now, **fields)

    def _new_contact(
        self, fields: dict, *, consent_changed_at: datetime.datetime | None, consent_source: str
    ) -> Contact:
        return Contact(
            organization=self.organization,
            created_at=self.now,
            updated_at=self.now,
            consent_changed_at=consent_changed_at,
            consent_source=consent_source,
            **fields,
        )

    def _save_customers(self, created: list, changed: list) -> None:
        Customer.objects.bulk_create(created)
        Customer.objects.bulk_update(changed, self.CUSTOMER_UPDATE, batch_size=500)

    def _save_contacts(self, created: list, changed: list) -> None:
        Contact.objects.bulk_create(created)
        Contact.objects.bulk_update(changed, self.CONTACT_UPDATE, batch_size=500)


def directory_writer(organization: Organization) -> DirectoryWriter:
    return DirectoryWriter(organization=organization)
