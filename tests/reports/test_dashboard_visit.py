"""A member's dashboard visits: the baseline of "new since my last visit"."""

from datetime import timedelta

from django.utils import timezone

from qms.tenancy.models import Membership
from reports.models import DashboardVisit
from reports.services import VISIT_GAP, dashboard_visit_record


def _membership(tenant, role):
    return Membership.objects.get(organization=tenant.organization, user=tenant.member(role))


def test_a_first_visit_has_no_previous_one(alpha):
    with alpha.context():
        assert dashboard_visit_record(membership=_membership(alpha, "manager")) is None
        assert DashboardVisit.objects.filter(organization=alpha.organization).count() == 1


def test_a_later_visit_returns_when_the_previous_one_was(alpha):
    start = timezone.now()
    with alpha.context():
        membership = _membership(alpha, "staff")
        dashboard_visit_record(membership=membership, now=start)
        later = start + VISIT_GAP + timedelta(minutes=1)
        assert dashboard_visit_record(membership=membership, now=later) == start
        assert dashboard_visit_record(membership=membership, now=later + 2 * VISIT_GAP) == later


def test_coming_back_within_the_same_visit_keeps_its_baseline(alpha):
    start = timezone.now()
    with alpha.context():
        membership = _membership(alpha, "owner")
        dashboard_visit_record(membership=membership, now=start)
        second = start + VISIT_GAP * 2
        assert dashboard_visit_record(membership=membership, now=second) == start
        # a reload a minute later, and another: still what was new when the visit began
        assert dashboard_visit_record(membership=membership, now=second + timedelta(minutes=1)) == start
        assert dashboard_visit_record(membership=membership, now=second + timedelta(minutes=2)) == start


def test_each_membership_has_its_own_visits(alpha, bravo):
    with alpha.context():
        dashboard_visit_record(membership=_membership(alpha, "manager"))
    with bravo.context():
        assert dashboard_visit_record(membership=_membership(bravo, "manager")) is None
        assert DashboardVisit.objects.filter(organization=bravo.organization).count() == 1
