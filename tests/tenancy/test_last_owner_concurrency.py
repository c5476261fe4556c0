"""The last-owner rule holds when two owners demote or remove each other at the same moment (real requests, each
in its own thread and database connection, on PostgreSQL)."""

import contextlib
import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from qms.tenancy import services
from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership, Role
from tests.conftest import IS_POSTGRES
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="row locks across connections are PostgreSQL's")


@pytest.fixture
def two_owners(transactional_db):
    organization = OrganizationFactory(slug="duo", name="Duo Ltd")
    first = MembershipFactory(organization=organization, user=UserFactory(email="one@duo.test"), role=Role.OWNER)
    second = MembershipFactory(organization=organization, user=UserFactory(email="two@duo.test"), role=Role.OWNER)
    return organization, first, second


@pytest.fixture
def both_pass_the_check_together(monkeypatch):
    """Hold each request just after its last-owner check, until the other has made its own check or a moment has
    passed: without a lock, both checks see two owners and both changes commit."""
    meet = threading.Barrier(2)
    guard = services._guard_last_owner

    def guard_then_wait(membership):
        guard(membership)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits for the lock: go on alone
            meet.wait(timeout=2)

    monkeypatch.setattr(services, "_guard_last_owner", guard_then_wait)


def _at_once(*requests):
    answers = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def run(index, request):
        try:
            start.wait(timeout=10)
            answers[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _as(membership):
    client = Client()
    client.force_login(membership.user)
    return client


def _owners(organization):
    with transaction.atomic(), organization_context(organization):
        return sorted(
            Membership.objects.active()
            .filter(organization=organization, role=Role.OWNER)
            .values_list("user__email", flat=True)
        )


def test_two_owners_demoting_each_other_at_once_leave_one_owner(two_owners, both_pass_the_check_together):
    organization, first, second = two_owners
    members = f"/o/{organization.slug}/settings/members/"
    answers = _at_once(
        lambda: _as(first).post(f"{members}{second.pk}/", {"role": Role.MANAGER, "expires_at": ""}, follow=True),
        lambda: _as(second).post(f"{members}{first.pk}/", {"role": Role.MANAGER, "expires_at": ""}, follow=True),
    )
    assert [answer.status_code for answer in answers] == [200, 200]
    assert len(_owners(organization)) == 1
    refused = [a for a in answers if "needs at least one owner" in a.content.decode()]
    assert len(refused) == 1


def test_two_owners_removing_each_other_at_once_leave_one_owner(two_owners, both_pass_the_check_together):
    organization, first, second = two_owners
    members = f"/o/{organization.slug}/settings/members/"
    answers = _at_once(
        lambda: _as(first).post(f"{members}{second.pk}/remove/", follow=True),
        lambda: _as(second).post(f"{members}{first.pk}/remove/", follow=True),
    )
    assert all(answer.status_code in (200, 404) for answer in answers)
    assert len(_owners(organization)) == 1
