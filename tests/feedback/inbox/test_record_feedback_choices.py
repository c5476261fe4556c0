"""The "Record feedback" form: the kind has no default, and the contacts offered narrow to the chosen customer
(without JavaScript by "Show its contacts", with htmx by choosing the customer), saving nothing on the way."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.forms.inbox import CONTACT_NOT_OF_CUSTOMER, KIND_MISSING
from feedback.models import FeedbackItem
from feedback.services.inbox import feedback_create
from tests.factories import ContactFactory, CustomerFactory

from .shortcuts import events, make_item, reload, url


@pytest.fixture
def parties(alpha):
    with alpha.context():
        hydro = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
        valves = CustomerFactory(organization=alpha.organization, name="Valve Works")
    return {
        "hydro": hydro,
        "valves": valves,
        "ada": ContactFactory(customer=hydro, name="Ada Pumpwright"),
        "gone": ContactFactory(customer=hydro, name="Gone Person", erased_at=timezone.now()),
        "vic": ContactFactory(customer=valves, name="Vic Valve"),
    }


def _contact_options(html: str) -> list[str]:
    select = re.search(r'<select name="contact".*?</select>', html, re.S)
    assert select, "the page has no contact select"
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select.group(0))


def _entered(**values) -> dict:
    base = {"channel": "phone", "kind": "concern", "received_on": "2026-03-02", "text": "The housing cracked."}
    return {**base, **values}


def _items(tenant) -> list[FeedbackItem]:
    with tenant.context():
        return list(FeedbackItem.objects.filter(organization=tenant.organization))


def test_the_kind_has_no_default(alpha, login):
    page = login(alpha.staff).get(url(alpha, "feedback_create")).content.decode()
    assert '<option value="" selected>Choose a kind</option>' in page


def test_recording_without_a_kind_asks_for_one_and_saves_nothing(alpha, login):
    data = {"channel": "phone", "received_on": "2026-03-02", "text": "The pump leaks."}
    response = login(alpha.staff).post(url(alpha, "feedback_create"), data)
    assert response.status_code == 200
    assert KIND_MISSING in response.content.decode()
    assert _items(alpha) == []


def test_without_a_customer_every_live_contact_is_offered(alpha, login, parties):
    page = login(alpha.staff).get(url(alpha, "feedback_create")).content.decode()
    assert _contact_options(page) == ["Ada Pumpwright (Hydro Pumps plc)", "Vic Valve (Valve Works)"]


def test_show_its_contacts_narrows_the_contacts_keeps_what_was_entered_and_saves_nothing(alpha, login, parties):
    entered = _entered(channel="email", customer=parties["hydro"].pk, product="HP-200 pump", refresh="1")
    response = login(alpha.staff).post(url(alpha, "feedback_create"), entered)
    page = response.content.decode()
    assert response.status_code == 200
    assert _contact_options(page) == ["Ada Pumpwright (Hydro Pumps plc)"]
    assert f'<option value="{parties["hydro"].pk}" selected>Hydro Pumps plc</option>' in page
    assert '<option value="email" selected>' in page and '<option value="concern" selected>' in page
    assert 'value="HP-200 pump"' in page and "The housing cracked.</textarea>" in page and 'value="2026-03-02"' in page
    assert "The contacts of Hydro Pumps plc." in page
    assert "invalid-feedback" not in page and KIND_MISSING not in page
    assert _items(alpha) == [] and events(alpha, "feedback.create") == []


def test_the_page_offers_the_button_without_javascript_and_htmx_swaps_the_contacts(alpha, login):
    page = login(alpha.staff).get(url(alpha, "feedback_create")).content.decode()
    assert '<button class="btn btn-outline-secondary btn-sm mb-3" type="submit" name="refresh" value="1">' in page
    assert f'hx-get="{url(alpha, "feedback_create")}"' in page
    assert 'hx-target="#div_id_contact"' in page and 'hx-select="#div_id_contact"' in page
    assert "<script>" not in page


def test_asking_for_a_customers_contacts_answers_the_field_with_only_them(alpha, login, parties):
    client = login(alpha.staff)
    page = client.get(url(alpha, "feedback_create"), {"customer": parties["valves"].pk}, HTTP_HX_REQUEST="true")
    assert _contact_options(page.content.decode()) == ["Vic Valve (Valve Works)"]


def test_another_organisations_customer_narrows_nothing_and_shows_nothing_of_it(alpha, bravo, login, parties):
    with bravo.context():
        theirs = CustomerFactory(organization=bravo.organization, name="Bravo Secret Ltd")
    ContactFactory(customer=theirs, name="Bravo Person")
    page = login(alpha.staff).get(url(alpha, "feedback_create"), {"customer": theirs.pk}).content.decode()
    assert _contact_options(page) == ["Ada Pumpwright (Hydro Pumps plc)", "Vic Valve (Valve Works)"]
    assert "Bravo" not in page


def test_a_contact_not_of_the_chosen_customer_is_refused_with_a_clear_message(alpha, login, parties):
    data = _entered(customer=parties["hydro"].pk, contact=parties["vic"].pk)
    response = login(alpha.staff).post(url(alpha, "feedback_create"), data)
    assert response.status_code == 200
    assert CONTACT_NOT_OF_CUSTOMER in response.content.decode()
    assert _items(alpha) == []


def test_the_service_refuses_a_contact_of_another_customer(alpha, parties):
    with alpha.context(), pytest.raises(ValidationError) as refused, transaction.atomic():
        feedback_create(
            organization=alpha.organization,
            actor=alpha.staff,
            channel="phone",
            kind="concern",
            text="Leaking.",
            customer=parties["hydro"],
            contact=parties["vic"],
        )
    assert refused.value.message_dict == {"contact": ["Vic Valve is not a contact of Hydro Pumps plc."]}


def test_editing_narrows_the_contacts_to_the_items_customer_and_refreshing_saves_nothing(alpha, login, parties):
    item = make_item(alpha, customer=parties["hydro"], contact=parties["ada"], text="Original")
    client = login(alpha.manager)
    page = client.get(url(alpha, "feedback_edit", feedback_id=item.pk)).content.decode()
    assert _contact_options(page) == ["Ada Pumpwright (Hydro Pumps plc)"]
    data = {"channel": item.channel, "kind": item.kind, "received_on": item.received_on.isoformat(), "text": "Changed"}
    response = client.post(
        url(alpha, "feedback_edit", feedback_id=item.pk), {**data, "customer": parties["valves"].pk, "refresh": "1"}
    )
    assert _contact_options(response.content.decode()) == ["Vic Valve (Valve Works)"]
    assert reload(alpha, item).text == "Original" and events(alpha, "feedback.update") == []
