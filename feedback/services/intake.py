"""Feedback that customers send themselves through the organisation's public form.

The submission writes only to the database (the feedback item, its audit events, and an outbox row when a
confirmation is asked for), so it is never lost to a broker outage. The rate limit is counted from the same
table, so it holds with Redis down too, and a refused or failed submission is not counted. Submissions from one
address to one organisation take a lock before counting (qms/locks.py), so concurrent ones count each other.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import Contact
from feedback.emails import send_feedback_received
from feedback.models import FeedbackItem
from qms.audit.services import audit_record
from qms.locks import transaction_lock
from qms.tenancy.models import Organization
from qms.tenancy.public_links import address_hash as source_ip_hash  # the keyed hash of the sender's address

from .inbox import feedback_create


class IntakeRateLimited(Exception):
    """Too many submissions from one address to one organisation in the window."""


def intake_recent_count(*, organization: Organization, ip_hash: str) -> int:
    since = timezone.now() - timedelta(minutes=settings.PUBLIC_FORM_RATE_WINDOW_MINUTES)
    return FeedbackItem.objects.filter(organization=organization, source_ip_hash=ip_hash, created_at__gte=since).count()


def _contact_for_email(*, organization: Organization, email: str) -> Contact | None:
    if not email:
        return None
    return (
        Contact.objects.filter(organization=organization, email__iexact=email, erased_at__isnull=True)
        .select_related("customer")
        .order_by("pk")
        .first()
    )


def feedback_submit_public(
    *,
    organization: Organization,
    ip: str | None,
    kind: str,
    message: str,
    name: str = "",
    email: str = "",
    product: str = "",
    send_confirmation: bool = False,
    may_contact: bool = False,
) -> FeedbackItem:
    """Record one public submission as a web-form feedback item.

    The sender is matched to a contact on file by email, but their input never creates or changes a contact:
    what they typed is kept as the submitter's name and email on the item.
    """
    ip_hash = source_ip_hash(ip)
    with transaction.atomic():
        transaction_lock("feedback.public-form", f"{organization.pk}:{ip_hash}")
        if intake_recent_count(organization=organization, ip_hash=ip_hash) >= settings.PUBLIC_FORM_RATE_LIMIT:
            raise IntakeRateLimited
        contact = _contact_for_email(organization=organization, email=email)
        item = feedback_create(
            organization=organization,
            actor=None,
            channel=FeedbackItem.Channel.WEB_FORM,
            kind=kind,
            text=message,
            customer=contact.customer if contact else None,
            contact=contact,
            submitter_name=name,
            submitter_email=email,
            product=product,
            source_ip_hash=ip_hash,
        )
        if may_contact:
            audit_record(
                organization=organization,
                actor=None,
                action="feedback.contact_consent",
                obj=item,
                changes={"may_contact": [None, True]},
            )
        if send_confirmation and email:
            send_feedback_received(item=item)
    return item
