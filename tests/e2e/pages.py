"""The pages the browser tests visit, and the records they show: every HTML page a member reaches under
/o/alpha/ (PAGES, formatted with the ids of `records`) and the pages a signed-out person or a customer reaches.
The accessibility, Content-Security-Policy and page-sweep tests share them; a new page joins PAGES here."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from customers.models import Contact, Customer, ImportJob
from feedback.services.inbox import feedback_assign, feedback_set_sentiment, feedback_update, saved_view_create
from feedback.services.methods import method_review
from qms.audit.models import AuditEvent
from qms.audit.services import audit_record
from qms.notifications.services import notify
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Membership
from surveys.models import Invitation, Response
from surveys.questionnaire import Questionnaire
from surveys.services.answering import response_submit
from surveys.services.campaigns import campaign_create, campaign_launch, members_add, steps_run
from surveys.services.design import survey_create
from surveys.services.follow_ups import follow_ups_open
from surveys.services.loop import loop_rule_create
from surveys.services.sending import contacts_for, survey_send
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FeedbackItemFactory,
    FeedbackThemeFactory,
    ImportJobFactory,
    MonitoringMethodFactory,
    OutboxMessageFactory,
)

# Pages under /o/alpha/, formatted with the ids of the records made below.
PAGES = (
    "",
    "settings/",
    "settings/members/",
    "settings/members/{membership}/",
    "settings/email/",
    "settings/api-tokens/",
    "audit/",
    "audit/{event}/",
    "customers/",
    "customers/new/",
    "customers/{customer}/",
    "customers/{customer}/edit/",
    "customers/{customer}/contacts/new/",
    "contacts/{contact}/",
    "contacts/{contact}/edit/",
    "contacts/{contact}/erase/",
    "customers/import/",
    "customers/import/{job}/",
    "feedback/",
    "feedback/?q=valve&status=open",
    "feedback/new/",
    "feedback/{item}/",
    "feedback/{item}/edit/",
    "methods/",
    "methods/new/",
    "methods/{method}/",
    "methods/{method}/edit/",
    "methods/{method}/review/",
    "surveys/",
    "surveys/{survey}/",
    "surveys/{survey}/preview/",
    "surveys/{survey}/send/",
    "surveys/{survey}/sends/{send}/",
    "surveys/{survey}/responses/",
    "surveys/{survey}/responses/{response}/",
    "surveys/{survey}/results/",
    "surveys/{survey}/results/?view=trend",
    "surveys/{survey}/follow-ups/",
    "campaigns/",
    "campaigns/new/",
    "campaigns/contact-rule/",
    "campaigns/{draft}/",
    "campaigns/{draft}/edit/",
    "campaigns/{draft}/members/",
    "campaigns/{campaign}/",
    "campaigns/{campaign}/exclusions/",
    "notifications/",
    "notifications/settings/",
    "notifications/rules/",
)
SIGNED_OUT_PAGES = ("/accounts/login/", "/accounts/password/reset/", "/p/alpha/feedback/")


@pytest.fixture
def records(alpha):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc", segment="Industrial")
        contact = ContactFactory(customer=customer, name="Ada Lovelace", email="ada@hydro.example")
        item = FeedbackItemFactory(
            organization=alpha.organization, customer=customer, contact=contact, text="The valve leaked.",
            assignee=alpha.manager,
        )  # fmt: skip
        FeedbackThemeFactory(feedback=item, theme__name="Reliability")
        # a timeline and an audit trail with changes of every kind: a date, a choice, a person; a saved view
        item = feedback_update(feedback=item, actor=alpha.manager, received_on=item.received_on - timedelta(days=3))
        item = feedback_assign(feedback=item, actor=alpha.manager, assignee=alpha.staff)
        item = feedback_set_sentiment(feedback=item, actor=alpha.manager, sentiment="negative")
        notify(  # the bell and the notifications page have something to show
            organization=alpha.organization,
            kind="feedback.received",
            record=item,
            title=f"New feedback {item.reference} from Hydro Pumps plc",
            url=item.get_absolute_url(),
            recipients=[alpha.owner, alpha.manager],
        )
        saved_view_create(
            organization=alpha.organization, owner=alpha.owner, name="Open complaints", query="kind=complaint"
        )
        method = MonitoringMethodFactory(organization=alpha.organization, owner=alpha.manager)
        method_review(
            method=method, actor=alpha.manager, outcome="improve", notes="Send it after delivery, not at month end."
        )
        job = ImportJobFactory(
            organization=alpha.organization, created_by=alpha.manager, status=ImportJob.Status.PREVIEW,
            total_rows=3, valid_rows=2, error_rows=1,
            errors=[{"row": 4, "column": "customer_name", "message": "A customer name is required."}],
            summary={"columns": ["customer_name"], "preview": [{"row": 2, "cells": ["Acme"], "valid": True}]},
        )  # fmt: skip
        OutboxMessageFactory(organization=alpha.organization, state=OutboxMessage.State.FAILED, last_error="550 no")
        survey = survey_create(
            organization=alpha.organization, actor=alpha.manager, name="Customer satisfaction 2026",
            starter="relationship_nps",
        )  # fmt: skip
        loop_rule_create(  # the detractor's answer is followed up: the rules page and the response show it
            survey=survey, actor=alpha.manager, question_code="nps", condition="at_most", value="6",
            assign_to="account_owner", assignee=alpha.manager,
        )  # fmt: skip
        send, response = _answered(alpha, survey, contact)
        follow_ups_open(organization=alpha.organization)
        campaign, draft = _campaigns(alpha, survey, contact)
        membership = Membership.objects.get(organization=alpha.organization, user=alpha.staff)
        audit_record(organization=alpha.organization, actor=alpha.owner, action="test.event", obj=customer)
        event = AuditEvent.objects.filter(organization=alpha.organization).latest("seq")
    return {
        "customer": customer.pk, "contact": contact.pk, "item": item.pk, "method": method.pk, "job": job.pk,
        "membership": membership.pk, "event": event.pk, "survey": survey.pk,
        "send": send.pk, "response": response.pk, "campaign": campaign.pk, "draft": draft.pk,
    }  # fmt: skip


def _campaigns(alpha, survey, contact):
    """A running campaign whose first wave went out (one contact invited, one opted out and left out), with a
    reminder to come; and a draft for an uploaded list, with its member."""
    now = timezone.now()
    CustomerFactory(organization=alpha.organization, segment="Industrial")
    ContactFactory(customer=Customer.objects.get(pk=contact.customer_id), consent=Contact.Consent.OPTED_OUT)
    reminder = {"after_days": 4, "subject": {"en": "Two minutes, please"}, "body": {"en": "Your view counts."}}
    campaign = campaign_create(
        organization=alpha.organization, actor=alpha.manager, name="Industrial NPS every quarter", survey=survey,
        audience="segment", audience_value="Industrial", every="quarterly", at=time(9, 0), expiry_days=30,
        start_on=timezone.localdate(now, alpha.organization.zone()) - timedelta(days=1), reminders=[reminder],
    )  # fmt: skip
    campaign_launch(campaign=campaign, actor=alpha.manager, now=now - timedelta(days=3))
    steps_run(organization=alpha.organization, now=now)  # yesterday's wave, built late by today's beat
    draft = campaign_create(
        organization=alpha.organization, actor=alpha.manager, name="Partners' list", survey=survey, audience="list",
        audience_value="", every="once", start_on=timezone.localdate(now) + timedelta(days=7), at=time(9, 0),
        expiry_days=21, reminders=[],
    )  # fmt: skip
    members_add(campaign=draft, actor=alpha.manager, contacts=[contact.pk], source="list")
    return campaign, draft


def _answered(alpha, survey, contact):
    """The survey sent to `contact`, who answered it (a detractor: the drivers' question applies, two chosen)."""
    send = survey_send(
        survey=survey, actor=alpha.manager,
        contacts=contacts_for(organization=alpha.organization, contact_ids=[contact.pk]),
    )  # fmt: skip
    invitation = Invitation.objects.select_related("version").get(send=send)
    response_submit(
        organization=alpha.organization,
        version=invitation.version,
        questionnaire=Questionnaire.of(list(invitation.version.questions.all())),
        language=invitation.language,
        answers={"nps": 5, "reason": "Two deliveries came late.", "drivers": ["product_quality", "delivery"]},
        invitation=invitation,
    )
    return send, Response.objects.get(invitation=invitation)
