"""The surveys' background work: thin tasks, ids in, each organisation in its own context."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from qms.tenancy.context import organization_context
from qms.tenancy.models import Organization

from .services.campaigns import organizations_with_due_steps, steps_run
from .services.follow_ups import follow_ups_open, organizations_with_due_follow_ups
from .services.integrity import organizations_with_unsealed, responses_seal

log = logging.getLogger(__name__)


@shared_task(name="surveys.seal_responses", acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=240)
def seal_responses_task() -> None:
    """Beat, every minute: seal the responses that arrived, one chain per survey (surveys.services.integrity)."""
    for organization_id in organizations_with_unsealed():
        with transaction.atomic(), organization_context(organization_id):
            organization = Organization.objects.get(pk=organization_id)
            sealed = responses_seal(organization=organization)
        if sealed:
            log.info("sealed %s survey response(s) of organisation %s", sealed, organization_id)


@shared_task(name="surveys.open_follow_ups", acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=240)
def open_follow_ups_task() -> None:
    """Beat, every few seconds: open the follow-ups that answers asked for as feedback items (the closed loop)."""
    for organization_id in organizations_with_due_follow_ups():
        with organization_context(organization_id):
            organization = Organization.objects.get(pk=organization_id)
            opened = follow_ups_open(organization=organization)
        if opened:
            log.info("opened %s survey follow-up(s) of organisation %s", opened, organization_id)


@shared_task(name="surveys.run_campaigns", acks_late=True, ignore_result=True, time_limit=900, soft_time_limit=840)
def run_campaigns_task() -> None:
    """Beat, every CAMPAIGN_SECONDS: build the campaigns' due waves and send their due reminders. Beat is the
    guarantee: a step waits as a row until a beat finds it, however long Redis was away, and is done once."""
    now = timezone.now()
    for organization_id in organizations_with_due_steps(now=now):
        with organization_context(organization_id):
            organization = Organization.objects.get(pk=organization_id)
            done = steps_run(organization=organization, now=now)
        if done:
            log.info("did %s campaign step(s) of organisation %s", done, organization_id)
