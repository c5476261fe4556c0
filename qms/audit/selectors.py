from django.db.models import Q, QuerySet

from qms.tenancy.context import organization_context

from .chain import ChainBreak, find_break
from .models import GENESIS_HASH, AuditChainHead, AuditEvent


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
    """Recompute the organisation's whole chain; returns (events checked, first break or None).

    The chain head remembers the last event, so events deleted from the end are found as well.
    """
    with organization_context(organization):
        events = AuditEvent.objects.filter(organization=organization).order_by("seq").iterator(chunk_size=2000)
        count, last_hash = 0, GENESIS_HASH

        def counted():
            nonlocal count, last_hash
            for event in events:
                count, last_hash = count + 1, event.hash
                yield event

        found = find_break(counted(), genesis=GENESIS_HASH)
        if found is None:
            found = _head_mismatch(organization=organization, count=count, last_hash=last_hash)
        return count, found


def _head_mismatch(*, organization, count: int, last_hash: str) -> ChainBreak | None:
    head = AuditChainHead.objects.filter(organization=organization).first()
    if head is None or (head.seq, head.hash) == (count, last_hash):
        return None
    if head.seq > count:
        return ChainBreak(count + 1, count + 1, f"events {count + 1} to {head.seq} are missing from the end")
    return ChainBreak(count, count, "the last event does not match the chain head")
