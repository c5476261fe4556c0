from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from qms.tenancy.context import organization_context, system_context
from qms.tenancy.rls import SYSTEM_ORGANIZATION

from .services import outbox_claim_batches, outbox_deliver, outbox_deliver_batch

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="outbox.relay", acks_late=True, ignore_result=True, time_limit=60, soft_time_limit=50, **RETRY)
def relay_outbox() -> None:
    """Beat's guarantee (and the on-commit nudge): lease what is due, up to each organisation's cap, in batches."""
    for organization_id, message_ids in outbox_claim_batches():
        send_outbox_batch.delay(organization_id, message_ids)


@shared_task(name="outbox.send_batch", acks_late=True, ignore_result=True, time_limit=600, soft_time_limit=570, **RETRY)
def send_outbox_batch(organization_id: int | None, message_ids: list[int]) -> dict[str, int]:
    """Send one batch, then claim the organisation's next one (within its caps), so a wave keeps its workers busy
    without waiting for beat."""
    outcomes = outbox_deliver_batch(organization_id=organization_id, message_ids=message_ids)
    following = outbox_claim_batches(
        limit=settings.OUTBOX_BATCH_SIZE,
        organization_ids=[SYSTEM_ORGANIZATION if organization_id is None else organization_id],
    )
    for next_organization_id, next_ids in following:
        send_outbox_batch.delay(next_organization_id, next_ids)
    return dict(outcomes)


@shared_task(name="outbox.send", acks_late=True, ignore_result=True, time_limit=120, soft_time_limit=100, **RETRY)
def send_outbox_message(organization_id: int | None, message_id: int) -> str:
    """One message (tasks queued before the batches, or by hand)."""
    context = organization_context(organization_id) if organization_id else system_context()
    with context:
        return outbox_deliver(message_id=message_id)
