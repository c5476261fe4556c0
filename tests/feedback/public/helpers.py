"""What the public form tests share: a filled-in form, as a person who took their time would send it."""

import time

from feedback.forms.public import fill_token
from feedback.models import FeedbackItem
from qms.outbox.models import OutboxMessage

FORM = "/p/{slug}/feedback/"


def filled(tenant, *, seconds_ago: float = 60, **overrides) -> dict:
    return {
        "started": fill_token(tenant.organization, issued_at=time.time() - seconds_ago),
        "website": "",
        "name": "Ada Customer",
        "email": "ada@customer.example",
        "kind": "suggestion",
        "product": "Torque wrench TW-40",
        "message": "The calibration certificate should come with the wrench, not by post.",
        **overrides,
    }


def submit(client, tenant, *, ip: str = "198.51.100.7", **overrides):
    return client.post(FORM.format(slug=tenant.slug), filled(tenant, **overrides), REMOTE_ADDR=ip)


def items_of(tenant) -> list[FeedbackItem]:
    with tenant.context():
        return list(FeedbackItem.objects.filter(organization=tenant.organization).order_by("pk"))


def outbox_of(tenant) -> list[OutboxMessage]:
    """The emails to the sender; the staff's notifications of their submission are tests/notifications' to check."""
    with tenant.context():
        found = OutboxMessage.objects.filter(organization=tenant.organization)
        return list(found.exclude(purpose__startswith="notification").order_by("pk"))
