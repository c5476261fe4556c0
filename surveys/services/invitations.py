"""What a manager does to invitations once they are sent: revoke them (the wrong audience, a contact who asked not
to be surveyed this time). A revoked link answers "withdrawn" from then on, and its email is withdrawn too when it
has not left yet; an answer already given stays."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.accounts.models import User
from qms.audit.services import audit_record
from qms.outbox.models import OutboxMessage
from qms.outbox.services import outbox_cancel
from surveys.models import Invitation, SurveySend


def invitations_revoke(*, send: SurveySend, actor: User, invitation: Invitation | None = None) -> tuple[int, int]:
    """Revoke the send's unanswered invitations, or only `invitation`: returns (revoked, emails withdrawn).

    The rows are locked, so an answer being submitted right now either lands first (and its invitation is no longer
    unanswered) or finds the invitation revoked (the submission's compare-and-swap asks for revoked_at IS NULL)."""
    organization_id = send.organization_id
    with transaction.atomic():
        unanswered = Invitation.objects.select_for_update().filter(
            organization_id=organization_id, send=send, answered_at__isnull=True, revoked_at__isnull=True
        )
        if invitation is not None:
            unanswered = unanswered.filter(pk=invitation.pk)
        rows = list(unanswered.values_list("pk", "message_id"))
        if not rows:
            if invitation is not None:
                raise ValidationError(_("This invitation was already answered or revoked."))
            raise ValidationError(_("Every invitation of this send was already answered or revoked."))
        Invitation.objects.filter(pk__in=[pk for pk, _message in rows]).update(revoked_at=timezone.now())
        messages = OutboxMessage.objects.filter(
            organization_id=organization_id, pk__in=[message for _pk, message in rows if message]
        )
        withdrawn = outbox_cancel(messages=messages)
        changes: dict[str, list] = {"revoked": [None, len(rows)], "emails_withdrawn": [None, withdrawn]}
        if invitation is not None:
            changes["invitation"] = [None, invitation.pk]
        audit_record(organization=send.organization, actor=actor, action="invitation.revoke", obj=send, changes=changes)
    return len(rows), withdrawn
