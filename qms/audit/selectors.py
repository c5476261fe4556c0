from django.db.models import Q, QuerySet

from qms.tenancy.context import organization_context

from .chain import ChainBreak, find_break
from .models import GENESIS_HASH, AuditEvent


def audit_events(
    *, organization, actor_id=None, object_type=None, since=None, until=None, search=None
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(organization=organization).select_related("actor")
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    if search:
        qs = qs.filter(
            Q(object_repr__icontains=search) | Q(action__icontains=search) | Q(actor_label__icontains=search)
        )
    return qs.order_by("-seq")


def audit_object_types(*, organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=organization)
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )


def audit_chain_verify(*, organization) -> tuple[int, ChainBreak | None]:
    """Recompute the organisation's whole chain; returns (events checked, first break or None)."""
    with organization_context(organization):
        events = AuditEvent.objects.filter(organization=organization).order_by("seq").iterator(chunk_size=2000)
        count = 0

        def counted():
            nonlocal count
            for event in events:
                count += 1
                yield event

        found = find_break(counted(), genesis=GENESIS_HASH)
        return count, found
