"""One function per email; each writes an outbox row in the caller's transaction."""

from django.conf import settings
from django.urls import reverse

from qms.outbox.models import OutboxMessage
from qms.outbox.services import email_enqueue

from .models import Invitation, User


def send_invitation(*, invitation: Invitation, token: str) -> OutboxMessage:
    return email_enqueue(
        organization=invitation.organization,
        to=invitation.email,
        template="member-invitation",
        context={
            "invitation": invitation,
            "inviter": invitation.invited_by,
            "accept_url": settings.SITE_URL + reverse("invitation_accept", args=[token]),
        },
    )


def send_password_reset(*, user: User, reset_url: str) -> OutboxMessage:
    return email_enqueue(
        organization=None,
        to=user.email,
        template="password-reset",
        context={"user": user, "reset_url": reset_url},
        recipient=user,
    )
