"""A person's rights over their data: recording an export (right of access) and erasure (right to erasure).

Erasure pseudonymises rather than deletes: the contact and the records about them stay (kind, dates, themes,
sentiment and status keep the statistics true) while the personal data goes, in the directory and in every app
that registered a privacy handler (customers/privacy.py). The new audit events name the fields that were erased,
never their values; the earlier events sealed what they held of the person under the keys of the contact and of
each record (qms/audit/sealing.py), and those keys are deleted.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import Contact
from customers.privacy import ERASED, handlers, identifiers_of
from qms.accounts.models import User
from qms.audit.sealing import shred, subjects_of
from qms.audit.services import audit_record
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Organization

CONTACT_FIELDS = ("name", "email", "phone", "consent")


def contact_export_record(*, contact: Contact, actor: User) -> None:
    """Leave a trace that someone downloaded everything held about this contact."""
    audit_record(organization=contact.organization, actor=actor, action="contact.export", obj=contact)


def _erase_from_outbox(*, organization: Organization, emails: list[str]) -> int:
    """Emails to the person: the address, bodies, headers and a deferred one's context go; one not yet sent will not
    be sent."""
    count = 0
    for email in emails:
        messages = OutboxMessage.objects.filter(organization=organization, to_email__iexact=email)
        messages.filter(state=OutboxMessage.State.PENDING).update(
            state=OutboxMessage.State.FAILED, last_error="Not sent: the recipient's personal data was erased."
        )
        count += messages.update(to_email="", body_text=ERASED, body_html="", context={}, headers={})
    return count


def contact_erase(*, contact: Contact, actor: User) -> Contact:
    """Pseudonymise the contact and erase their personal data from every app's records; keep the records."""
    organization = contact.organization
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(organization=organization, pk=contact.pk)
        if contact.erased_at is not None:
            erased_on = date_format(timezone.localtime(contact.erased_at), "j F Y")
            raise ValidationError(
                _("This contact's personal data was already erased on %(date)s.") % {"date": erased_on}
            )
        identifiers = identifiers_of(contact.email, contact.phone, contact.name)
        subjects, emails, counts = list(subjects_of(contact)), {contact.email.lower()} - {""}, {}
        for handler in handlers():
            erased = handler.erase(organization=organization, contact=contact, identifiers=identifiers, actor=actor)
            subjects += erased.subjects
            emails |= {email.lower() for email in erased.emails}
            counts.update(erased.counts)
        # What earlier audit events hold of the person was sealed under these keys: without them it is unreadable.
        shredded = shred(organization=organization, subjects=subjects)
        now = timezone.now()
        contact.name = f"Erased contact #{contact.pk}"
        contact.email = contact.phone = contact.undeliverable_reason = ""  # a bounce's answer often quotes the address
        contact.consent, contact.consent_changed_at = Contact.Consent.OPTED_OUT, now
        contact.erased_at = contact.updated_at = now
        contact.save()
        audit_record(
            organization=organization,
            actor=actor,
            action="contact.erase",
            changes={
                "erased_at": [None, now],
                "erased_fields": [None, ", ".join(CONTACT_FIELDS)],
                **{name: [None, count] for name, count in counts.items()},
                "emails_erased": [None, _erase_from_outbox(organization=organization, emails=sorted(emails))],
                "audit_keys_deleted": [None, shredded],
            },
            obj=contact,
        )
    return contact
