"""Writes of the customer directory: customers and their contacts, each audited with the fields it changed.

The rules for a contact's email, phone and language live here, so the forms and the import apply the same ones.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Contact, Customer
from qms.audit.sealing import subject_of
from qms.audit.services import audit_record, diff, object_label, snapshot
from qms.tenancy.access import WRITERS
from qms.tenancy.models import Membership

CUSTOMER_AUDITED = ["name", "kind", "segment", "region", "external_ref", "notes", "archived_at"]
CONTACT_AUDITED = ["name", "email", "phone", "preferred_language", "consent", "consent_changed_at"]

PHONE_RE = re.compile(r"^[0-9+()./\- ]*[0-9][0-9+()./\- ]*(?:(?:x|ext\.?) ?[0-9]+)?$", re.IGNORECASE)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
# A fast, strict subset of what Django's EmailValidator accepts; anything else goes to the validator itself.
PLAIN_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
DUPLICATE_EMAIL = "Another contact of this organisation already has this email."
DUPLICATE_REF = "Another customer of this organisation already has this external reference."


def email_address(value: str) -> str:
    """A contact's email as stored: trimmed and in lower case, so one address is one contact."""
    email = value.strip().lower()
    if email and len(email) <= 254 and PLAIN_EMAIL_RE.match(email):
        return email
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError("Enter a valid email address.") from None
        if len(email) > 254:
            raise ValidationError("An email address has at most 254 characters.")
    return email


def phone_number(value: str) -> str:
    phone = " ".join(value.split())
    if phone and (len(phone) > 40 or not PHONE_RE.match(phone)):
        raise ValidationError("Enter a phone number: digits, spaces, + ( ) - . / and an optional extension.")
    return phone


def language_code(value: str) -> str:
    code = value.strip().lower().replace("_", "-")
    if code and not LANGUAGE_RE.match(code):
        raise ValidationError("Enter a language code such as en, de or fr-ca.")
    return code


def _check_account_owner(*, organization, user, current_id=None) -> None:
    if user is None or user.pk == current_id:
        return
    members = Membership.objects.active().filter(organization=organization, user=user, role__in=WRITERS)
    if not members.exists():
        raise ValidationError({"account_owner": "An account owner must be an owner, manager or staff member here."})


def _check_external_ref(*, organization, external_ref: str, exclude_pk=None) -> None:
    if not external_ref:
        return
    others = Customer.objects.filter(organization=organization, external_ref=external_ref).exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError({"external_ref": DUPLICATE_REF})


def _check_email(*, organization, email: str, exclude_pk=None) -> None:
    if not email:
        return
    others = Contact.objects.filter(organization=organization, email=email, erased_at__isnull=True)
    if others.exclude(pk=exclude_pk).exists():
        raise ValidationError({"email": DUPLICATE_EMAIL})


def _contact_fields(*, email: str, phone: str, preferred_language: str) -> dict:
    """The contact's checked email, phone and language, or a ValidationError naming each bad field."""
    cleaned, errors = {}, {}
    for field, value, rule in (
        ("email", email, email_address),
        ("phone", phone, phone_number),
        ("preferred_language", preferred_language, language_code),
    ):
        try:
            cleaned[field] = rule(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    cleaned["preferred_language"] = cleaned["preferred_language"] or "en"
    return cleaned


def _created(state: dict) -> dict:
    """The audit changes of a new record: its filled-in fields, each as [None, value]."""
    return {field: [None, value] for field, value in state.items() if value not in ("", None)}


def _customer_state(customer: Customer) -> dict:
    state = snapshot(customer, CUSTOMER_AUDITED)
    state["account_owner"] = customer.account_owner.email if customer.account_owner_id else None
    return state


def _save_unique(obj, *, message: dict, **kwargs) -> None:
    """Save inside a savepoint: a concurrent writer that took the same reference gets a form error, not a 500."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError:
        raise ValidationError(message) from None


def customer_create(
    *,
    organization,
    actor,
    name: str,
    kind: str = Customer.Kind.ORGANISATION,
    segment: str = "",
    region: str = "",
    account_owner=None,
    external_ref: str = "",
    notes: str = "",
) -> Customer:
    external_ref = external_ref.strip()
    with transaction.atomic():
        _check_account_owner(organization=organization, user=account_owner)
        _check_external_ref(organization=organization, external_ref=external_ref)
        customer = Customer(
            organization=organization,
            name=name.strip(),
            kind=kind,
            segment=segment.strip(),
            region=region.strip(),
            account_owner=account_owner,
            external_ref=external_ref,
            notes=notes,
        )
        _save_unique(customer, message={"external_ref": DUPLICATE_REF}, force_insert=True)
        audit_record(
            organization=organization,
            actor=actor,
            action="customer.create",
            obj=customer,
            changes=_created(_customer_state(customer)),
        )
    return customer


def customer_update(
    *,
    customer: Customer,
    actor,
    name: str,
    kind: str,
    segment: str,
    region: str,
    account_owner,
    external_ref: str,
    notes: str,
    archived: bool,
) -> Customer:
    organization = customer.organization
    external_ref = external_ref.strip()
    with transaction.atomic():
        customer = Customer.objects.select_for_update(of=("self",)).select_related("account_owner").get(pk=customer.pk)
        _check_account_owner(organization=organization, user=account_owner, current_id=customer.account_owner_id)
        _check_external_ref(organization=organization, external_ref=external_ref, exclude_pk=customer.pk)
        before = _customer_state(customer)
        customer.name, customer.kind, customer.notes = name.strip(), kind, notes
        customer.segment, customer.region, customer.external_ref = segment.strip(), region.strip(), external_ref
        customer.account_owner = account_owner
        if archived != (customer.archived_at is not None):
            customer.archived_at = timezone.now() if archived else None
        changes = diff(before, _customer_state(customer))
        if changes:
            customer.updated_at = timezone.now()
            _save_unique(customer, message={"external_ref": DUPLICATE_REF})
            audit_record(
                organization=organization, actor=actor, action="customer.update", obj=customer, changes=changes
            )
    return customer


CONTACT_PERSONAL = ("name", "email", "phone")  # sealed in audit events (qms/audit/sealing.py)


def contact_audit_label(contact: Contact) -> dict:
    """How audit events name a contact: by number, never by name, and with its personal fields sealed."""
    object_type, object_id, _ = object_label(contact)
    return {
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": f"Contact #{contact.pk}",
        "personal": (subject_of(contact), CONTACT_PERSONAL),
    }


def contact_create(
    *,
    organization,
    actor,
    customer: Customer,
    name: str,
    email: str = "",
    phone: str = "",
    preferred_language: str = "en",
    consent: str = Contact.Consent.UNKNOWN,
) -> Contact:
    fields = _contact_fields(email=email, phone=phone, preferred_language=preferred_language)
    with transaction.atomic():
        _check_email(organization=organization, email=fields["email"])
        now = timezone.now()
        contact = Contact(
            organization=organization,
            customer=customer,
            name=name.strip(),
            **fields,
            consent=consent,
            consent_changed_at=now if consent != Contact.Consent.UNKNOWN else None,
            created_at=now,
            updated_at=now,
        )
        _save_unique(contact, message={"email": DUPLICATE_EMAIL}, force_insert=True)
        audit_record(
            organization=organization,
            actor=actor,
            action="contact.create",
            changes={"customer": [None, customer.name], **_created(snapshot(contact, CONTACT_AUDITED))},
            **contact_audit_label(contact),
        )
    return contact


def contact_update(
    *, contact: Contact, actor, name: str, email: str, phone: str, preferred_language: str, consent: str
) -> Contact:
    """Changing the consent state stamps consent_changed_at: when someone opted out is part of the record."""
    organization = contact.organization
    fields = _contact_fields(email=email, phone=phone, preferred_language=preferred_language)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        _check_email(organization=organization, email=fields["email"], exclude_pk=contact.pk)
        before = snapshot(contact, CONTACT_AUDITED)
        contact.name = name.strip()
        for field, value in fields.items():
            setattr(contact, field, value)
        if consent != contact.consent:
            contact.consent, contact.consent_changed_at = consent, timezone.now()
        changes = diff(before, snapshot(contact, CONTACT_AUDITED))
        if changes:
            contact.updated_at = timezone.now()
            _save_unique(contact, message={"email": DUPLICATE_EMAIL})
            audit_record(
                organization=organization,
                actor=actor,
                action="contact.update",
                changes=changes,
                **contact_audit_label(contact),
            )
    return contact
