from django.db.models import Count, Q, QuerySet

from qms.tenancy.models import Organization

from .models import OutboxMessage, OutboxSendRate


def outbox_messages(
    *, organization: Organization, state: str | None = None, search: str | None = None
) -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.filter(organization=organization).defer("body_text", "body_html")
    if state in OutboxMessage.State.values:
        qs = qs.filter(state=state)
    if search:
        qs = qs.filter(Q(to_email__icontains=search) | Q(subject__icontains=search))
    return qs.order_by("-created_at")


def outbox_counts(*, organization: Organization) -> dict[str, int]:
    rows = OutboxMessage.objects.filter(organization=organization).values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def send_rate(*, organization: Organization) -> OutboxSendRate | None:
    """The organisation's sending-rate row, if it has one yet (made at its first claim or setting)."""
    return OutboxSendRate.objects.filter(organization=organization).first()
