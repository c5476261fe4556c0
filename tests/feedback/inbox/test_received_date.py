"""Feedback cannot be received on a day that has not come yet (today is the organisation's, in the site's time zone
until organisations have their own). The rule is the service's, so the form, the API and any import share it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.models import FeedbackItem
from feedback.services.inbox import feedback_create, feedback_update

from .shortcuts import events, make_item, reload, url

FUTURE = "The date received cannot be in the future."


def _form(**values):
    return {"channel": "phone", "kind": "concern", "text": "The pump arrived cracked.", **values}


def _count(tenant):
    with tenant.context():
        return FeedbackItem.objects.filter(organization=tenant.organization).count()


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def test_the_form_refuses_a_future_date_on_the_field(alpha, login):
    response = login(alpha.staff).post(url(alpha, "feedback_create"), _form(received_on="2099-06-01"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"received_on": [FUTURE]}
    assert FUTURE in response.content.decode()
    assert _count(alpha) == 0


def test_the_form_takes_today_and_offers_today_as_the_latest_day(alpha, login):
    client = login(alpha.staff)
    page = client.get(url(alpha, "feedback_create")).content.decode()
    assert f'max="{timezone.localdate().isoformat()}"' in page
    response = client.post(url(alpha, "feedback_create"), _form(received_on=timezone.localdate().isoformat()))
    assert response.status_code == 302
    assert _count(alpha) == 1


def test_the_api_answers_400_naming_the_date(alpha, api):
    response = api(alpha, "staff").post(
        "feedback/", {"kind": "question", "text": "When?", "received_on": tomorrow().isoformat()}
    )
    assert response.status_code == 400
    assert response.json() == {"received_on": [FUTURE]}
    assert _count(alpha) == 0


def test_the_service_refuses_it_for_every_caller(alpha):
    with pytest.raises(ValidationError) as caught, transaction.atomic(), alpha.context():
        feedback_create(
            organization=alpha.organization, actor=alpha.staff, channel="email", kind="compliment", text="Great",
            received_on=tomorrow(),
        )  # fmt: skip
    assert caught.value.message_dict == {"received_on": [FUTURE]}


def test_correcting_the_date_to_a_future_day_is_refused_and_changes_nothing(alpha, login):
    item = make_item(alpha, received_on=timezone.localdate() - timedelta(days=3), assignee=alpha.manager)
    with pytest.raises(ValidationError) as caught, transaction.atomic(), alpha.context():
        feedback_update(feedback=item, actor=alpha.manager, received_on=tomorrow())
    assert caught.value.message_dict == {"received_on": [FUTURE]}
    assert reload(alpha, item).received_on == item.received_on
    assert events(alpha, "feedback.update") == []


def test_an_item_already_dated_in_the_future_can_still_be_corrected_otherwise(alpha):
    """Recorded before the rule: its other fields stay editable; only moving the date to a future day is refused."""
    item = make_item(alpha, received_on=tomorrow() + timedelta(days=30))
    with alpha.context():
        feedback_update(feedback=item, actor=alpha.manager, product="Valve V3")
    assert reload(alpha, item).product == "Valve V3"
