"""Links between records (qms/links): one organisation-scoped table, read in both directions from either record."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qms.links.models import Link
from qms.links.selectors import links_of
from qms.links.services import External, link_create
from tests.factories import CustomerFactory, FeedbackItemFactory


def _link(tenant, source, target):
    with tenant.context():
        return link_create(organization=tenant.organization, actor=tenant.manager, source=source, target=target)


def _links(tenant, record):
    with tenant.context():
        return links_of(organization=tenant.organization, record=record)


def test_a_link_is_shown_on_both_records_with_the_other_ones_label_and_page(alpha):
    item = FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0001")
    other = FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0002")
    _link(alpha, item, other)
    [forward] = _links(alpha, item)
    [backward] = _links(alpha, other)
    assert (forward.label, forward.outgoing, forward.record) == ("F-2026-0002", True, other)
    assert (backward.label, backward.outgoing, backward.record) == ("F-2026-0001", False, item)
    assert forward.url == f"/o/alpha/feedback/{other.pk}/"
    assert backward.url == f"/o/alpha/feedback/{item.pk}/"


def test_records_of_different_kinds_can_be_linked(alpha):
    item = FeedbackItemFactory(organization=alpha.organization)
    customer = CustomerFactory(organization=alpha.organization, name="Hartwell Engineering")
    _link(alpha, item, customer)
    [linked] = _links(alpha, item)
    assert (linked.label, linked.url) == ("Hartwell Engineering", f"/o/alpha/customers/{customer.pk}/")
    assert [linked.record for linked in _links(alpha, customer)] == [item]
    with alpha.context():
        link = Link.objects.get()
    assert (link.from_type, link.to_type, link.to_id) == (
        "feedback.feedbackitem",
        "customers.customer",
        str(customer.pk),
    )


def test_an_end_that_is_not_a_model_here_keeps_its_label_and_has_no_page(alpha):
    item = FeedbackItemFactory(organization=alpha.organization)
    _link(alpha, item, External("complaint", "C-2026-0001", "Complaint C-2026-0001"))
    [linked] = _links(alpha, item)
    assert (linked.label, linked.url, linked.record) == ("Complaint C-2026-0001", "", None)


@pytest.mark.parametrize("case", ["itself", "again", "reverse"])
def test_a_record_is_not_linked_to_itself_or_twice_in_either_direction(alpha, case):
    item, other = (
        FeedbackItemFactory(organization=alpha.organization),
        FeedbackItemFactory(organization=alpha.organization),
    )
    if case != "itself":
        _link(alpha, item, other)
    source, target = {"itself": (item, item), "again": (item, other), "reverse": (other, item)}[case]
    with pytest.raises(ValidationError), transaction.atomic():  # a savepoint: the test's transaction goes on
        _link(alpha, source, target)
    with alpha.context():
        assert Link.objects.count() == (0 if case == "itself" else 1)


def test_another_organisations_record_never_shows_as_the_other_end(alpha, bravo):
    """A forged row naming bravo's item by id from alpha's link resolves to nothing, not to bravo's record."""
    item = FeedbackItemFactory(organization=alpha.organization)
    theirs = FeedbackItemFactory(organization=bravo.organization, reference="F-2026-0999")
    with alpha.context():
        Link.objects.create(
            organization=alpha.organization,
            from_type="feedback.feedbackitem",
            from_id=str(item.pk),
            to_type="feedback.feedbackitem",
            to_id=str(theirs.pk),
            created_by=alpha.manager,
        )
    [linked] = _links(alpha, item)
    assert linked.record is None and "F-2026-0999" not in linked.label
    assert _links(bravo, theirs) == []


def test_reading_a_records_links_costs_one_query_per_kind_of_other_end(alpha):
    item = FeedbackItemFactory(organization=alpha.organization)
    for _ in range(5):
        _link(alpha, item, FeedbackItemFactory(organization=alpha.organization))
    _link(alpha, CustomerFactory(organization=alpha.organization), item)
    with alpha.context(), CaptureQueriesContext(connection) as queries:
        assert len(links_of(organization=alpha.organization, record=item)) == 6
    assert len(queries) == 3  # the links, the feedback items, the customer
