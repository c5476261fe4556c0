"""Sortable list pages: `?sort=key` / `?sort=-key` from each list's allow-list, the header link that toggles it
while keeping the other parameters, and aria-sort on the sorted column."""

import datetime

from django.urls import reverse

from feedback.models import MonitoringMethod
from tests.factories import CustomerFactory, FeedbackItemFactory, MonitoringMethodFactory


def _references(response) -> list[str]:
    return [item.reference for item in response.context["page"].object_list]


def test_the_inbox_sorts_by_an_allowed_key_both_ways(alpha, login):
    with alpha.context():
        for day, reference in ((3, "F-2026-0002"), (1, "F-2026-0003"), (2, "F-2026-0001")):
            FeedbackItemFactory(
                organization=alpha.organization, reference=reference, received_on=datetime.date(2026, 11, day)
            )
    inbox = reverse("feedback:inbox", kwargs={"org_slug": alpha.slug})
    client = login(alpha.manager)
    assert _references(client.get(inbox, {"sort": "reference"})) == ["F-2026-0001", "F-2026-0002", "F-2026-0003"]
    assert _references(client.get(inbox, {"sort": "-reference"})) == ["F-2026-0003", "F-2026-0002", "F-2026-0001"]
    assert _references(client.get(inbox)) == ["F-2026-0002", "F-2026-0001", "F-2026-0003"]  # newest received first


def test_an_unknown_sort_key_is_no_sort_at_all(alpha, login):
    with alpha.context():
        FeedbackItemFactory.create_batch(2, organization=alpha.organization)
    inbox = reverse("feedback:inbox", kwargs={"org_slug": alpha.slug})
    response = login(alpha.manager).get(inbox, {"sort": "text"})
    assert response.status_code == 200
    assert response.context["sorting"].key == ""


def test_the_header_link_toggles_the_order_and_keeps_the_filters(alpha, login):
    with alpha.context():
        CustomerFactory(organization=alpha.organization, name="Zeta", region="North")
        CustomerFactory(organization=alpha.organization, name="Alpha", region="North")
    url = reverse("customers:customer_list", kwargs={"org_slug": alpha.slug})
    response = login(alpha.manager).get(url, {"region": "North", "sort": "name", "page": "1"})
    html = response.content.decode()
    assert [c.name for c in response.context["page"].object_list] == ["Alpha", "Zeta"]
    assert '<th scope="col" aria-sort="ascending"><a class="sort-link" href="?region=North&amp;sort=-name">' in html
    assert 'href="?region=North&amp;sort=region"' in html  # another column starts ascending, page 1 again
    descending = login(alpha.manager).get(url, {"sort": "-name"})
    assert [c.name for c in descending.context["page"].object_list] == ["Zeta", "Alpha"]
    assert 'aria-sort="descending"' in descending.content.decode()


def test_members_and_the_audit_trail_sort_too(alpha, login):
    client = login(alpha.owner)
    members = client.get(reverse("tenancy:members", kwargs={"org_slug": alpha.slug}), {"sort": "role"})
    roles = [m.role for m in members.context["members"]]
    assert roles == sorted(roles)
    trail = client.get(reverse("audit:trail", kwargs={"org_slug": alpha.slug}), {"sort": "when"})
    seqs = [e.seq for e in trail.context["page"].object_list]
    assert seqs == sorted(seqs)


def test_the_inbox_sorts_by_who_it_is_from_customer_first(alpha, login):
    with alpha.context():
        zeta, acme = (CustomerFactory(organization=alpha.organization, name=n) for n in ("Zeta", "Acme"))
        FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0001", customer=zeta)
        FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0002", submitter_name="Ann Web")
        FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0003", customer=acme)
    inbox = reverse("feedback:inbox", kwargs={"org_slug": alpha.slug})
    client = login(alpha.manager)
    assert _references(client.get(inbox, {"sort": "from"})) == ["F-2026-0003", "F-2026-0001", "F-2026-0002"]
    assert _references(client.get(inbox, {"sort": "-from"})) == ["F-2026-0001", "F-2026-0003", "F-2026-0002"]


def test_the_methods_register_sorts_by_the_next_review_across_frequencies(alpha, login):
    """The next review is each method's last review plus its own period: computed in SQL so that the page's order
    is the order of the dates it shows."""
    frequency = MonitoringMethod.Frequency
    with alpha.context():
        for name, every, last in (
            ("Yearly survey", frequency.YEARLY, datetime.date(2026, 1, 10)),  # due 10 Jan 2027
            ("Monthly calls", frequency.MONTHLY, datetime.date(2026, 11, 15)),  # due 15 Dec 2026
            ("Quarterly audit", frequency.QUARTERLY, datetime.date(2026, 10, 1)),  # due 1 Jan 2027
        ):
            MonitoringMethodFactory(
                organization=alpha.organization, name=name, review_frequency=every, last_reviewed_on=last
            )
    url = reverse("feedback:method_list", kwargs={"org_slug": alpha.slug})
    response = login(alpha.manager).get(url, {"sort": "next"})
    methods = list(response.context["page"].object_list)
    assert [m.name for m in methods] == ["Monthly calls", "Quarterly audit", "Yearly survey"]
    assert [m.next_review_on for m in methods] == [m.next_review for m in methods]  # shown = sorted by
    assert 'aria-sort="ascending"' in response.content.decode()
