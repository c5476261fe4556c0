"""A send's progress, counted in the database: invited, delivered, failed, waiting, answered, expired, revoked."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Organization
from surveys.models import Survey, SurveySend

Mail = OutboxMessage.State


def progress_counts() -> dict[str, Any]:
    """The aggregates of a send's invitations, for `annotate()` on sends or `aggregate()` on invitations."""
    now = timezone.now()
    prefix = "invitations__"
    return {
        "delivered": Count("invitations", filter=Q(**{f"{prefix}message__state": Mail.SENT})),
        "failed": Count("invitations", filter=Q(**{f"{prefix}message__state": Mail.FAILED})),
        "waiting": Count("invitations", filter=Q(**{f"{prefix}message__state": Mail.PENDING})),
        "answered": Count("invitations", filter=Q(**{f"{prefix}answered_at__isnull": False})),
        "expired": Count(
            "invitations",
            filter=Q(
                **{
                    f"{prefix}answered_at__isnull": True,
                    f"{prefix}revoked_at__isnull": True,
                    f"{prefix}expires_at__lte": now,
                }
            ),
        ),
        "revoked": Count("invitations", filter=Q(**{f"{prefix}revoked_at__isnull": False})),
    }


def sends_with_progress(*, organization: Organization, survey: Survey | None = None) -> QuerySet[SurveySend]:
    sends = SurveySend.objects.filter(organization=organization).select_related("survey", "version", "created_by")
    if survey is not None:
        sends = sends.filter(survey=survey)
    return sends.annotate(**progress_counts()).order_by("-created_at", "-pk")


def send_progress(send: SurveySend) -> dict[str, int]:
    """The counts of one send (one query): what its page and the API show while the emails leave."""
    counts = SurveySend.objects.filter(organization_id=send.organization_id, pk=send.pk).aggregate(**progress_counts())
    return {"invited": send.invited, **counts}
