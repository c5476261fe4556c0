"""Recording a review (its outcome, notes and day) and retiring a method: managers only, audited; the review is
kept in the method's history, which its page shows to everyone, auditors included."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from feedback.models import MethodReview, MonitoringMethod
from qms.audit.models import AuditEvent
from tests.factories import MonitoringMethodFactory


def fresh(tenant, method):
    with tenant.context():
        return MonitoringMethod.objects.get(pk=method.pk)


def actions(tenant):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization).values_list("action", flat=True))


def review(outcome="effective", notes="", reviewed_on=None) -> dict:
    return {"outcome": outcome, "notes": notes, "reviewed_on": (reviewed_on or timezone.localdate()).isoformat()}


def reviews(tenant, method):
    with tenant.context():
        return list(
            MethodReview.objects.filter(method=method).values_list("reviewed_on", "outcome", "notes", "reviewed_by")
        )


def test_recording_a_review_keeps_it_and_moves_the_next_review(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, last_reviewed_on=date(2020, 1, 1))
    form = review("improve", "Response rate fell to 12 %: send it after delivery, not at month end.")
    response = login(alpha.manager).post(f"/o/alpha/methods/{method.pk}/review/", form)
    assert response.status_code == 302
    assert response["Location"] == f"/o/alpha/methods/{method.pk}/"
    today = timezone.localdate()
    assert fresh(alpha, method).last_reviewed_on == today
    assert reviews(alpha, method) == [(today, "improve", form["notes"], alpha.manager.pk)]
    with alpha.context():
        event = AuditEvent.objects.get(organization=alpha.organization, action="monitoring_method.review")
    assert event.changes["outcome"] == [None, "improve"] and event.changes["notes"] == [None, form["notes"]]
    follow = login(alpha.manager).get(response["Location"]).content.decode()
    assert "Review of" in follow and "send it after delivery" in follow


def test_a_method_s_page_shows_its_reviews_to_everyone_auditors_included(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, name="Relationship survey", description="Yearly")
    login(alpha.manager).post(f"/o/alpha/methods/{method.pk}/review/", review("ineffective", "Nobody answers."))
    page = login(alpha.auditor).get(f"/o/alpha/methods/{method.pk}/").content.decode()
    assert "Relationship survey" in page and "Nobody answers." in page
    assert "Not effective: replace or retire it" in page
    assert "Record review" not in page  # auditors read


def test_anything_but_effective_needs_notes_and_a_review_is_not_in_the_future(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization)
    client = login(alpha.manager)
    response = client.post(f"/o/alpha/methods/{method.pk}/review/", review("improve", "  "))
    assert response.status_code == 400 and "Say what needs to change" in response.content.decode()
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(f"/o/alpha/methods/{method.pk}/review/", review(reviewed_on=tomorrow))
    assert response.status_code == 400 and "choose today or earlier" in response.content.decode()
    assert reviews(alpha, method) == [] and fresh(alpha, method).last_reviewed_on is None


def test_a_review_recorded_late_does_not_move_the_last_review_back(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization, last_reviewed_on=timezone.localdate())
    earlier = timezone.localdate() - timedelta(days=40)
    login(alpha.manager).post(f"/o/alpha/methods/{method.pk}/review/", review(reviewed_on=earlier))
    assert fresh(alpha, method).last_reviewed_on == timezone.localdate()
    assert [r[0] for r in reviews(alpha, method)] == [earlier]


def test_the_review_form_asks_for_the_outcome_and_retire_refuses_get(alpha, login):
    method = MonitoringMethodFactory(organization=alpha.organization)
    client = login(alpha.manager)
    page = client.get(f"/o/alpha/methods/{method.pk}/review/")
    assert page.status_code == 200 and "What did the review conclude?" in page.content.decode()
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
    response = login(alpha.owner).post(f"/o/alpha/methods/{method.pk}/review/", review())
    assert "no longer reviewed" in response.content.decode()
    assert fresh(alpha, method).last_reviewed_on is None


@pytest.mark.parametrize("action", ["review", "retire"])
def test_another_organisations_method_is_not_found(alpha, bravo, login, action):
    theirs = MonitoringMethodFactory(organization=bravo.organization)
    assert login(alpha.owner).post(f"/o/alpha/methods/{theirs.pk}/{action}/").status_code == 404
    theirs = fresh(bravo, theirs)
    assert (theirs.last_reviewed_on, theirs.retired_at) == (None, None)
