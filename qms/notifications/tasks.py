"""Digest tasks: beat's fan-out, one task per organisation (ids in, the organisation's context, one service call)."""

import logging

from celery import shared_task
from django.db import OperationalError

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization

from .digest import digests_send, organizations_to_digest

log = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="notifications.digest", acks_late=True, ignore_result=True, time_limit=120, soft_time_limit=100)
def digest_fan_out() -> None:
    for organization_id in organizations_to_digest():
        digest_organization.delay(organization_id)


@shared_task(
    name="notifications.digest_organization",
    acks_late=True,
    ignore_result=True,
    time_limit=300,
    soft_time_limit=240,
    **RETRY,
)
def digest_organization(organization_id: int) -> int:
    with organization_context(organization_id):
        sent = digests_send(organization=Organization.objects.get(pk=organization_id))
    if sent:
        log.info("organisation %s: %s notification digest(s) written to the outbox", organization_id, sent)
    return sent
