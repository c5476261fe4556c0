"""One function per email; each writes an outbox row in the caller's transaction."""

from django.conf import settings
from django.urls import reverse

from qms.outbox.services import email_enqueue


def send_invitation(*, invitation, token: str):
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


def send_password_reset(*, user, reset_url: str):
    return email_enqueue(
        organization=None, to=user.email, template="password-reset", context={"user": user, "reset_url": reset_url}
    )
