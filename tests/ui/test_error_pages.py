"""Every error a person meets in a browser is a styled page on one layout, with a way back; under /api/ errors
stay JSON. The 500 page renders without a request context or a database."""

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from qms import errors
from tests.factories import FeedbackItemFactory, InvitationFactory

LAYOUT = b'class="error-page"'


def _styled(response, status: int) -> str:
    assert response.status_code == status
    assert LAYOUT in response.content
    return response.content.decode()


def test_an_unknown_page_is_the_styled_404_with_a_way_back(alpha, login):
    html = _styled(login(alpha.manager).get("/o/alpha/no-such-page/"), 404)
    assert "This page does not exist" in html and 'href="/"' in html


def test_another_organisations_address_is_the_same_404(alpha, bravo, login):
    _styled(login(alpha.manager).get(f"/o/{bravo.slug}/feedback/"), 404)


def test_a_role_that_may_not_write_gets_the_styled_403_with_its_reason(alpha, login):
    response = login(alpha.auditor).post(reverse("customers:customer_create", kwargs={"org_slug": alpha.slug}), {})
    html = _styled(response, 403)
    assert "Error 403" in html and "read-only" in html


def test_a_staff_member_triaging_someone_elses_item_gets_the_styled_403(alpha, login):
    with alpha.context():
        item = FeedbackItemFactory(organization=alpha.organization, assignee=alpha.manager)
    url = reverse("feedback:feedback_close", kwargs={"org_slug": alpha.slug, "feedback_id": item.pk})
    html = _styled(login(alpha.staff).post(url, {"closing_note": "x"}), 403)
    assert f"You cannot change {item.reference}" in html


def test_a_failed_csrf_check_is_the_styled_403_that_says_what_to_do(alpha):
    html = _styled(Client(enforce_csrf_checks=True).post(reverse("accounts:login"), {"username": "x"}), 403)
    assert "This form has expired" in html and "reload the page" in html


def test_a_used_or_expired_invitation_is_the_styled_410(alpha):
    InvitationFactory(
        organization=alpha.organization, invited_by=alpha.owner, token="expired-token",
        valid_until=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    html = _styled(Client().get("/i/expired-token/"), 410)
    assert "This invitation is expired" in html


def test_the_500_page_renders_without_a_request_context_or_a_database():
    response = errors.server_error(RequestFactory().get("/o/alpha/"))
    assert response.status_code == 500
    assert LAYOUT in response.content and b"Something went wrong on our side" in response.content


@pytest.mark.parametrize("path", ["/api/v1/o/nowhere/members/", "/api/nothing-here/"])
def test_api_errors_stay_json(db, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
