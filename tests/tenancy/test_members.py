"""The members page: changing roles, removing people, time-boxed auditors, and who may do what."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qms.accounts.models import ApiToken, Invitation
from qms.audit.models import AuditEvent
from qms.tenancy.models import Membership, Role
from tests.factories import ApiTokenFactory, MembershipFactory, UserFactory

MEMBERS = "/o/alpha/settings/members/"


def _membership(tenant, user):
    with tenant.context():
        return Membership.objects.filter(organization=tenant.organization, user=user).latest("created_at")


def _events(tenant, action):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization, action=action).order_by("seq"))


def _edit(client, membership, role, expires=""):
    return client.post(f"{MEMBERS}{membership.pk}/", {"role": role, "expires_at": expires})


def _in_a_week():
    return (timezone.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.AUDITOR])
def test_the_members_page_lists_the_organisations_members(alpha, bravo, login, role):
    response = login(alpha.member(role)).get(MEMBERS)
    assert response.status_code == 200
    emails = sorted(m.user.email for m in response.context["members"])
    assert emails == sorted(f"{r}@alpha.test" for r in ("owner", "manager", "staff", "auditor"))
    assert b"bravo.test" not in response.content


def test_staff_cannot_see_the_members_page(alpha, login):
    assert login(alpha.staff).get(MEMBERS).status_code == 403


def test_another_organisations_owner_gets_404(alpha, bravo, login):
    client = login(bravo.owner)
    assert client.get(MEMBERS).status_code == 404
    alpha_manager = _membership(alpha, alpha.manager)
    assert client.get(f"/o/bravo/settings/members/{alpha_manager.pk}/").status_code == 404
    assert _edit(client, alpha_manager, Role.STAFF).status_code == 404
    assert client.post(f"/o/bravo/settings/members/{alpha_manager.pk}/remove/").status_code == 404
    assert _membership(alpha, alpha.manager).role == Role.MANAGER
    assert _membership(alpha, alpha.manager).removed_at is None


def test_an_owner_changes_a_role_and_the_change_is_audited(alpha, login):
    manager = _membership(alpha, alpha.manager)
    response = _edit(login(alpha.owner), manager, Role.STAFF)
    assert response.status_code == 302
    assert response.url == MEMBERS
    assert _membership(alpha, alpha.manager).role == Role.STAFF
    [event] = _events(alpha, "membership.change_role")
    assert event.actor == alpha.owner
    assert event.object_id == str(manager.pk)
    assert event.changes == {"role": ["manager", "staff"]}


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AUDITOR])
def test_only_an_owner_changes_roles(alpha, login, role):
    staff = _membership(alpha, alpha.staff)
    assert _edit(login(alpha.member(role)), staff, Role.MANAGER).status_code == 403
    assert _membership(alpha, alpha.staff).role == Role.STAFF
    assert _events(alpha, "membership.change_role") == []


def test_the_last_owner_cannot_be_demoted(alpha, login):
    owner = _membership(alpha, alpha.owner)
    response = _edit(login(alpha.owner), owner, Role.MANAGER)
    assert response.status_code == 200
    assert "at least one owner" in str(response.context["form"].non_field_errors())
    assert _membership(alpha, alpha.owner).role == Role.OWNER
    assert _events(alpha, "membership.change_role") == []


def test_the_last_owner_cannot_be_removed(alpha, login):
    owner = _membership(alpha, alpha.owner)
    response = login(alpha.owner).post(f"{MEMBERS}{owner.pk}/remove/", follow=True)
    assert response.status_code == 200
    assert b"An organisation needs at least one owner" in response.content
    assert _membership(alpha, alpha.owner).removed_at is None
    assert _events(alpha, "membership.remove") == []


def test_with_a_second_owner_the_first_may_step_down(alpha, login):
    manager = _membership(alpha, alpha.manager)
    client = login(alpha.owner)
    _edit(client, manager, Role.OWNER)
    response = _edit(client, _membership(alpha, alpha.owner), Role.MANAGER)
    assert response.status_code == 302
    assert _membership(alpha, alpha.owner).role == Role.MANAGER
    assert _membership(alpha, alpha.manager).role == Role.OWNER


def test_removing_a_member_ends_their_access_and_revokes_their_tokens(alpha, login, client):
    staff = _membership(alpha, alpha.staff)
    token = ApiTokenFactory(membership=staff, key="cl_staff-token-0001")
    api = "/api/v1/o/alpha/customers/"  # any endpoint a staff member may read
    assert client.get(api, HTTP_AUTHORIZATION="Bearer cl_staff-token-0001").status_code == 200

    response = login(alpha.owner).post(f"{MEMBERS}{staff.pk}/remove/")
    assert response.status_code == 302
    assert _membership(alpha, alpha.staff).removed_at is not None
    with alpha.context():
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert [e.object_id for e in _events(alpha, "membership.remove")] == [str(staff.pk)]
    assert [e.object_id for e in _events(alpha, "api_token.revoke")] == [str(token.pk)]

    client.logout()
    assert client.get(api, HTTP_AUTHORIZATION="Bearer cl_staff-token-0001").status_code in (401, 403)
    assert login(alpha.staff).get("/o/alpha/").status_code == 404


def test_a_removed_member_leaves_the_members_list(alpha, login):
    staff = _membership(alpha, alpha.staff)
    client = login(alpha.owner)
    client.post(f"{MEMBERS}{staff.pk}/remove/")
    emails = [m.user.email for m in client.get(MEMBERS).context["members"]]
    assert "staff@alpha.test" not in emails
    assert client.get(f"{MEMBERS}{staff.pk}/").status_code == 404


def test_a_removed_member_can_be_invited_again(alpha, login):
    staff = _membership(alpha, alpha.staff)
    client = login(alpha.owner)
    client.post(f"{MEMBERS}{staff.pk}/remove/")
    response = client.post(MEMBERS, {"email": "staff@alpha.test", "role": Role.STAFF, "membership_expires_at": ""})
    assert response.status_code == 302
    with alpha.context():
        assert Invitation.objects.filter(organization=alpha.organization, email="staff@alpha.test").exists()


def test_an_auditor_whose_access_expired_gets_404(alpha, login):
    client = login(alpha.auditor)
    assert client.get("/o/alpha/").status_code == 200
    with alpha.context():
        Membership.objects.filter(organization=alpha.organization, user=alpha.auditor).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert client.get("/o/alpha/").status_code == 404
    assert client.get("/o/alpha/audit/").status_code == 404


def test_an_auditor_membership_needs_an_expiry(alpha, login):
    staff = _membership(alpha, alpha.staff)
    client = login(alpha.owner)
    response = _edit(client, staff, Role.AUDITOR)
    assert response.status_code == 200
    assert response.context["form"].errors["expires_at"] == ["Auditor access needs an expiry date."]
    assert _membership(alpha, alpha.staff).role == Role.STAFF

    response = _edit(client, staff, Role.AUDITOR, expires=_in_a_week())
    assert response.status_code == 302
    changed = _membership(alpha, alpha.staff)
    assert changed.role == Role.AUDITOR
    assert changed.expires_at > timezone.now() + timedelta(days=6)


def test_an_expiry_in_the_past_is_refused(alpha, login):
    staff = _membership(alpha, alpha.staff)
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _edit(login(alpha.owner), staff, Role.AUDITOR, expires=yesterday)
    assert response.status_code == 200
    assert "expires_at" in response.context["form"].errors
    assert _membership(alpha, alpha.staff).role == Role.STAFF


@pytest.mark.parametrize("role", [Role.MANAGER, Role.STAFF, Role.AUDITOR])
def test_only_an_owner_may_invite(alpha, login, role):
    response = login(alpha.member(role)).post(
        MEMBERS, {"email": "new.person@example.com", "role": Role.STAFF, "membership_expires_at": ""}
    )
    assert response.status_code == 403
    with alpha.context():
        assert not Invitation.objects.filter(organization=alpha.organization).exists()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.STAFF])
def test_only_an_owner_may_remove_a_member(alpha, login, role):
    auditor = _membership(alpha, alpha.auditor)
    assert login(alpha.member(role)).post(f"{MEMBERS}{auditor.pk}/remove/").status_code == 403
    assert _membership(alpha, alpha.auditor).removed_at is None


def test_search_finds_members_by_email_or_name(alpha, login):
    client = login(alpha.owner)
    by_email = client.get(MEMBERS, {"q": "MANAGER@alpha"}).context["members"]
    assert [m.user.email for m in by_email] == ["manager@alpha.test"]
    by_name = client.get(MEMBERS, {"q": "instruments auditor"}).context["members"]
    assert [m.user.email for m in by_name] == ["auditor@alpha.test"]
    nothing = client.get(MEMBERS, {"q": "nobody-like-this"})
    assert list(nothing.context["members"]) == []
    assert b"No member matches these filters" in nothing.content


def test_the_role_filter_narrows_the_list(alpha, login):
    client = login(alpha.owner)
    MembershipFactory(
        organization=alpha.organization, user=UserFactory(email="second.auditor@alpha.test"), role="auditor"
    )
    auditors = client.get(MEMBERS, {"role": "auditor"}).context["members"]
    assert [m.user.email for m in auditors] == ["auditor@alpha.test", "second.auditor@alpha.test"]
    everyone = client.get(MEMBERS, {"role": "not-a-role"}).context["members"]
    assert len(everyone) == 5


def _members_page_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MEMBERS)
    assert response.status_code == 200
    return len(response.context["members"]), len(queries)


def test_the_members_page_query_count_does_not_grow_with_members(alpha, login):
    client = login(alpha.owner)
    client.get(MEMBERS)
    MembershipFactory(organization=alpha.organization)
    few, few_queries = _members_page_queries(client)
    MembershipFactory.create_batch(20, organization=alpha.organization)
    many, many_queries = _members_page_queries(client)
    assert (few, many) == (5, 25)
    assert many_queries == few_queries


@pytest.mark.parametrize(
    "params",
    [{"q": "MANAGER@alpha"}, {"q": "instruments auditor"}, {"role": "auditor"}, {"q": "alpha.test", "role": "staff"}],
)
def test_the_page_and_the_api_find_the_same_members(alpha, login, api, params):
    page = [m.user.email for m in login(alpha.owner).get(MEMBERS, params).context["members"]]
    listed = [row["email"] for row in api(alpha, "owner").get("members/", params).json()["results"]]
    assert page == listed and page


def test_a_role_the_page_does_not_know_is_dropped_there_and_refused_by_the_api(alpha, login, api):
    response = login(alpha.owner).get(MEMBERS, {"role": "emperor", "q": "manager"})
    assert [m.user.email for m in response.context["members"]] == ["manager@alpha.test"]
    assert response.context["role"] == ""
    refused = api(alpha, "owner").get("members/", {"role": "emperor"})
    assert refused.status_code == 400 and "role" in refused.json()
