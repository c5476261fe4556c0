"""Writes of the customer directory: customers and their contacts, each audited with the fields it changed.

The rules for a contact's email, phone and language live here, so the forms and the import apply the same ones.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from qms.accounts.models import User
from qms.audit.writes import audited_create, audited_state, audited_update
from qms.tenancy.access import WRITERS
from qms.tenancy.models import Membership, Organization

PHONE_RE = re.compile(r"^[0-9+()./\- ]*[0-9][0-9+()./\- ]*(?:(?:x|ext\.?) ?[0-9]+)?$", re.IGNORECASE)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
# A fast, strict subset of what Django's EmailValidator accepts; anything else goes to the validator itself.
PLAIN_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
PHONE_MESSAGE = _("Enter a phone number: digits, spaces, + ( ) - . / and an optional extension.")
LANGUAGE_MESSAGE = _("Enter a language code such as en, de or fr-ca.")
DUPLICATE_EMAIL = _("Another contact of this organisation already has this email.")
DUPLICATE_REF = _("Another customer of this organisation already has this external reference.")


def email_address(value: str) -> str:
    """A contact's email as stored: trimmed and in lower case, so one address is one contact."""
    email = value.strip().lower()
    if email and len(email) <= 254 and PLAIN_EMAIL_RE.match(email):
        return email
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(_("Enter a valid email address.")) from None
        if len(email) > 254:
            raise ValidationError(_("An email address has at most 254 characters."))
    return email


def phone_number(value: str) -> str:
    phone = " ".join(value.split())
    if phone and (len(phone) > 40 or not PHONE_RE.match(phone)):
        raise ValidationError(PHONE_MESSAGE)
    return phone


def language_code(value: str) -> str:
    code = value.strip().lower().replace("_", "-")
    if code and not LANGUAGE_RE.match(code):
        raise ValidationError(LANGUAGE_MESSAGE)
    return code


def _check_account_owner(*, organization: Organization, user: User | None, current_id: int | None = None) -> None:
    if user is None or user.pk == current_id:
        return
    members = Membership.objects.active().filter(organization=organization, user=user, role__in=WRITERS)
    if not members.exists():
        raise ValidationError({"account_owner": _("An account owner must be an owner, manager or staff member here.")})


def _check_external_ref(*, organization: Organization, external_ref: str, exclude_pk: int | None = None) -> None:
    if not external_ref:
        return
    others = Customer.objects.filter(organization=organization, external_ref=external_ref)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError({"external_ref": DUPLICATE_REF})


def _check_email(*, organization: Organization, email: str, exclude_pk: int | None = None) -> None:
    if not email:
        return
    others = Contact.objects.filter(organization=organization, email=email, erased_at__isnull=True)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError({"email": DUPLICATE_EMAIL})


CONTACT_RULES = {"email": email_address, "phone": phone_number, "preferred_language": language_code}


def _contact_fields(**fields: str) -> dict[str, str]:
    """The given email, phone and language checked and tidied, or a ValidationError naming each bad field."""
    cleaned, errors = {}, {}
    for field, value in fields.items():
        try:
            cleaned[field] = CONTACT_RULES[field](value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    if "preferred_language" in cleaned:
        cleaned["preferred_language"] = cleaned["preferred_language"] or "en"
    return cleaned


def _customer_state(customer: Customer) -> dict:
    """A customer's audited fields; its account owner by email, as the directory and the import name people."""
    state = audited_state(customer)
    state["account_owner"] = customer.account_owner.email if customer.account_owner is not None else None
    return state


CUSTOMER_FIELDS = ("name", "kind", "segment", "region", "account_owner", "external_ref", "notes")
CONTACT_FIELDS = ("name", "email", "phone", "preferred_language", "consent")


def _unknown(fields: dict[str, Any], allowed: tuple[str, ...], service: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{service} does not change {sorted(unknown)}")


def customer_create(
    *,
    organization: Organization,
    actor: User,
    name: str,
    kind: str = Customer.Kind.ORGANISATION,
    segment: str = "",
    region: str = "",
    account_owner: User | None = None,
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
        return audited_create(
            instance=customer,
            actor=actor,
            action="customer.create",
            state=_customer_state,
            unique_error={"external_ref": str(DUPLICATE_REF)},
        )


def customer_update(*, customer: Customer, actor: User, archived: bool | None = None, **fields: Any) -> Customer:
    """Change the fields given (any of CUSTOMER_FIELDS) and archive or restore the customer; audited."""
    _unknown(fields, CUSTOMER_FIELDS, "customer_update")
    data = {name: value.strip() if name in ("name", "segment", "region", "external_ref") else value
            for name, value in fields.items()}  # fmt: skip

    def prepare(locked: Customer) -> dict[str, Any]:
        if "account_owner" in data:
            _check_account_owner(
                organization=locked.organization, user=data["account_owner"], current_id=locked.account_owner_id
            )
        if "external_ref" in data:
            _check_external_ref(
                organization=locked.organization, external_ref=data["external_ref"], exclude_pk=locked.pk
            )
        if archived is None or archived == (locked.archived_at is not None):
            return {}
        return {"archived_at": timezone.now() if archived else None}

    customer, _updated = audited_update(
        instance=customer,
        actor=actor,
        action="customer.update",
        data=data,
        prepare=prepare,
        state=_customer_state,
        unique_error={"external_ref": str(DUPLICATE_REF)},
        related=("organization", "account_owner"),
    )
    return customer


def contact_create(
    *,
    organization: Organization,
    actor: User,
    customer: Customer,
    name: str,
    email: str = "",
    phone: str = "",
    preferred_language: str = "en",
    consent: str = Contact.Consent.UNKNOWN,
    consent_source: str = Contact.ConsentSource.STAFF,
) -> Contact:
    """A new contact of a customer; a consent given with it is recorded as from `consent_source` (a person on the
    directory's pages, "api" through the API)."""
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
            consent_source=consent_source if consent != Contact.Consent.UNKNOWN else "",
            created_at=now,
            updated_at=now,
        )
        return audited_create(
            instance=contact,
            actor=actor,
            action="contact.create",
            extra_changes={"customer": [None, customer.name]},
            unique_error={"email": str(DUPLICATE_EMAIL)},
        )


def contact_update(
    *, contact: Contact, actor: User, consent_source: str = Contact.ConsentSource.STAFF, **fields: Any
) -> Contact:
    """Change the fields given (any of CONTACT_FIELDS); changing the consent state stamps consent_changed_at and
    consent_source (a person on the directory's pages, "api" through the API): when and how someone opted out is
    part of the record."""
    _unknown(fields, CONTACT_FIELDS, "contact_update")
    if contact.erased_at is not None:
        raise ValidationError(_("This contact's personal data was erased; it cannot be changed."))
    data = {**fields, **_contact_fields(**{name: fields[name] for name in CONTACT_RULES if name in fields})}
    if "name" in data:
        data["name"] = data["name"].strip()

    def prepare(locked: Contact) -> dict[str, Any]:
        if "email" in data:
            _check_email(organization=locked.organization, email=data["email"], exclude_pk=locked.pk)
        if "consent" in data and data["consent"] != locked.consent:
            return {"consent_changed_at": timezone.now(), "consent_source": consent_source}
        return {}

    contact, _updated = audited_update(
        instance=contact,
        actor=actor,
        action="contact.update",
        data=data,
        prepare=prepare,
        unique_error={"email": str(DUPLICATE_EMAIL)},
        related=("organization",),
    )
    return contact


def contact_opt_out(*, contact: Contact, source: str, actor: User | None = None) -> bool:
    """The contact wants no more email: consent becomes opted out, stamped with when and how (`source`, one of
    Contact.ConsentSource: "one_click" from an email's List-Unsubscribe, "unsubscribe_page" …), audited. `actor` is
    None when the contact did it themselves (an unsubscribe link), as the public form's submissions are.

    Idempotent: a contact already opted out is left as it is (no new event); returns whether it changed."""
    if source not in Contact.ConsentSource.values:
        raise ValueError(f"unknown consent source {source!r}")
    opted_out = Contact.Consent.OPTED_OUT

    def prepare(locked: Contact) -> dict[str, Any]:
        if locked.consent == opted_out:
            return {}
        return {"consent": opted_out, "consent_changed_at": timezone.now(), "consent_source": source}

    _contact, changes = audited_update(
        instance=contact, actor=actor, action="contact.opt_out", prepare=prepare, related=("organization",)
    )
    return bool(changes)
