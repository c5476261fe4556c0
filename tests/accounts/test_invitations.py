"""Inviting a person by email: the outbox message, the single-use link, signing up or signing in to accept."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone

from qms.accounts.models import Invitation
from qms.accounts.services import invitation_create
from qms.audit.models import AuditEvent
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Membership, Role
from qms.tenancy.public_links import token_hash
from tests.factories import InvitationFactory

MEMBERS = "/o/alpha/settings/members/"
NEW_PASSWORD = "a-long-unusual-passphrase-42"
LINK = re.compile(r"/i/([A-Za-z0-9_-]+)/")


def _invite(client, email="new.person@example.com", role=Role.STAFF, expires=""):
    return client.post(MEMBERS, {"email": email, "role": role, "membership_expires_at": expires})


def _invitation_emails(tenant, email):
    with tenant.context():
        return list(
            OutboxMessage.objects.filter(
                organization=tenant.organization, purpose="member-invitation", to_email=email
            ).order_by("created_at")
        )


def _token(tenant, email="new.person@example.com"):
    message = _invitation_emails(tenant, email)[-1]
    return LINK.search(message.body_text).group(1)


def _invitations(tenant, email="new.person@example.com"):
    with tenant.context():
        return list(Invitation.objects.filter(organization=tenant.organization, email=email))


def _membership(tenant, user):
    with tenant.context():
        return Membership.objects.active().filter(organization=tenant.organization, user=user).first()


def _sign_up(client, token, full_name="Nadia New"):
    return client.post(f"/i/{token}/", {"full_name": full_name, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_an_owner_invites_a_person_and_an_email_with_a_single_use_link_is_queued(alpha, login):
    response = _invite(login(alpha.owner))
    assert response.status_code == 302
    assert response.url == MEMBERS
    [invitation] = _invitations(alpha)
    assert invitation.role == Role.STAFF
    assert invitation.invited_by == alpha.owner
    assert invitation.status == "pending"
    [message] = _invitation_emails(alpha, "new.person@example.com")
    token = LINK.search(message.body_text).group(1)
    assert f"{settings.SITE_URL}/i/{token}/" in message.body_text
    assert f"/i/{token}/" in message.body_html
    assert "Alpha Instruments" in message.body_text
    assert invitation.token_hash == token_hash(token)


def test_the_invitation_and_its_email_share_the_callers_transaction(alpha):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic(), alpha.context():
        invitation_create(organization=alpha.organization, actor=alpha.owner, email="ghost@example.com", role="staff")
        assert _invitation_emails(alpha, "ghost@example.com")
        raise Abort
    assert _invitations(alpha, "ghost@example.com") == []
    assert _invitation_emails(alpha, "ghost@example.com") == []


def test_a_new_person_following_the_link_sees_a_signup_form(alpha, login):
    _invite(login(alpha.owner))
    response = Client().get(f"/i/{_token(alpha)}/")
    assert response.status_code == 200
    assert b"Join Alpha Instruments" in response.content
    assert b"new.person@example.com" in response.content
    for field in (b'name="full_name"', b'name="password1"', b'name="password2"'):
        assert field in response.content


def test_signing_up_creates_the_account_and_the_membership_and_signs_in(alpha, login):
    _invite(login(alpha.owner), role=Role.MANAGER)
    client = Client()
    response = _sign_up(client, _token(alpha))
    assert response.status_code == 302
    assert response.url == "/o/alpha/"
    user = get_user_model().objects.get(email="new.person@example.com")
    assert user.full_name == "Nadia New"
    assert user.check_password(NEW_PASSWORD)
    assert _membership(alpha, user).role == Role.MANAGER
    [invitation] = _invitations(alpha)
    assert invitation.status == "accepted"
    assert invitation.accepted_by == user
    assert client.get("/o/alpha/").status_code == 200


def test_signup_refuses_passwords_that_differ(alpha, login):
    _invite(login(alpha.owner))
    token = _token(alpha)
    response = Client().post(f"/i/{token}/", {"full_name": "N", "password1": NEW_PASSWORD, "password2": "other"})
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not get_user_model().objects.filter(email="new.person@example.com").exists()
    assert _invitations(alpha)[0].status == "pending"


def test_signup_refuses_a_weak_password(alpha, login):
    _invite(login(alpha.owner))
    response = Client().post(f"/i/{_token(alpha)}/", {"full_name": "N", "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not get_user_model().objects.filter(email="new.person@example.com").exists()


def test_an_auditor_invitation_gives_time_boxed_access(alpha, login):
    expires = timezone.now() + timedelta(days=14)
    _invite(login(alpha.owner), role=Role.AUDITOR, expires=expires.strftime("%Y-%m-%dT%H:%M"))
    _sign_up(Client(), _token(alpha))
    user = get_user_model().objects.get(email="new.person@example.com")
    membership = _membership(alpha, user)
    assert membership.role == Role.AUDITOR
    assert membership.expires_at is not None
    assert abs(membership.expires_at - expires) < timedelta(minutes=1)


def test_the_link_works_only_once(alpha, login):
    _invite(login(alpha.owner))
    token = _token(alpha)
    _sign_up(Client(), token)
    response = Client().get(f"/i/{token}/")
    assert response.status_code == 410
    assert b"This invitation is accepted" in response.content
    assert _sign_up(Client(), token, full_name="Second Use").status_code == 410
    assert get_user_model().objects.filter(email="new.person@example.com").count() == 1


def test_it_rejects_an_expired_invitation(alpha):
    InvitationFactory(
        organization=alpha.organization,
        invited_by=alpha.owner,
        token="expired-token",
        valid_until=timezone.now() - timedelta(minutes=1),
    )
    assert Client().get("/i/expired-token/").status_code == 410
    assert _sign_up(Client(), "expired-token").status_code == 410


def test_it_rejects_a_revoked_invitation(alpha, login):
    owner = login(alpha.owner)
    _invite(owner)
    [invitation] = _invitations(alpha)
    response = owner.post(f"/o/alpha/settings/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    response = Client().get(f"/i/{_token(alpha)}/")
    assert response.status_code == 410
    assert b"This invitation is revoked" in response.content


def test_a_new_invitation_supersedes_the_previous_one(alpha, login):
    owner = login(alpha.owner)
    _invite(owner)
    first = _token(alpha)
    _invite(owner, role=Role.MANAGER)
    second = _token(alpha)
    assert first != second
    assert Client().get(f"/i/{first}/").status_code == 410
    assert Client().get(f"/i/{second}/").status_code == 200


def test_it_answers_404_for_an_unknown_token(alpha):
    assert Client().get("/i/no-such-token/").status_code == 404


def test_an_auditor_invitation_without_an_expiry_is_rejected(alpha, login):
    response = _invite(login(alpha.owner), role=Role.AUDITOR)
    assert response.status_code == 200
    assert response.context["form"].errors["membership_expires_at"] == ["Auditor access needs an expiry date."]
    assert _invitations(alpha) == []
    assert _invitation_emails(alpha, "new.person@example.com") == []


def test_an_expiry_in_the_past_is_rejected(alpha, login):
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _invite(login(alpha.owner), role=Role.AUDITOR, expires=past)
    assert response.status_code == 200
    assert "membership_expires_at" in response.context["form"].errors
    assert _invitations(alpha) == []


def test_inviting_an_existing_member_is_rejected(alpha, login):
    response = _invite(login(alpha.owner), email="STAFF@alpha.test")
    assert response.status_code == 200
    assert "already a member" in str(response.context["form"].errors["email"])
    assert _invitations(alpha, "staff@alpha.test") == []


def test_another_organisations_owner_cannot_invite_into_alpha(alpha, bravo, login):
    response = _invite(login(bravo.owner))
    assert response.status_code == 404
    assert _invitations(alpha) == []


def test_an_existing_user_is_sent_to_sign_in_then_accepts(alpha, bravo, login, password):
    _invite(login(alpha.owner), email="manager@bravo.test", role=Role.STAFF)
    token = _token(alpha, "manager@bravo.test")
    client = Client()
    response = client.get(f"/i/{token}/")
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/i/{token}/"
    response = client.post(
        "/accounts/login/", {"username": "manager@bravo.test", "password": password, "next": f"/i/{token}/"}
    )
    assert response.url == f"/i/{token}/"
    page = client.get(f"/i/{token}/")
    assert page.status_code == 200
    assert b"Accept and join" in page.content
    assert _membership(alpha, bravo.manager) is None
    response = client.post(f"/i/{token}/")
    assert response.status_code == 302
    assert response.url == "/o/alpha/"
    assert _membership(alpha, bravo.manager).role == Role.STAFF
    assert _membership(bravo, bravo.manager).role == Role.MANAGER


def test_a_signed_in_person_with_another_email_cannot_accept(alpha, bravo, login):
    _invite(login(alpha.owner))
    token = _token(alpha)
    client = login(bravo.owner)
    page = client.get(f"/i/{token}/")
    assert page.status_code == 200
    assert b"but you are signed in as owner@bravo.test" in page.content
    response = client.post(f"/i/{token}/", follow=True)
    assert b"This invitation was sent to new.person@example.com" in response.content
    assert _membership(alpha, bravo.owner) is None
    assert _invitations(alpha)[0].status == "pending"


def test_accepting_records_audit_events(alpha, login):
    _invite(login(alpha.owner))
    _sign_up(Client(), _token(alpha))
    with alpha.context():
        actions = list(AuditEvent.objects.filter(organization=alpha.organization).order_by("seq").values_list("action"))
    assert actions == [("invitation.create",), ("invitation.accept",), ("membership.add",)]
