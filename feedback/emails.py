"""One function per email of the feedback app; each writes an outbox row in the caller's transaction."""

from django.utils.translation import get_language

from feedback.models import FeedbackItem
from qms.outbox.models import OutboxMessage
from qms.outbox.services import email_enqueue


def send_feedback_received(*, item: FeedbackItem) -> OutboxMessage:
    """Confirm a public submission to the address the sender gave.

    It carries the reference, kind and date, and nothing the sender typed (not their name, product or text):
    the public form must not become a way to send chosen words to someone else's address.
    """
    contact_language = item.contact.preferred_language if item.contact and not item.contact.erased_at else ""
    return email_enqueue(
        organization=item.organization,
        to=item.submitter_email,
        template="feedback-received",
        context={"item": item},
        language=contact_language or get_language(),  # the contact's, else the form's they wrote on
    )
