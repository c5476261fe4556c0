"""Recording a review (today) and retiring a method: POST only, managers only, audited."""

from datetime import date

import pytest
from django.utils import timezone

from feedback.models import MonitoringMethod
from qms.audit.models import AuditEvent
from tests.factories import MonitoringMethodFactory


def fresh(tenant, method):
    with tenant.context():
        return MonitoringMethod.objects.get(pk=method.pk)


def actions(tenant):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization).values_list("action", flat=True))


def test_recording_a_review_sets_today_and_moves_the_next_review(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, last_reviewed_on=date(2020, 1, 1))
    response = login(alpha.manager).post(f"/o/alpha/methods/{method.pk}/review/")
    assert response.status_code == 302
    assert fresh(alpha, method).last_reviewed_on == timezone.localdate()
    assert "monitoring_method.review" in actions(alpha)
    follow = login(alpha.manager).get(response["Location"]).content.decode()
    assert "Review of" in follow


def test_review_and_retire_refuse_get(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization)
    client = login(alpha.manager)
    assert client.get(f"/o/alpha/methods/{method.pk}/review/").status_code == 405
    assert client.get(f"/o/alpha/methods/{method.pk}/retire/").status_code == 405
    assert fresh(alpha, method).last_reviewed_on is None


@pytest.mark.parametrize("role", ["staff", "auditor"])
@pytest.mark.parametrize("action", ["review", "retire"])
def test_staff_and_auditors_cannot_review_or_retire(alpha, login, role, action):
    method = MonitoringMethodFactory(organization=alpha.organization)
    assert login(alpha.member(role)).post(f"/o/alpha/methods/{method.pk}/{action}/").status_code == 403
    method = fresh(alpha, method)
    assert (method.last_reviewed_on, method.retired_at) == (None, None)


def test_retiring_keeps_the_method_and_refuses_a_second_time(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, name="Trade show chats")
    client = login(alpha.owner)
    assert client.post(f"/o/alpha/methods/{method.pk}/retire/").status_code == 302
    retired_at = fresh(alpha, method).retired_at
    assert retired_at is not None
    response = client.post(f"/o/alpha/methods/{method.pk}/retire/", follow=True)
    assert "already retired" in response.content.decode()
    assert fresh(alpha, method).retired_at == retired_at
    assert actions(alpha).count("monitoring_method.retire") == 1


def test_a_retired_method_is_not_reviewed(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, retired_at=timezone.now())
    response = login(alpha.owner).post(f"/o/alpha/methods/{method.pk}/review/", follow=True)
    assert "no longer reviewed" in response.content.decode()
    assert fresh(alpha, method).last_reviewed_on is None


@pytest.mark.parametrize("action", ["review", "retire"])
def test_another_organisations_method_is_not_found(alpha, bravo, login, action):
    theirs = MonitoringMethodFactory(organization=bravo.organization)
    assert login(alpha.owner).post(f"/o/alpha/methods/{theirs.pk}/{action}/").status_code == 404
    theirs = fresh(bravo, theirs)
    assert (theirs.last_reviewed_on, theirs.retired_at) == (None, None)
