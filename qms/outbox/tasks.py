from celery import shared_task
from django.db import OperationalError

from qms.tenancy.context import organization_context, system_context

from .services import outbox_claim_due, outbox_deliver

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="outbox.relay", acks_late=True, ignore_result=True, time_limit=60, soft_time_limit=50, **RETRY)
def relay_outbox() -> None:
    for organization_id, message_id in outbox_claim_due():
        send_outbox_message.delay(organization_id, message_id)


@shared_task(name="outbox.send", acks_late=True, ignore_result=True, time_limit=120, soft_time_limit=100, **RETRY)
def send_outbox_message(organization_id: int | None, message_id: int) -> str:
    context = organization_context(organization_id) if organization_id else system_context()
    with context:
        return outbox_deliver(message_id=message_id)
