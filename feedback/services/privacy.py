"""A person's rights over their data: recording an export (right of access) and erasure (right to erasure).

Erasure pseudonymises rather than deletes: the contact and their feedback stay as records (kind, dates, themes,
sentiment and status keep the statistics true) while the personal data goes. The new audit events name the
fields that were erased, never their values; the earlier events sealed what they held of the person under the
contact's and the items' keys (qms/audit/sealing.py), and those keys are deleted.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.models import Contact, FeedbackItem
from feedback.selectors.privacy import contact_feedback
from feedback.services.customers import contact_audit_label
from qms.audit.sealing import shred, subject_of
from qms.audit.services import audit_record
from qms.outbox.models import OutboxMessage

ERASED = "[erased]"
MIN_IDENTIFIER = 2  # a one-letter "name" would erase every word that is that letter
CONTACT_FIELDS = ("name", "email", "phone", "consent")


def contact_export_record(*, contact: Contact, actor) -> None:
    """Leave a trace that someone downloaded everything held about this contact."""
    audit_record(
        organization=contact.organization, actor=actor, action="contact.export", **contact_audit_label(contact)
    )


def _scrub(text: str, identifiers: list[str]) -> str:
    """Each identifier replaced where it stands as a whole (the name Ann goes, "Annual" stays), any case."""
    for identifier in identifiers:
        text = re.sub(rf"(?<!\w){re.escape(identifier)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text


def _erase_from_feedback(item: FeedbackItem, identifiers: list[str]) -> list[str]:
    """Clear the submitter and replace the person's name, email or phone where it appears verbatim in the text."""
    own = [value for value in (item.submitter_email, item.submitter_name.strip()) if len(value) >= MIN_IDENTIFIER]
    identifiers = sorted({*identifiers, *own}, key=len)[::-1]
    values = {
        "submitter_name": "",
        "submitter_email": "",
        "text": _scrub(item.text, identifiers),
        "closing_note": _scrub(item.closing_note, identifiers),
    }
    erased = sorted(name for name, value in values.items() if getattr(item, name) != value)
    if erased:
        for name, value in values.items():
            setattr(item, name, value)
        item.updated_at = timezone.now()
        item.save(update_fields=[*values, "updated_at"])
    return erased


def _erase_from_outbox(*, organization, emails: list[str]) -> int:
    """Emails to the person: the address and bodies go; one not yet sent will not be sent."""
    count = 0
    for email in emails:
        messages = OutboxMessage.objects.filter(organization=organization, to_email__iexact=email)
        messages.filter(state=OutboxMessage.State.PENDING).update(
            state=OutboxMessage.State.FAILED, last_error="Not sent: the recipient's personal data was erased."
        )
        count += messages.update(to_email="", body_text=ERASED, body_html="")
    return count


def contact_erase(*, contact: Contact, actor) -> Contact:
    """Pseudonymise the contact and erase their personal data from their feedback; keep the records."""
    organization = contact.organization
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(organization=organization, pk=contact.pk)
        if contact.erased_at is not None:
            raise ValidationError(
                f"This contact's personal data was already erased on {timezone.localtime(contact.erased_at):%-d %B %Y}."
            )
        identifiers = [
            value for value in (contact.email, contact.phone, contact.name.strip()) if len(value) >= MIN_IDENTIFIER
        ]
        items = list(contact_feedback(organization=organization, contact=contact).select_for_update())
        emails = sorted({e.lower() for e in [contact.email, *(i.submitter_email for i in items)] if e})
        for item in items:
            erased = _erase_from_feedback(item, identifiers)
            if erased:
                audit_record(
                    organization=organization,
                    actor=actor,
                    action="feedback.erase_personal_data",
                    obj=item,
                    changes={"erased_fields": [None, ", ".join(erased)]},
                )
        # What earlier audit events hold of the person was sealed under these keys: without them it is unreadable.
        shredded = shred(organization=organization, subjects=[subject_of(contact), *map(subject_of, items)])
        now = timezone.now()
        contact.name = f"Erased contact #{contact.pk}"
        contact.email = contact.phone = ""
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
                "feedback_items": [None, len(items)],
                "emails_erased": [None, _erase_from_outbox(organization=organization, emails=emails)],
                "audit_keys_deleted": [None, shredded],
            },
            **contact_audit_label(contact),
        )
    return contact
