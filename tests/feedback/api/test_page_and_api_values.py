"""The inbox page and the feedback API accept exactly the same filter values: every choice the page offers (Open,
Me, Unassigned, each status, kind, channel, customer, contact, member and theme) is a 200 on the API listing the
same items, and a value the page ignores is a 400 on the API naming the same filter."""

import pytest
from django import forms

from tests.api_client import results
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory, FeedbackThemeFactory

FREE_VALUES = {"q": ["valve", "F-2026-0001"], "received_from": ["2026-03-01"], "received_to": ["2026-03-31"]}
REFUSED = {"status": "opened", "kind": "praise", "channel": "fax", "customer": "0", "contact": "x",
           "assignee": "nobody", "theme": "x", "received_from": "2026-02-30", "received_to": "yesterday"}  # fmt: skip


@pytest.fixture
def inbox(alpha, login):
    customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
    contact = ContactFactory(customer=customer, name="Tariq Patel")
    FREE_VALUES["contact"] = [str(contact.pk)]  # a contact's page links its feedback by id
    FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0001", text="The valve leaked",
                        customer=customer, contact=contact, assignee=alpha.manager)  # fmt: skip
    closed = FeedbackItemFactory(organization=alpha.organization, reference="F-2026-0002", status="closed")
    FeedbackThemeFactory(feedback=closed, theme__name="Delivery")
    return login(alpha.manager)


def _page(client, params):
    response = client.get("/o/alpha/feedback/", params)
    assert response.status_code == 200
    return response.context["form"], {item.reference for item in response.context["page"].object_list}


def _offered(form) -> list[tuple[str, str]]:
    values = []
    for name, field in form.fields.items():
        if isinstance(field, forms.ChoiceField):
            values += [(name, str(value)) for value, _ in field.choices if value != ""]
        else:
            values += [(name, value) for value in FREE_VALUES[name]]
    return values


def test_every_value_the_page_offers_is_taken_by_the_api_with_the_same_items(alpha, api, inbox):
    form, _ = _page(inbox, {})
    offered = _offered(form)
    assert ("status", "open") in offered and ("assignee", "me") in offered and ("assignee", "unassigned") in offered
    client = api(alpha, "manager")
    for name, value in offered:
        page_form, listed = _page(inbox, {name: value})
        assert not page_form.errors, (name, value, page_form.errors)
        response = client.get("feedback/", {name: value})
        assert response.status_code == 200, (name, value, response.content)
        assert {row["reference"] for row in results(response)} == listed, (name, value)


def test_every_filter_of_the_page_is_a_filter_of_the_api(inbox):
    form, _ = _page(inbox, {})
    assert set(form.fields) == set(REFUSED) | {"q"}


@pytest.mark.parametrize(("name", "value"), REFUSED.items())
def test_a_value_the_page_ignores_is_a_400_naming_it_on_the_api(alpha, api, inbox, name, value):
    form, _ = _page(inbox, {name: value})
    assert list(form.errors) == [name]
    response = api(alpha, "manager").get("feedback/", {name: value})
    assert response.status_code == 400
    assert list(response.json()) == [name]
