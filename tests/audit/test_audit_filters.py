"""The trail page, its CSV and the audit-events API filter with one FilterSet, and so agree."""

import pytest

from tests.api_client import results
from tests.factories import AuditEventFactory


@pytest.fixture
def trail(alpha):
    with alpha.context():
        AuditEventFactory(
            organization=alpha.organization,
            actor=alpha.manager,
            action="customer.update",
            object_type="customers.customer",
            object_repr="Hartwell Engineering",
        )
        AuditEventFactory(organization=alpha.organization, actor=alpha.owner, action="feedback.close",
                          object_type="feedback.feedbackitem", object_repr="F-2026-0001")  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "hartwell"}, ["customer.update"]),
        ({"type": "feedback.feedbackitem"}, ["feedback.close"]),
        ({"object_type": "customers.customer"}, ["customer.update"]),
        ({"action": "feedback.close"}, ["feedback.close"]),
    ],
)
def test_the_page_and_the_api_find_the_same_events(alpha, api, login, trail, params, expected):
    page = login(alpha.owner).get("/o/alpha/audit/", params)
    listed = [event["action"] for event in results(api(alpha, "owner").get("audit-events/", params))]
    assert [event.action for event in page.context["page"].object_list] == expected
    assert listed == expected


def test_a_value_the_page_cannot_read_is_named_and_dropped_but_the_api_refuses_it(alpha, api, login, trail):
    page = login(alpha.owner).get("/o/alpha/audit/", {"since": "2026-02-30", "q": "hartwell"})
    assert page.context["ignored_filters"] == ["From"]
    assert [event.action for event in page.context["page"].object_list] == ["customer.update"]
    response = api(alpha, "owner").get("audit-events/", {"since": "2026-02-30"})
    assert response.status_code == 400 and "since" in response.json()
