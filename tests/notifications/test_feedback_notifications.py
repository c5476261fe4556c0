"""The inbox tells people: every new item (web form, API, staff) by the rules for "feedback.received" on its
channel, kind and segment; an assigned item its assignee."""

import time

import pytest
from django.urls import reverse

from feedback.models import FeedbackItem
from feedback.services.inbox import feedback_assign, feedback_create
from tests.factories import CustomerFactory, FeedbackItemFactory
from tests.feedback.public.helpers import items_of, submit
from tests.feedback.public.test_broker_down import unreachable_broker  # noqa: F401 - the fixture

from .conftest import notification_mail, notifications_of, recipients_of


def test_a_web_form_item_tells_the_rules_person_once_by_email_and_in_the_app(alpha, client, rule):
    rule(conditions={"channel": "web_form", "kind": "suggestion"}, member=alpha.staff)
    rule(conditions={"channel": "web_form"}, member=alpha.staff)
    submit(client, alpha)
    [item] = items_of(alpha)
    [notification] = notifications_of(alpha)
    assert (notification.recipient, notification.kind) == (alpha.staff, "feedback.received")
    assert item.reference in notification.title and "Web form" in notification.title
    assert notification.url == f"/o/alpha/feedback/{item.pk}/"
    assert (notification.object_type, notification.object_id) == ("feedback.feedbackitem", str(item.pk))
    [mail] = notification_mail(alpha)
    assert (mail.to_email, mail.state) == ("staff@alpha.test", "pending")
    assert item.reference in mail.subject
    # nothing the sender typed reaches the staff's email: their text, name and product stay in the app
    for typed in ("calibration certificate", "Ada Customer", "Torque wrench"):
        assert typed not in mail.subject + mail.body_text + mail.body_html + notification.title


def test_the_segment_of_the_items_customer_is_a_fact_rules_match(alpha, rule):
    rule(conditions={"segment": "Automotive"}, member=alpha.staff)
    with alpha.context():
        automotive = CustomerFactory(organization=alpha.organization, segment="Automotive")
        other = CustomerFactory(organization=alpha.organization, segment="Rail")
        for customer in (automotive, other):
            feedback_create(
                organization=alpha.organization,
                actor=alpha.manager,
                channel="phone",
                kind="concern",
                text="Late again",
                customer=customer,
            )
    [notification] = notifications_of(alpha)
    assert notification.recipient == alpha.staff


def test_an_item_recorded_by_staff_tells_the_managers_but_not_the_one_who_recorded_it(alpha, login):
    response = login(alpha.manager).post(
        reverse("feedback:feedback_create", kwargs={"org_slug": alpha.slug}),
        {"channel": "phone", "kind": "complaint", "received_on": "2026-01-05", "text": "Broken on arrival"},
    )
    assert response.status_code == 302
    assert recipients_of(alpha) == ["owner@alpha.test"]


def test_an_item_sent_through_the_api_tells_the_managers(alpha, api):
    response = api(alpha, "staff").post(
        "feedback/", {"channel": "email", "kind": "question", "text": "Where is my certificate?"}
    )
    assert response.status_code == 201, response.content
    assert recipients_of(alpha) == ["manager@alpha.test", "owner@alpha.test"]


def test_assigning_an_item_tells_the_assignee(alpha):
    with alpha.context():
        item = FeedbackItemFactory(organization=alpha.organization)
        feedback_assign(feedback=item, actor=alpha.manager, assignee=alpha.staff)
    [notification] = notifications_of(alpha)
    assert (notification.recipient, notification.kind) == (alpha.staff, "feedback.assigned")
    assert item.reference in notification.title and alpha.manager.get_full_name() in notification.title
    assert [m.to_email for m in notification_mail(alpha)] == ["staff@alpha.test"]


def test_assigning_an_item_to_oneself_or_to_the_same_person_again_tells_nobody(alpha):
    with alpha.context():
        item = FeedbackItemFactory(organization=alpha.organization)
        item = feedback_assign(feedback=item, actor=alpha.staff, assignee=alpha.staff)
        item = feedback_assign(feedback=item, actor=alpha.manager, assignee=alpha.staff)
        feedback_assign(feedback=item, actor=alpha.manager, assignee=None)
    assert notifications_of(alpha) == []


def test_assigning_in_the_items_triage_tells_the_assignee(alpha, login):
    with alpha.context():
        item = FeedbackItemFactory(organization=alpha.organization)
    url = reverse("feedback:feedback_triage", kwargs={"org_slug": alpha.slug, "feedback_id": item.pk})
    response = login(alpha.manager).post(url, {"assignee": alpha.staff.pk, "sentiment": "negative"})
    assert response.status_code == 302
    assert recipients_of(alpha, kind="feedback.assigned") == ["staff@alpha.test"]


@pytest.mark.django_db(transaction=True)
def test_the_public_form_works_while_the_broker_is_unreachable_and_writes_the_notifications(
    alpha,
    client,
    unreachable_broker,  # noqa: F811 - the fixture
):
    started = time.monotonic()
    response = submit(client, alpha)
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 5, f"the submission waited {elapsed:.1f} s on the broker"
    assert recipients_of(alpha) == ["manager@alpha.test", "owner@alpha.test"]
    assert {m.state for m in notification_mail(alpha)} == {"pending"}
    assert [i.channel for i in items_of(alpha)] == [FeedbackItem.Channel.WEB_FORM]
