"""Leadership check-ins: a campaign that sends customers no email. Each wave gives every key customer's account
owner (or the named leader) a conversation to hold by a due date, tells and reminds only those with conversations
still to hold, marks what was not held in time, and records each outcome as a feedback item of channel "meeting",
linked from its check-in; the campaign's page shows who has been called and what they said."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from feedback.models import FeedbackItem
from qms.notifications.models import Notification
from qms.outbox.models import OutboxMessage
from surveys.models import CampaignStep, CheckIn, Invitation
from surveys.services.campaigns import campaign_create, campaign_launch, steps_run
from surveys.services.check_ins import check_in_record
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)  # a Monday, 09:00 in London (the organisation's zone), in winter


def _key_customers(tenant, owners):
    customers = []
    for n, owner in enumerate(owners):
        customer = CustomerFactory(organization=tenant.organization, name=f"Key customer {n}", segment="Key",
                                   account_owner=owner)  # fmt: skip
        ContactFactory(customer=customer)  # a contact, who must get no email
        customers.append(customer)
    return customers


def _check_in(tenant, **fields):
    values = {"name": "Quarterly leadership calls", "kind": "check_in", "survey": None, "audience": "segment",
              "audience_value": "Key", "every": "quarterly", "start_on": T0.date(), "at": time(9, 0),
              "expiry_days": 14, "reminders": [{"after_days": 7}]} | fields  # fmt: skip
    with tenant.context():
        campaign = campaign_create(organization=tenant.organization, actor=tenant.manager, **values)
        return campaign_launch(campaign=campaign, actor=tenant.manager, now=T0 - timedelta(days=1))


def _run(tenant, now):
    with tenant.context():
        return steps_run(organization=tenant.organization, now=now)


def test_a_wave_gives_each_key_customers_owner_a_conversation_and_emails_no_customer(alpha):
    customers = _key_customers(alpha, [alpha.staff, alpha.staff, alpha.manager, None])
    campaign = _check_in(alpha)
    assert _run(alpha, T0) == 1
    with alpha.context():
        check_ins = CheckIn.objects.filter(campaign=campaign)
        assert {(c.customer_id, c.assignee_id, c.due_on) for c in check_ins} == {
            (customers[0].pk, alpha.staff.pk, date(2026, 1, 26)),
            (customers[1].pk, alpha.staff.pk, date(2026, 1, 26)),
            (customers[2].pk, alpha.manager.pk, date(2026, 1, 26)),
        }  # fmt: skip  (the customer without an owner is counted, not assigned)
        wave = CampaignStep.objects.get(campaign=campaign, kind="wave", wave=1)
        assert wave.counts == {"assigned": 3, "no_owner": 1}
        told = Notification.objects.filter(kind="surveys.check_in").order_by("recipient_id")
        assert sorted((n.recipient_id, n.title) for n in told) == sorted([
            (alpha.staff.pk, "Quarterly leadership calls: 2 customer conversations to hold by 26 Jan 2026"),
            (alpha.manager.pk, "Quarterly leadership calls: 1 customer conversation to hold by 26 Jan 2026"),
        ])  # fmt: skip
        assert not Invitation.objects.exists()
        contacts = {c.email for customer in customers for c in customer.contacts.all()}
        assert not OutboxMessage.objects.filter(to_email__in=contacts).exists()
        next_wave = CampaignStep.objects.get(campaign=campaign, kind="wave", wave=2).due_at  # summer time
        assert next_wave == datetime(2026, 4, 12, 9, 0, tzinfo=alpha.organization.zone())


def test_a_named_leader_holds_every_conversation(alpha):
    _key_customers(alpha, [alpha.staff, None])
    campaign = _check_in(alpha, leader=alpha.owner)
    _run(alpha, T0)
    with alpha.context():
        assert set(CheckIn.objects.filter(campaign=campaign).values_list("assignee_id", flat=True)) == {alpha.owner.pk}


def test_reminders_reach_only_those_with_conversations_to_hold_and_the_due_date_marks_the_rest(alpha):
    customers = _key_customers(alpha, [alpha.staff, alpha.manager])
    campaign = _check_in(alpha)
    _run(alpha, T0)
    with alpha.context():
        held = CheckIn.objects.get(campaign=campaign, customer=customers[1])
        check_in_record(check_in=held, actor=alpha.manager, held_on=date(2026, 1, 13), outcome="Happy; wants EDI.")
        Notification.objects.all().delete()
    _run(alpha, T0 + timedelta(days=7))  # the reminder
    with alpha.context():
        assert [(n.recipient_id, n.title) for n in Notification.objects.filter(kind="surveys.check_in")] == [
            (alpha.staff.pk, "Reminder — Quarterly leadership calls: 1 customer conversation still to hold by "
                             "26 Jan 2026"),
        ]  # fmt: skip
    _run(alpha, T0 + timedelta(days=14))  # due: what was not recorded was not held in time
    with alpha.context():
        states = dict(CheckIn.objects.filter(campaign=campaign).values_list("customer_id", "state"))
        assert states == {customers[0].pk: CheckIn.State.MISSED, customers[1].pk: CheckIn.State.HELD}


def test_recording_a_conversation_opens_a_meeting_item_for_the_customer_once(alpha):
    customer = _key_customers(alpha, [alpha.staff])[0]
    campaign = _check_in(alpha)
    _run(alpha, T0)
    with alpha.context():
        check_in = CheckIn.objects.get(campaign=campaign)
        check_in = check_in_record(check_in=check_in, actor=alpha.staff, held_on=date(2026, 1, 14),
                                   outcome="Announce deliveries a day ahead.", kind="suggestion")  # fmt: skip
        item = check_in.item
        assert (item.channel, item.kind, item.customer_id, item.received_on, item.assignee_id, item.text) == (
            FeedbackItem.Channel.MEETING, "suggestion", customer.pk, date(2026, 1, 14), alpha.staff.pk,
            "Announce deliveries a day ahead.",
        )  # fmt: skip
        assert (check_in.state, check_in.held_on) == (CheckIn.State.HELD, date(2026, 1, 14))
        with pytest.raises(ValidationError, match="recorded already"):
            check_in_record(check_in=check_in, actor=alpha.staff, held_on=date(2026, 1, 15), outcome="Again")
        assert FeedbackItem.objects.filter(channel="meeting").count() == 1


def test_the_page_shows_who_has_been_called_and_what_they_said_and_only_the_owner_or_a_manager_records(alpha, login):
    customers = _key_customers(alpha, [alpha.staff, alpha.manager])
    campaign = _check_in(alpha, start_on=date.today() - timedelta(days=1))
    _run(alpha, datetime.now(UTC))
    with alpha.context():
        mine, theirs = (CheckIn.objects.get(campaign=campaign, customer=c) for c in customers)
    staff = login(alpha.staff)
    record = f"/o/alpha/campaigns/{campaign.pk}/check-ins/"
    body = {"held_on": date.today().isoformat(), "kind": "concern", "outcome": "Invoices arrive late."}
    assert staff.post(f"{record}{theirs.pk}/", body).status_code == 403  # the manager's customer
    assert staff.post(f"{record}{mine.pk}/", body).status_code == 302
    page = staff.get(f"/o/alpha/campaigns/{campaign.pk}/").content.decode()
    assert "Invoices arrive late." in page and "Key customer 0" in page
    assert f"{record}{theirs.pk}/" not in page  # staff may not record the manager's conversation
    future = {**body, "held_on": (date.today() + timedelta(days=2)).isoformat()}
    refused = login(alpha.manager).post(f"{record}{theirs.pk}/", future)
    assert refused.status_code == 422 and "before it was held" in refused.content.decode()
    with alpha.context():
        assert CheckIn.objects.get(pk=mine.pk).item.text == "Invoices arrive late."


def test_a_check_in_calls_on_a_segment_or_a_region(alpha):
    with alpha.context(), pytest.raises(ValidationError) as refused:
        campaign_create(organization=alpha.organization, actor=alpha.manager, name="Calls", kind="check_in",
                        survey=None, audience="list", audience_value="", every="once", start_on=T0.date(),
                        at=time(9, 0), expiry_days=14)  # fmt: skip
    assert "segment or a region" in str(refused.value.message_dict["audience"])
    with alpha.context(), pytest.raises(ValidationError) as no_survey:
        campaign_create(organization=alpha.organization, actor=alpha.manager, name="NPS", kind="survey",
                        survey=None, audience="segment", audience_value="Key", every="once", start_on=T0.date(),
                        at=time(9, 0), expiry_days=14)  # fmt: skip
    assert "survey" in no_survey.value.message_dict
