"""The owner's API token page, revoking tokens, and the create_api_token management command."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from qms.accounts.models import ApiToken
from qms.audit.models import AuditEvent
from qms.tenancy.models import Membership
from qms.tenancy.public_links import token_hash
from tests.factories import ApiTokenFactory

TOKENS = "/o/alpha/settings/api-tokens/"
NEW_KEY = re.compile(r'id="new-token">([^<]+)</code>')


def membership_of(tenant, user):
    with tenant.context():
        return Membership.objects.get(organization=tenant.organization, user=user)


def audit_actions(tenant):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization).order_by("seq").values_list("action"))


def tokens_of(tenant):
    with tenant.context():
        return list(ApiToken.objects.filter(organization=tenant.organization))


def authenticates(key, slug="alpha"):
    response = Client().get(f"/api/v1/o/{slug}/members/", headers={"authorization": f"Bearer {key}"})
    return response.status_code == 200


def create_token(client, tenant, *, name="CRM sync", user=None):
    membership = membership_of(tenant, user or tenant.manager)
    return client.post(TOKENS, {"name": name, "membership": membership.pk})


def test_creating_a_token_shows_the_secret_once_and_stores_only_its_hash(alpha, login):
    client = login(alpha.owner)
    response = create_token(client, alpha)
    assert response.status_code == 200
    key = NEW_KEY.search(response.content.decode()).group(1)
    [token] = tokens_of(alpha)
    assert token.token_hash == token_hash(key)
    assert token.prefix == key[:10]
    with alpha.context():
        row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not [column for column, value in row.items() if key in str(value)]
    assert token.membership_id == membership_of(alpha, alpha.manager).pk
    again = client.get(TOKENS)
    assert key not in again.content.decode()
    assert token.prefix in again.content.decode()


def test_a_created_token_authenticates_as_the_chosen_member(alpha, login):
    response = create_token(login(alpha.owner), alpha)
    key = NEW_KEY.search(response.content.decode()).group(1)
    assert authenticates(key)
    assert not authenticates(key, slug="bravo")


def test_creating_a_token_appends_an_audit_event(alpha, login):
    before = audit_actions(alpha)
    create_token(login(alpha.owner), alpha)
    assert audit_actions(alpha) == [*before, ("api_token.create",)]


def test_a_token_cannot_be_made_for_another_organisations_member(alpha, bravo, login):
    response = create_token(login(alpha.owner), bravo, user=bravo.owner)
    assert response.status_code == 200
    assert NEW_KEY.search(response.content.decode()) is None
    assert tokens_of(alpha) == []
    assert tokens_of(bravo) == []


def test_revoking_a_token_sets_revoked_at_and_appends_an_audit_event(alpha, login):
    token = ApiTokenFactory(membership=membership_of(alpha, alpha.manager), key="cl_alpha-manager-key")
    assert authenticates("cl_alpha-manager-key")
    before = audit_actions(alpha)
    response = login(alpha.owner).post(f"{TOKENS}{token.pk}/revoke/")
    assert response.status_code == 302
    assert response.url == TOKENS
    [revoked] = tokens_of(alpha)
    assert revoked.revoked_at is not None
    assert audit_actions(alpha) == [*before, ("api_token.revoke",)]
    with alpha.context():
        event = AuditEvent.objects.filter(organization=alpha.organization).latest("seq")
    assert (event.object_id, event.actor) == (str(token.pk), alpha.owner)
    assert not authenticates("cl_alpha-manager-key")


def test_revoking_a_token_twice_records_one_event(alpha, login):
    token = ApiTokenFactory(membership=membership_of(alpha, alpha.manager))
    client = login(alpha.owner)
    client.post(f"{TOKENS}{token.pk}/revoke/")
    before = audit_actions(alpha)
    client.post(f"{TOKENS}{token.pk}/revoke/")
    assert audit_actions(alpha) == before


def test_another_organisations_token_cannot_be_revoked(alpha, bravo, login):
    token = ApiTokenFactory(membership=membership_of(bravo, bravo.owner))
    response = login(alpha.owner).post(f"{TOKENS}{token.pk}/revoke/")
    assert response.status_code == 404
    assert tokens_of(bravo)[0].revoked_at is None


def test_a_manager_is_forbidden_the_tokens_page(alpha, login):
    client = login(alpha.manager)
    assert client.get(TOKENS).status_code == 403
    assert create_token(client, alpha, user=alpha.manager).status_code == 403
    assert tokens_of(alpha) == []


def test_a_manager_cannot_revoke_a_token(alpha, login):
    token = ApiTokenFactory(membership=membership_of(alpha, alpha.manager))
    assert login(alpha.manager).post(f"{TOKENS}{token.pk}/revoke/").status_code == 403
    assert tokens_of(alpha)[0].revoked_at is None


def test_the_command_prints_a_token_that_authenticates(alpha):
    out = StringIO()
    call_command("create_api_token", org="alpha", email="manager@alpha.test", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("cl_")
    [token] = tokens_of(alpha)
    assert token.token_hash == token_hash(key)
    assert token.membership_id == membership_of(alpha, alpha.manager).pk
    assert audit_actions(alpha)[-1] == ("api_token.create",)
    assert authenticates(key)


def test_the_command_refuses_someone_who_is_not_a_member(alpha, bravo):
    # The command fails inside the organisation's context, whose transaction rolls back (a savepoint here).
    with pytest.raises(CommandError, match=r"owner@bravo\.test is not an active member of Alpha Instruments"):
        with transaction.atomic():
            call_command("create_api_token", org="alpha", email="owner@bravo.test", stdout=StringIO())
    assert tokens_of(alpha) == []


def test_the_command_refuses_an_unknown_organisation(alpha):
    with pytest.raises(CommandError, match="No organisation with slug 'nowhere'"):
        call_command("create_api_token", org="nowhere", email="manager@alpha.test", stdout=StringIO())
