"""Bulk actions of the inbox list: assign, add a theme, close; checked and audited per item like a single triage."""

import pytest
from django.contrib.messages import get_messages

from feedback.models import FeedbackItem, FeedbackTheme
from feedback.services.bulk import MAX_BULK_ITEMS
from tests.factories import FeedbackThemeFactory, ThemeFactory, UserFactory

from .shortcuts import events, make_item, reload, url

Status = FeedbackItem.Status


def _post(client, tenant, items, action, **fields):
    return client.post(url(tenant, "feedback_bulk"), {"items": [i.pk for i in items], "action": action, **fields})


def _said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _tags(tenant, item) -> list[str]:
    with tenant.context():
        return sorted(FeedbackTheme.objects.filter(feedback=item).values_list("theme__name", flat=True))


def _closed(tenant) -> FeedbackItem:
    return make_item(tenant, status=Status.CLOSED, closing_note="Done")


@pytest.fixture
def sofia(alpha):
    with alpha.context():
        alpha.staff.full_name = "Sofia Lind"
        alpha.staff.save(update_fields=["full_name"])
    return alpha.staff


def test_a_manager_assigns_several_items_and_each_is_audited_like_a_single_assignment(alpha, login, sofia):
    items = [make_item(alpha) for _ in range(3)]
    closed = _closed(alpha)
    response = _post(login(alpha.manager), alpha, [*items, closed], "assign", assignee=sofia.pk)
    assert response.status_code == 302
    assert _said(response) == ["3 items assigned to Sofia Lind; 1 skipped: already closed."]
    for item in items:
        assert (reload(alpha, item).assignee, reload(alpha, item).status) == (sofia, Status.IN_PROGRESS)
    assert reload(alpha, closed).assignee is None
    assigned = events(alpha, "feedback.assign")
    assert sorted(event.object_id for event in assigned) == sorted(str(item.pk) for item in items)
    assert all(event.actor == alpha.manager for event in assigned)
    assert assigned[0].changes == {"assignee": [None, str(sofia)], "status": ["new", "in_progress"]}


def test_it_goes_back_to_the_list_with_its_filters_and_page(alpha, login, sofia):
    item = make_item(alpha)
    query = "status=open&sort=-received&page=1"
    response = _post(login(alpha.manager), alpha, [item], "assign", assignee=sofia.pk, query=query)
    assert response.url == f"{url(alpha, 'inbox')}?{query}"


def test_nobody_unassigns_the_items(alpha, login, sofia):
    item = make_item(alpha, assignee=sofia, status=Status.IN_PROGRESS)
    response = _post(login(alpha.manager), alpha, [item], "assign", assignee="nobody")
    assert _said(response) == ["1 item unassigned."]
    assert reload(alpha, item).assignee is None


def test_adding_a_theme_keeps_the_themes_each_item_has(alpha, login):
    with alpha.context():
        delivery, packaging = (ThemeFactory(organization=alpha.organization, name=n) for n in ("Delivery", "Packaging"))
    first, second = make_item(alpha), make_item(alpha)
    FeedbackThemeFactory(feedback=first, theme=delivery)
    response = _post(login(alpha.manager), alpha, [first, second], "tag", theme=packaging.pk)
    assert _said(response) == ["2 items tagged “Packaging”."]
    assert _tags(alpha, first) == ["Delivery", "Packaging"] and _tags(alpha, second) == ["Packaging"]
    assert len(events(alpha, "feedback.themes")) == 2


def test_a_new_theme_is_created_once_and_added_to_every_item(alpha, login):
    items = [make_item(alpha), make_item(alpha)]
    _post(login(alpha.manager), alpha, items, "tag", new_theme="Late delivery")
    assert [_tags(alpha, item) for item in items] == [["Late delivery"], ["Late delivery"]]
    assert len(events(alpha, "theme.create")) == 1


def test_closing_needs_a_note_and_nothing_closes_without_one(alpha, login):
    item = make_item(alpha)
    response = _post(login(alpha.manager), alpha, [item], "close", note="  ")
    assert response.status_code == 302
    assert _said(response) == ["Say how the feedback was handled before closing it."]
    assert reload(alpha, item).status == Status.NEW


def test_closing_with_a_note_closes_each_item_with_that_note(alpha, login):
    items = [make_item(alpha), make_item(alpha, status=Status.IN_PROGRESS)]
    response = _post(login(alpha.manager), alpha, [*items, _closed(alpha)], "close", note="Replaced under warranty")
    assert _said(response) == ["2 items closed; 1 skipped: already closed."]
    for item in items:
        item = reload(alpha, item)
        assert (item.status, item.closing_note) == (Status.CLOSED, "Replaced under warranty")
    assert len(events(alpha, "feedback.close")) == 2


def test_staff_change_only_the_items_assigned_to_them(alpha, login, sofia):
    mine, other = make_item(alpha, assignee=sofia), make_item(alpha)
    response = _post(login(sofia), alpha, [mine, other], "close", note="Called back")
    assert _said(response) == ["1 item closed; 1 skipped: not assigned to you."]
    assert (reload(alpha, mine).status, reload(alpha, other).status) == (Status.CLOSED, Status.NEW)


def test_an_item_of_another_organisation_is_not_found_and_nothing_is_touched(alpha, bravo, login, sofia):
    mine, theirs = make_item(alpha), make_item(bravo, text="Bravo's secret feedback")
    response = _post(login(alpha.manager), alpha, [mine, theirs], "assign", assignee=sofia.pk)
    assert response.status_code == 404
    assert "nothing was changed" in response.content.decode()
    assert "Bravo" not in response.content.decode()
    assert reload(alpha, mine).assignee is None and reload(bravo, theirs).assignee is None
    assert events(alpha, "feedback.assign") == [] and events(bravo, "feedback.assign") == []


def test_an_unknown_item_is_not_found(alpha, login, sofia):
    response = login(alpha.manager).post(
        url(alpha, "feedback_bulk"), {"items": [987654], "action": "assign", "assignee": sofia.pk}
    )
    assert response.status_code == 404


def test_more_items_than_the_bound_is_a_bad_request_that_says_so(alpha, login, sofia):
    ids = list(range(1, MAX_BULK_ITEMS + 2))
    response = login(alpha.manager).post(url(alpha, "feedback_bulk"), {"items": ids, "action": "assign"})
    assert response.status_code == 400
    assert f"at most {MAX_BULK_ITEMS} items" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"action": "assign", "assignee": "nobody"}, "Select the items to change first"),
        ({"items": ["x1"], "action": "assign", "assignee": "nobody"}, "could not be read"),
        ({"items": ["1"]}, "Choose what to do with the selected items."),
        ({"items": ["1"], "action": "assign"}, "Choose who to assign the items to"),
        ({"items": ["1"], "action": "tag"}, "Choose a theme to add"),
        ({"items": ["1"], "action": "assign", "assignee": "99999"}, "Select a valid choice"),
    ],
)
def test_an_incomplete_request_goes_back_to_the_list_saying_what_is_missing(alpha, login, data, said):
    response = login(alpha.manager).post(url(alpha, "feedback_bulk"), data)
    assert response.status_code == 302 and response.url == url(alpha, "inbox")
    assert said in " ".join(_said(response))


def test_an_auditor_cannot_act_in_bulk(alpha, login):
    item = make_item(alpha)
    response = _post(login(alpha.auditor), alpha, [item], "close", note="No")
    assert response.status_code == 403
    assert reload(alpha, item).status == Status.NEW


def test_an_auditor_cannot_be_assigned(alpha, login):
    item = make_item(alpha)
    response = _post(login(alpha.manager), alpha, [item], "assign", assignee=alpha.auditor.pk)
    assert "Select a valid choice" in " ".join(_said(response))
    assert reload(alpha, item).assignee is None


def test_the_list_has_a_labelled_checkbox_per_row_and_the_bar_for_those_who_triage(alpha, login):
    item = make_item(alpha)
    page = login(alpha.manager).get(url(alpha, "inbox")).content.decode()
    assert f'id="pick-{item.pk}" form="bulk-form"' in page
    assert f'<label class="visually-hidden" for="pick-{item.pk}">Select {item.reference}</label>' in page
    assert 'action="' + url(alpha, "feedback_bulk") + '"' in page
    assert "Select all on this page" in page and "js/bulk-select" in page
    assert "<script>" not in page and " style=" not in page


def test_an_auditor_sees_no_checkboxes_nor_bar(alpha, login):
    make_item(alpha)
    page = login(alpha.auditor).get(url(alpha, "inbox")).content.decode()
    assert 'name="items"' not in page and "bulk-form" not in page


def test_someone_who_is_not_a_member_is_not_told_anything(alpha, login):
    item = make_item(alpha)
    outsider = UserFactory(email="outsider@example.com")
    response = _post(login(outsider), alpha, [item], "close", note="No")
    assert response.status_code == 404
    assert reload(alpha, item).status == Status.NEW
