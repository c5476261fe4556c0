from collections.abc import Iterator

from django.db.models import QuerySet

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization

from .chain import ChainBreak, find_break
from .models import GENESIS_HASH, AuditChainHead, AuditEvent


def audit_events(*, organization: Organization) -> QuerySet[AuditEvent]:
    """The organisation's events, newest first (qms/audit/filters.py narrows them for the trail and the API)."""
    return AuditEvent.objects.filter(organization=organization).select_related("actor").order_by("-seq")


def audit_object_types(*, organization: Organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=organization)
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )


def audit_chain_verify(*, organization: Organization) -> tuple[int, ChainBreak | None]:
    """Recompute the organisation's whole chain; returns (events checked, first break or None).

    The chain head remembers the last event, so events deleted from the end are found as well.
    """
    with organization_context(organization):
        events = AuditEvent.objects.filter(organization=organization).order_by("seq").iterator(chunk_size=2000)
        count, last_hash = 0, GENESIS_HASH

        def counted() -> Iterator[AuditEvent]:
            nonlocal count, last_hash
            for event in events:
                count, last_hash = count + 1, event.hash
                yield event

        found = find_break(counted(), genesis=GENESIS_HASH)
        if found is None:
            found = _head_mismatch(organization=organization, count=count, last_hash=last_hash)
        return count, found


def _head_mismatch(*, organization: Organization, count: int, last_hash: str) -> ChainBreak | None:
    head = AuditChainHead.objects.filter(organization=organization).first()
    if head is None or (head.seq, head.hash) == (count, last_hash):
        return None
    if head.seq > count:
        return ChainBreak(count + 1, count + 1, f"events {count + 1} to {head.seq} are missing from the end")
    return ChainBreak(count, count, "the last event does not match the chain head")
