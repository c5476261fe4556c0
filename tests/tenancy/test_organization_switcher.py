"""The home page and the organisation switcher list a person's own organisations, and no one else's."""

import re
from datetime import timedelta

from django.utils import timezone

from qms.tenancy.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory


def _join_bravo(alpha, bravo, role=Role.STAFF):
    return MembershipFactory(organization=bravo.organization, user=alpha.manager, role=role)


def _listed_slugs(response):
    return [m.organization.slug for m in response.context["memberships"]]


def test_a_signed_out_visitor_is_sent_to_sign_in(db, client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"


def test_a_person_in_one_organisation_is_taken_straight_to_it(alpha, bravo, login):
    response = login(alpha.manager).get("/")
    assert response.status_code == 302
    assert response.url == "/o/alpha/"


def test_asking_for_all_organisations_lists_the_only_one(alpha, bravo, login):
    response = login(alpha.manager).get("/", {"all": "1"})
    assert response.status_code == 200
    assert _listed_slugs(response) == ["alpha"]
    assert b"Bravo Secret Holdings" not in response.content


def test_a_person_in_two_organisations_chooses_between_them(alpha, bravo, login):
    _join_bravo(alpha, bravo)
    client = login(alpha.manager)
    for response in (client.get("/"), client.get("/", {"all": "1"})):
        assert response.status_code == 200
        assert _listed_slugs(response) == ["alpha", "bravo"]
        assert b'href="/o/alpha/"' in response.content
        assert b'href="/o/bravo/"' in response.content
        assert b"Bravo Secret Holdings" in response.content


def test_the_switcher_shows_each_organisation_with_the_persons_role(alpha, bravo, login):
    _join_bravo(alpha, bravo, role=Role.AUDITOR)
    response = login(alpha.manager).get("/o/alpha/")
    switcher = response.content.decode().split('id="org-switcher"', 1)[1].split("</ul>", 1)[0]
    assert "Alpha Instruments" in switcher
    assert 'href="/o/bravo/"' in switcher
    assert "Bravo Secret Holdings" in switcher
    assert "Auditor" in switcher
    assert re.search(r'class="dropdown-item active"[^>]*href="/o/alpha/"', switcher)
    assert not re.search(r'class="dropdown-item active"[^>]*href="/o/bravo/"', switcher)
    assert response.context["my_memberships"][1].organization.slug == "bravo"


def test_the_switcher_of_a_one_organisation_person_leaks_no_other_organisation(alpha, bravo, login):
    response = login(alpha.owner).get("/o/alpha/")
    assert [m.organization.slug for m in response.context["my_memberships"]] == ["alpha"]
    assert b"Bravo Secret Holdings" not in response.content
    assert b"/o/bravo/" not in response.content


def test_ended_memberships_drop_out_of_the_list(alpha, bravo, login):
    bravo_membership = _join_bravo(alpha, bravo, role=Role.AUDITOR)
    with bravo.context():
        Membership.objects.filter(pk=bravo_membership.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = login(alpha.manager).get("/")
    assert response.url == "/o/alpha/"


def test_a_person_in_no_organisation_sees_how_to_get_in(alpha, login):
    loner = UserFactory(email="loner@example.com")
    response = login(loner).get("/")
    assert response.status_code == 200
    assert response.context["memberships"] == []
    assert b"You are not a member of any organisation yet" in response.content
    assert b"loner@example.com" in response.content
