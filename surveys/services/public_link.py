"""A survey's public link (/r/<token>/ for anyone, for a QR code on a receipt or a counter): off by default,
switched on and off by a manager, its token renewed on request (the old link then leads nowhere), and its answers
limited per address and hour. An answer through it counts as "anonymous link", never as an invitation."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from qms.audit.writes import audited_update
from qms.tenancy.public_links import new_token, token_hash
from surveys.models import PublicLinkAnswer, Survey, SurveyVersion

from .sending import sendable_version

WINDOW = timedelta(hours=1)


class PublicLinkRateLimited(Exception):
    """Too many answers from one address through one survey's public link in the last hour."""


def survey_public_link(*, survey: Survey, actor: object, enabled: bool, renew: bool = False) -> Survey:
    """Switch the public link on (it serves the survey's latest version, locked from now on, and opens a draft
    survey) or off; `renew` gives it a new token."""

    def prepare(locked: Survey) -> dict[str, object]:
        values: dict[str, object] = {"public_link_enabled": enabled}
        if not enabled:
            return values
        version = sendable_version(locked)
        if version.locked_at is None:
            SurveyVersion.objects.filter(organization=locked.organization, pk=version.pk).update(
                locked_at=timezone.now()
            )
        if locked.status == Survey.Status.DRAFT:
            values.update(Survey.workflow.apply(locked, "open"))
        if renew or not locked.public_token:
            token = new_token()
            values.update(public_token=token, public_token_hash=token_hash(token))
        return values

    changes = {"public_link_renewed": [None, True]} if renew else None
    survey, _changed = audited_update(
        instance=survey, actor=actor, action="survey.public_link", prepare=prepare, extra_changes=changes
    )
    return survey


def public_link_answer_count(*, survey: Survey, address: str) -> None:
    """Count an answer through the public link against the address; refuse one past the hourly limit."""
    now = timezone.now()
    answers = PublicLinkAnswer.objects.filter(organization=survey.organization, survey=survey)
    answers.filter(created_at__lt=now - WINDOW).delete()
    if answers.filter(address_hash=address).count() >= settings.SURVEY_PUBLIC_LINK_ANSWERS_PER_HOUR:
        raise PublicLinkRateLimited
    PublicLinkAnswer.objects.create(organization=survey.organization, survey=survey, address_hash=address)
