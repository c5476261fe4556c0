"""Recording customers' answers: page by page as they go, then once, on submission.

A customer's answer is written to the database alone (no broker, no email, no audit-chain lock): submission is a
compare-and-swap on the invitation (`answered_at` from empty to set), so of any number of concurrent submissions
with one link exactly one records a response, and the others are told the link has been used. Each response
carries the digest of its content (surveys.services.integrity), so its integrity is proven without serialising
the organisation's answers behind one lock.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from customers.models import Contact
from qms.tenancy.models import Organization
from qms.tenancy.sql import execute
from surveys.models import (
    AnonymousSubmission,
    Invitation,
    PartialResponse,
    Response,
    Survey,
    SurveyVersion,
)
from surveys.questionnaire import Questionnaire

from .anonymity import anonymous_release
from .public_link import public_link_answer_count
from .responses import response_record


class LinkState(enum.Enum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CLOSED = "closed"


def invitation_state(invitation: Invitation, *, now: datetime | None = None) -> LinkState:
    now = now or timezone.now()
    if invitation.answered_at is not None:
        return LinkState.ANSWERED
    if invitation.revoked_at is not None:
        return LinkState.REVOKED
    if invitation.expires_at <= now:
        return LinkState.EXPIRED
    if invitation.survey.status == Survey.Status.CLOSED:
        return LinkState.CLOSED
    return LinkState.OPEN


def response_progress_save(
    *, invitation: Invitation, page: int, language: str, answers: Mapping[str, Any]
) -> PartialResponse:
    """Keep what the respondent has answered so far and the page they are on, so they can resume."""
    partial, _created = PartialResponse.objects.update_or_create(
        invitation=invitation,
        defaults={
            "organization": invitation.organization,
            "version": invitation.version,
            "page": page,
            "language": language,
            "answers": dict(answers),
            "updated_at": timezone.now(),
        },
    )
    return partial


def respondent_attributes(*, survey: Survey, contact: Contact | None, language: str) -> dict[str, str]:
    """What a response keeps of who answered: an identified one all of it, an anonymous one what the survey keeps."""
    customer = contact.customer if contact is not None else None
    every = {
        "segment": customer.segment if customer else "",
        "region": customer.region if customer else "",
        "kind": customer.kind if customer else "",
        "language": language,
    }
    kept = every if not survey.is_anonymous else {k: v for k, v in every.items() if k in survey.kept_attributes}
    return {key: value for key, value in kept.items() if value}


def response_submit(
    *,
    organization: Organization,
    version: SurveyVersion,
    questionnaire: Questionnaire,
    language: str,
    answers: Mapping[str, Any],
    invitation: Invitation | None = None,
    address: str = "",
    now: datetime | None = None,
) -> bool:
    """Record a submitted answer once. With an invitation, False when the link was used (or withdrawn) meanwhile;
    without one it is an answer through the survey's public link, counted against the sender's `address` (its
    hash), which PublicLinkRateLimited refuses past the hourly limit. `now` is when it was given (the demo's year
    of answers; a customer's answer is given now)."""
    survey = version.survey
    kept = questionnaire.clean_answers(answers)
    now = now or timezone.now()
    # A public link's refusal (PublicLinkRateLimited) rolls back to here and the page goes on; an invitation's
    # statements fail only with the request (a server error rolls the request's transaction back), so no savepoint.
    # On PostgreSQL an identified answer's compare-and-swap is the first part of the statement that writes it.
    claimed_with_response = invitation is not None and not survey.is_anonymous and connection.vendor == "postgresql"
    with transaction.atomic(savepoint=invitation is None):
        if invitation is None:
            public_link_answer_count(survey=survey, address=address)
        elif not claimed_with_response:
            # For an anonymous survey only the day is kept, so the invitation cannot be matched to an answer by time.
            answered = now if not survey.is_anonymous else _start_of_day(now, organization)
            if not _claim(organization=organization, invitation=invitation, answered=answered):
                return False
        contact = invitation.contact if invitation is not None else None
        source = Response.Source.INVITATION if invitation is not None else Response.Source.PUBLIC_LINK
        attributes = respondent_attributes(survey=survey, contact=contact, language=language)
        today = timezone.localdate(now, timezone=organization.zone())
        if survey.is_anonymous:
            AnonymousSubmission.objects.create(
                organization=organization,
                survey=survey,
                version=version,
                source=source,
                language=language,
                submitted_on=today,
                attributes=attributes,
                answers=kept,
            )
            anonymous_release(survey=survey, version=version)
            return True
        recorded = response_record(
            organization=organization,
            version=version,
            questions=questionnaire.questions,
            source=source,
            language=language,
            submitted_on=today,
            submitted_at=now,
            attributes=attributes,
            answers=kept,
            invitation=invitation,
            contact=contact,
            rules=survey.active_rules,
            provided=_claim_first(organization, invitation, now) if claimed_with_response and invitation else None,
        )
    return recorded is not None


# The compare-and-swap of the invitation's `answered_at`, and its partial answers deleted with it (for an anonymous
# survey they are the one row that joins an answer to its invitation): one statement on PostgreSQL.
CLAIM = (
    "UPDATE surveys_invitation SET answered_at = %s WHERE organization_id = %s AND id = %s "
    "AND answered_at IS NULL AND revoked_at IS NULL"
)
# On PostgreSQL, the claim's first part of a statement: what it provides, the invitation if it was won (the
# response's own statement follows it, qms.tenancy.sql.insert_with_children; an anonymous survey counts it).
CLAIM_FIRST = (
    f"provided AS ({CLAIM} RETURNING id), gone AS (DELETE FROM surveys_partialresponse "  # noqa: S608 - fixed text
    "WHERE organization_id = %s AND invitation_id IN (SELECT id FROM provided))"
)
CLAIM_POSTGRESQL = f"WITH {CLAIM_FIRST} SELECT count(*) FROM provided"  # noqa: S608 - fixed text
DROP_PARTIAL = "DELETE FROM surveys_partialresponse WHERE organization_id = %s AND invitation_id = %s"


def _claim_first(organization: Organization, invitation: Invitation, answered: datetime) -> tuple[str, list[Any]]:
    """The claim as a statement's first part and its parameters."""
    at = Invitation._meta.get_field("answered_at").get_db_prep_save(answered, connection)
    return CLAIM_FIRST, [at, organization.pk, invitation.pk, organization.pk]


def _claim(*, organization: Organization, invitation: Invitation, answered: datetime) -> bool:
    """Whether this submission is the one that answers the invitation (not answered nor withdrawn meanwhile)."""
    _first, params = _claim_first(organization, invitation, answered)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            execute(cursor, CLAIM_POSTGRESQL, params)
            return bool(cursor.fetchone()[0])
        cursor.execute(CLAIM, params[:3])
        if cursor.rowcount != 1:
            return False
        cursor.execute(DROP_PARTIAL, [organization.pk, invitation.pk])
    return True


def _start_of_day(moment: datetime, organization: Organization) -> datetime:
    zone = organization.zone()
    return datetime.combine(timezone.localdate(moment, timezone=zone), time.min, tzinfo=zone)
