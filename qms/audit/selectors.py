from collections.abc import Iterator

from django.db.models import QuerySet

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization

from .chain import ChainBreak, find_break
from .checkpoints import Checkpoint, latest_checkpoint
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


def audit_chain_verify(
    *, organization: Organization, checkpoint: Checkpoint | None = None
) -> tuple[int, ChainBreak | None]:
    """Recompute the organisation's whole chain; returns (events checked, first break or None).

    The chain is checked against a signed checkpoint, the one given (exported earlier) or else the latest stored:
    every event up to it must be there, the one at it must have its hash, and its signature must hold. The chain
    head remembers the last event, so events deleted from the end are found as well.
    """
    with organization_context(organization):
        checkpoint = checkpoint or latest_checkpoint(organization=organization)
        events = AuditEvent.objects.filter(organization=organization).order_by("seq").iterator(chunk_size=2000)
        count, last_hash, at_checkpoint = 0, GENESIS_HASH, None

        def counted() -> Iterator[AuditEvent]:
            nonlocal count, last_hash, at_checkpoint
            for event in events:
                count, last_hash = count + 1, event.hash
                if checkpoint is not None and event.seq == checkpoint.seq:
                    at_checkpoint = event.hash
                yield event

        found = find_break(counted(), genesis=GENESIS_HASH)
        if found is None and checkpoint is not None:
            found = _checkpoint_mismatch(organization, checkpoint, count=count, at_checkpoint=at_checkpoint)
        if found is None:
            found = _head_mismatch(organization=organization, count=count, last_hash=last_hash)
        return count, found


def _checkpoint_mismatch(
    organization: Organization, checkpoint: Checkpoint, *, count: int, at_checkpoint: str | None
) -> ChainBreak | None:
    signed = f"the checkpoint signed at {checkpoint.created_at}"
    if checkpoint.organization != organization.pk or not checkpoint.is_signed():
        return ChainBreak(checkpoint.seq, checkpoint.seq, f"{signed} is not this organisation's signature")
    if count < checkpoint.seq:
        first = count + 1
        return ChainBreak(first, first, f"events {first} to {checkpoint.seq} are missing before {signed}")
    if at_checkpoint != checkpoint.hash:
        return ChainBreak(checkpoint.seq, checkpoint.seq, f"event {checkpoint.seq} is not the one in {signed}")
    return None


def _head_mismatch(*, organization: Organization, count: int, last_hash: str) -> ChainBreak | None:
    head = AuditChainHead.objects.filter(organization=organization).first()
    if head is None or (head.seq, head.hash) == (count, last_hash):
        return None
    if head.seq > count:
        return ChainBreak(count + 1, count + 1, f"events {count + 1} to {head.seq} are missing from the end")
    return ChainBreak(count, count, "the last event does not match the chain head")
