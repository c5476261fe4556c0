"""What a survey link's token leads to: an invitation (/r/<token>/, /u/<token>/) or a survey's public link.

The organisation is found first, across organisations, from the token's hash alone (LINK_ORGANIZATION, a crossing
that answers an id); the invitation or survey is then read inside that organisation's context.
"""

from __future__ import annotations

from django.db import connection
from django_scopes import scopes_disabled

from qms.tenancy.crossings import crossing_ids
from qms.tenancy.models import Organization
from qms.tenancy.public_links import token_hash
from surveys.models import Invitation, Survey

LINK_ORGANIZATION = """
CREATE OR REPLACE FUNCTION app_survey_link_organization(link_hash text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT organization_id FROM surveys_invitation WHERE token_hash = link_hash
  UNION ALL
  SELECT organization_id FROM surveys_survey WHERE public_token_hash = link_hash AND public_link_enabled
  LIMIT 1
$$
"""


def link_organization(*, token_hash: str) -> int | None:
    """The organisation a survey link's token hash belongs to (the TokenLink's `organization_of`)."""
    if connection.vendor == "postgresql":
        found = crossing_ids("SELECT app_survey_link_organization(%s)", [token_hash])
        return found[0] if found else None
    with scopes_disabled():
        invitation = Invitation.objects.filter(token_hash=token_hash).values_list("organization_id", flat=True)
        survey = Survey.objects.filter(public_token_hash=token_hash, public_link_enabled=True)
        return invitation.first() or survey.values_list("organization_id", flat=True).first()


def invitation_for_token(*, organization: Organization, token: str) -> Invitation | None:
    return (
        Invitation.objects.filter(organization=organization, token_hash=token_hash(token))
        .select_related("survey", "version", "contact__customer", "partial")
        .first()
    )


def public_survey_for_token(*, organization: Organization, token: str) -> Survey | None:
    return Survey.objects.filter(
        organization=organization, public_token_hash=token_hash(token), public_link_enabled=True
    ).first()
