"""What a survey link's token leads to: an invitation (/r/<token>/, /u/<token>/) or a survey's public link.

The organisation is found first, across organisations, from the token's hash alone (LINK_ORGANIZATION, a crossing
that answers an id); the invitation or survey is then read inside that organisation's context.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django_scopes import scopes_disabled

from customers.models import Contact, Customer
from qms.tenancy.crossings import crossing_ids
from qms.tenancy.models import Organization
from qms.tenancy.public_links import token_hash
from qms.tenancy.sql import Columns, fetch_all, fetch_one
from surveys.models import Invitation, LoopRule, PartialResponse, Survey, SurveyVersion

# PL/pgSQL, not SQL: a SECURITY DEFINER SQL function is not inlined and plans its query on every call, where
# PL/pgSQL keeps the plan for its session (every visit of a survey link asks).
LINK_ORGANIZATION = """
CREATE OR REPLACE FUNCTION app_survey_link_organization(link_hash text) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  RETURN (
    SELECT organization_id FROM surveys_invitation WHERE token_hash = link_hash
    UNION ALL
    SELECT organization_id FROM surveys_survey WHERE public_token_hash = link_hash AND public_link_enabled
    LIMIT 1
  );
END
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


# What a link's page reads with its invitation, in one statement: the survey, the version, of the contact only what
# a response keeps (its customer's attributes; the contact's other fields load when asked for: unsubscribe), the
# partial answers, and the survey's active follow-up rules, which an answer is matched against (one row for each,
# the invitation repeated on each; one row when there is none).
INVITATION, SURVEY, VERSION = Columns(Invitation, "i"), Columns(Survey, "s"), Columns(SurveyVersion, "v")
CONTACT = Columns(Contact, "c", only=("id", "organization", "customer"))
CUSTOMER = Columns(Customer, "cu", only=("id", "organization", "segment", "region", "kind"))
PARTIAL = Columns(PartialResponse, "p")
RULE = Columns(LoopRule, "r")


@cache
def _invitation_sql(vendor: str) -> str:
    i, s, v, c, cu, p, r = INVITATION, SURVEY, VERSION, CONTACT, CUSTOMER, PARTIAL, RULE
    columns = ", ".join(part.sql() for part in (i, s, v, c, cu, p, r))
    rule = f"{r.column('organization')} = {i.column('organization')} AND {r.column('survey')} = {i.column('survey')}"
    return (
        f"SELECT {columns} FROM {i.table()} "  # noqa: S608 - names from the models, the values parameters
        f"JOIN {s.table()} ON {s.column('id')} = {i.column('survey')} "
        f"JOIN {v.table()} ON {v.column('id')} = {i.column('version')} "
        f"JOIN {c.table()} ON {c.column('id')} = {i.column('contact')} "
        f"LEFT JOIN {cu.table()} ON {cu.column('id')} = {c.column('customer')} "
        f"LEFT JOIN {p.table()} ON {p.column('invitation')} = {i.column('id')} "
        f"LEFT JOIN {r.table()} ON {rule} AND {r.column('active')} "
        f"WHERE {i.column('organization')} = %s AND {i.column('token_hash')} = %s ORDER BY {r.column('id')}"
    )


def invitation_for_token(*, organization: Organization, token: str) -> Invitation | None:
    """The invitation of a link's token in this organisation, with its survey (and its active follow-up rules),
    version, contact's customer and partial answers (hand-written, qms.tenancy.sql: every answer reads it)."""
    params: list[int | str] = [organization.pk, token_hash(token)]
    found = fetch_all(
        _invitation_sql(connection.vendor), params, INVITATION, SURVEY, VERSION, CONTACT, CUSTOMER, PARTIAL, RULE
    )
    if not found:
        return None
    invitation, survey, version, contact, customer, partial, _rule = found[0]
    survey.active_rules = [rule for *_read, rule in found if rule is not None]
    version.survey = invitation.survey = survey
    contact.customer = customer
    invitation.version, invitation.contact = version, contact
    invitation.organization = survey.organization = version.organization = organization
    Invitation.partial.related.set_cached_value(invitation, partial)  # None too: there is none, not "not read"
    if partial is not None:
        partial.invitation = invitation
    return invitation


@cache
def _public_survey_sql(vendor: str) -> str:
    s = SURVEY
    hashed, enabled = s.column("public_token_hash"), s.column("public_link_enabled")
    where = f"{s.column('organization')} = %s AND {hashed} = %s AND {enabled}"
    return f"SELECT {s.sql()} FROM {s.table()} WHERE {where}"  # noqa: S608 - names from the model


def public_survey_for_token(*, organization: Organization, token: str) -> Survey | None:
    found = fetch_one(_public_survey_sql(connection.vendor), [organization.pk, token_hash(token)], SURVEY)
    if found is None:
        return None
    survey = found[0]
    survey.organization = organization
    return survey
